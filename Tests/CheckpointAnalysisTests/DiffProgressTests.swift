import Checkpoint
import CheckpointAnalysis
import CheckpointArchive
import Foundation
import Synchronization
import Testing

/// `diff(_:_:options:progress:)` and ``CheckpointSource/Options/progress``.
@Suite("progress reporting")
struct DiffProgressTests {
    /// Collects reported (done, total) pairs from any thread.
    final class Calls: Sendable {
        private let list = Mutex<[(UInt64, UInt64)]>([])
        var all: [(UInt64, UInt64)] { list.withLock { $0 } }
        func add(_ done: UInt64, _ total: UInt64) { list.withLock { $0.append((done, total)) } }
    }

    static func check(_ calls: [(UInt64, UInt64)], total expected: UInt64? = nil) {
        #expect(!calls.isEmpty)
        guard let last = calls.last else { return }
        #expect(calls.allSatisfy { $0.1 == last.1 && $0.0 <= $0.1 }, "\(calls)")
        #expect(zip(calls, calls.dropFirst()).allSatisfy { $0.0 <= $1.0 }, "done goes back: \(calls)")
        #expect(last.0 == last.1)
        if let expected { #expect(last.1 == expected) }
    }

    @Test("diff of two directories: pages compared of the pages dumped on both sides")
    func directories() throws {
        let calls = Calls()
        let result = try diff(DiffFixture.open("raw/diff-pair/gen1"), DiffFixture.open("raw/diff-pair/gen2"),
                              options: DiffOptions(sections: [.memory]), progress: calls.add)
        Self.check(calls.all, total: result.memory.reduce(0) { $0 + $1.comparedPages })
        #expect(calls.all.first.map { $0.0 } == 0)
    }

    @Test("diff of compressed archives: monotone, ends at the total")
    func compressed() throws {
        let calls = Calls()
        let result = try diff(DiffFixture.open("podman/ck-basic.zstd.tar.zst"), DiffFixture.open("podman/ck-basic.gzip.tar.gz"),
                              progress: calls.add)
        #expect(!result.equal)
        Self.check(calls.all, total: result.memory.reduce(0) { $0 + $1.comparedPages })
    }

    @Test("no memory section, no calls; no reporter, the same result")
    func noMemory() throws {
        let a = try DiffFixture.open("raw/diff-pair/gen1"), b = try DiffFixture.open("raw/diff-pair/gen2")
        let calls = Calls()
        _ = try diff(a, b, options: DiffOptions(sections: [.processes]), progress: calls.add)
        #expect(calls.all.isEmpty)
        let with = try diff(a, b, progress: { _, _ in })
        let without = try diff(a, b)
        #expect(with.memory == without.memory)
    }

    @Test("opening a compressed archive reports compressed bytes read of the file size, every pass from 0")
    func archive() throws {
        let path = DiffFixture.path("podman/ck-basic.zstd.tar.zst")
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber).uint64Value
        let calls = Calls()
        let options = CheckpointSource.Options(progress: calls.add)
        #expect(options == CheckpointSource.Options())  // the reporter takes no part in equality
        let checkpoint = try Checkpoint.open(path, options: .init(source: options))
        Self.check(calls.all, total: size)
        // A later pass (reading memory of a compressed archive) reports again, from the start.
        let before = calls.all.count
        let pid = try #require(checkpoint.processes.first?.pid)
        _ = try checkpoint.commandLine(pid: pid)
        let later = Array(calls.all.dropFirst(before))
        #expect(!later.isEmpty)
        #expect(later.allSatisfy { $0.1 == size })
        #expect(zip(later, later.dropFirst()).allSatisfy { $0.0 <= $1.0 })
        // Directories make no calls.
        let quiet = Calls()
        _ = try Checkpoint.open(DiffFixture.path("raw/diff-pair/gen1"), options: .init(source: .init(progress: quiet.add)))
        #expect(quiet.all.isEmpty)
    }
}
