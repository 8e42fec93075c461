import Foundation
import Testing
@testable import CheckpointArchive

/// `tar -tvf Fixtures/podman/ck-basic.none.tar`: name, size, kind, permissions.
let basicListing: [(String, UInt64, ArchiveMember.Kind, UInt32)] = [
    ("artifacts", 0, .directory, 0o755), ("devshm-checkpoint.tar", 1536, .file, 0o644),
    ("config.dump", 22819, .file, 0o600), ("spec.dump", 19795, .file, 0o600),
    ("network.status", 4, .file, 0o600), ("stats-dump", 48, .file, 0o644), ("ctr.log", 0, .file, 0o600),
    ("checkpoint", 0, .directory, 0o600), ("checkpoint/cgroup.img", 4614, .file, 0o644),
    ("checkpoint/core-1.img", 1844, .file, 0o644), ("checkpoint/core-7.img", 1835, .file, 0o644),
    ("checkpoint/core-8.img", 1824, .file, 0o644), ("checkpoint/core-9.img", 1865, .file, 0o644),
    ("checkpoint/descriptors.json", 43, .file, 0o600), ("checkpoint/fdinfo-2.img", 44, .file, 0o644),
    ("checkpoint/fdinfo-3.img", 44, .file, 0o644), ("checkpoint/fdinfo-4.img", 56, .file, 0o644),
    ("checkpoint/fdinfo-5.img", 44, .file, 0o644), ("checkpoint/files.img", 796, .file, 0o644),
    ("checkpoint/fs-1.img", 18, .file, 0o644), ("checkpoint/fs-7.img", 18, .file, 0o644),
    ("checkpoint/fs-8.img", 18, .file, 0o644), ("checkpoint/fs-9.img", 18, .file, 0o644),
    ("checkpoint/ids-1.img", 36, .file, 0o644), ("checkpoint/ids-7.img", 36, .file, 0o644),
    ("checkpoint/ids-8.img", 36, .file, 0o644), ("checkpoint/ids-9.img", 36, .file, 0o644),
    ("checkpoint/inventory.img", 86, .file, 0o644), ("checkpoint/ipcns-var-11.img", 82, .file, 0o644),
    ("checkpoint/mm-1.img", 539, .file, 0o644), ("checkpoint/mm-7.img", 566, .file, 0o644),
    ("checkpoint/mm-8.img", 539, .file, 0o644), ("checkpoint/mm-9.img", 539, .file, 0o644),
    ("checkpoint/mountpoints-13.img", 3545, .file, 0o644), ("checkpoint/pagemap-1.img", 126, .file, 0o644),
    ("checkpoint/pagemap-7.img", 142, .file, 0o644), ("checkpoint/pagemap-8.img", 126, .file, 0o644),
    ("checkpoint/pagemap-9.img", 126, .file, 0o644), ("checkpoint/pages-1.img", 77824, .file, 0o644),
    ("checkpoint/pages-2.img", 143360, .file, 0o644), ("checkpoint/pages-3.img", 61440, .file, 0o644),
    ("checkpoint/pages-4.img", 65536, .file, 0o644), ("checkpoint/pstree.img", 64, .file, 0o644),
    ("checkpoint/seccomp.img", 36492, .file, 0o644), ("checkpoint/timens-0.img", 34, .file, 0o644),
    ("checkpoint/tmpfs-dev-44.tar.gz.img", 367, .file, 0o644), ("checkpoint/tmpfs-dev-47.tar.gz.img", 231, .file, 0o644),
    ("checkpoint/tmpfs-dev-48.tar.gz.img", 95, .file, 0o644), ("checkpoint/tmpfs-dev-49.tar.gz.img", 95, .file, 0o644),
    ("checkpoint/tmpfs-dev-50.tar.gz.img", 95, .file, 0o644), ("checkpoint/utsns-12.img", 34, .file, 0o644),
    ("rootfs-diff.tar", 3072, .file, 0o644), ("deleted.files", 23, .file, 0o600),
]

@Suite("Podman fixtures")
struct FixtureArchiveTests {
    @Test func plainTarListingMatchesTar() throws {
        let source = try CheckpointSource.open(path: Fixture.podman("ck-basic.none.tar"))
        #expect(source.kind == .tar(.none))
        #expect(source.isSeekable)
        #expect(source.imagesDirectory == "checkpoint")
        #expect(source.members.count == basicListing.count)
        for (member, expected) in zip(source.members, basicListing) {
            #expect(member.path == expected.0)
            #expect(member.size == expected.1, "\(member.path)")
            #expect(member.kind == expected.2, "\(member.path)")
            #expect(member.mode == expected.3, "\(member.path)")
        }
        let inventory = try #require(try source.member(named: "checkpoint/inventory.img"))
        #expect(inventory.modificationTime == 1_795_960_909)
        #expect(inventory.dataOffset == 80896)  // Python tarfile's offset_data
        #expect(try source.member(named: "config.dump")?.dataOffset == 3072)
        #expect(try source.member(named: "checkpoint/pages-1.img")?.dataOffset == 97280)
        #expect(source.members.first?.rawName == Array("artifacts/".utf8))
        // Matches the live `tar -tvf` too (names and sizes).
        let tarLines = try shell("tar -tvf '\(Fixture.podman("ck-basic.none.tar"))'").split(separator: "\n")
        #expect(tarLines.count == source.members.count)
        for (line, member) in zip(tarLines, source.members) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            #expect(UInt64(fields[2]) == member.size)
            #expect(ArchiveMember.normalize(Array(fields[5].utf8)) == member.pathBytes)
        }
    }

    @Test func plainTarIsIndexedBySeeking() throws {
        let source = try CheckpointSource.open(path: Fixture.podman("ck-basic.none.tar"))
        let pageBytes = source.members.filter { $0.path.contains("pages-") }.reduce(0) { $0 + $1.size }
        let size = UInt64(try FileManager.default.attributesOfItem(atPath: source.path)[.size] as! Int)
        // At least the bulk of the page data was skipped, not read.
        #expect(source.indexBytesRead < size - pageBytes / 2)
    }

    @Test func dataOffsetsMatchLibarchiveAndTar() throws {
        let temp = try TempDir()
        defer { temp.cleanup() }
        try shell("tar -xf '\(Fixture.podman("ck-basic.none.tar"))' -C '\(temp.path)' && zstd -q -1 -c '\(Fixture.podman("ck-basic.none.tar"))' > '\(temp.file("re.tar.zst"))'")
        let plain = try CheckpointSource.open(path: Fixture.podman("ck-basic.none.tar"))
        let zstd = try CheckpointSource.open(path: temp.file("re.tar.zst"), options: .init(inMemoryLimit: 4096))
        #expect(zstd.kind == .tar(.zstd))
        for member in plain.members where member.kind == .file {
            let viaPread = try plain.read(member)
            let extracted = try readFile(temp.file(member.path))
            #expect(viaPread == extracted, "\(member.path)")
            let other = try #require(try zstd.member(named: member.path))
            #expect(try zstd.read(other) == extracted, "\(member.path)")
        }
    }

    @Test(arguments: ["ck-basic.gzip.tar.gz", "ck-basic.zstd.tar.zst"])
    func compressedFixturesListTheSameMembers(_ name: String) throws {
        let plain = try CheckpointSource.open(path: Fixture.podman("ck-basic.none.tar"))
        let source = try CheckpointSource.open(path: Fixture.podman(name))
        #expect(source.kind == .tar(name.hasSuffix("gz") ? .gzip : .zstd))
        #expect(!source.isSeekable)
        #expect(source.members.map(\.path) == plain.members.map(\.path))
        #expect(source.members.allSatisfy { $0.dataOffset == nil })
        // The three are separate checkpoints of one container: these differ in size.
        let differ: Set<String> = ["stats-dump", "checkpoint/timens-0.img"]
        for (a, b) in zip(source.members, plain.members) where !differ.contains(a.path) {
            #expect(a.size == b.size, "\(a.path)")
        }
        // config.dump is byte-identical in all three.
        let config = try #require(try source.member(named: "config.dump"))
        #expect(try source.read(config) == plain.read(try #require(try plain.member(named: "config.dump"))))
        // Each archive's inventory.img equals what tar extracts from it.
        let temp = try TempDir()
        defer { temp.cleanup() }
        try shell("tar -xf '\(Fixture.podman(name))' -C '\(temp.path)'")
        let inventory = try #require(try source.image(named: "inventory.img"))
        #expect(inventory.size == 86)
        let bytes = try source.read(inventory)
        #expect(bytes == (try readFile(temp.file("checkpoint/inventory.img"))))
        let directory = try CheckpointSource.open(path: temp.path)
        #expect(try directory.read(try #require(try directory.image(named: "inventory.img"))) == bytes)
    }

    @Test func sameArchiveInEveryCompressionGivesIdenticalBytes() throws {
        let temp = try TempDir()
        defer { temp.cleanup() }
        let tar = Fixture.podman("ck-basic.none.tar")
        try shell("""
            cd '\(temp.path)' && gzip -c '\(tar)' > a.gz && zstd -q -c '\(tar)' > a.zst && bzip2 -c '\(tar)' > a.bz2 \
            && xz -c '\(tar)' > a.xz && mkdir dir && tar -xf '\(tar)' -C dir
            """)
        let plain = try CheckpointSource.open(path: tar)
        let expected = try plain.read(try #require(try plain.image(named: "inventory.img")))
        let sources: [(String, CheckpointSource.Kind)] = [
            ("a.gz", .tar(.gzip)), ("a.zst", .tar(.zstd)), ("a.bz2", .tar(.bzip2)), ("a.xz", .tar(.xz)), ("dir", .directory),
        ]
        for (name, kind) in sources {
            let source = try CheckpointSource.open(path: temp.file(name))
            #expect(source.kind == kind)
            #expect(source.imagesDirectory == "checkpoint")
            let inventory = try #require(try source.member(named: "checkpoint/inventory.img"))
            #expect(try source.read(inventory) == expected, "\(name)")
            if kind != .directory {
                #expect(source.members.map(\.path) == plain.members.map(\.path))
                #expect(source.members.map(\.size) == plain.members.map(\.size))
            }
        }
    }

    @Test func positionalReadOfPlainTarEqualsStreamedCompressedSlice() throws {
        // ck-basic.gzip.tar.gz holds a byte-identical pages-1.img; a zstd copy of the plain tar too.
        let temp = try TempDir()
        defer { temp.cleanup() }
        try shell("zstd -q -c '\(Fixture.podman("ck-basic.none.tar"))' > '\(temp.file("x.tar.zst"))'")
        let plain = try CheckpointSource.open(path: Fixture.podman("ck-basic.none.tar"))
        let pages = try #require(try plain.member(named: "checkpoint/pages-1.img"))
        let offset: UInt64 = 4096 * 3 + 123
        let slice = try plain.read(pages, at: offset, count: 10_000)
        #expect(slice.count == 10_000)

        for path in [Fixture.podman("ck-basic.gzip.tar.gz"), temp.file("x.tar.zst")] {
            let compressed = try CheckpointSource.open(path: path, options: .init(inMemoryLimit: 64 << 10))
            let big = try #require(try compressed.member(named: "checkpoint/pages-1.img"))
            #expect(compressed.retained[big.index!] == nil)  // 77824 > 64 KiB: not kept
            var streamed: [UInt8] = []
            var chunks = 0
            try compressed.stream(big, chunkSize: 5000) { chunk in
                #expect(chunk.count <= 5000)
                chunks += 1
                streamed += chunk
            }
            #expect(streamed.count == 77824)
            #expect(chunks >= 16)
            #expect(Array(streamed[Int(offset)..<Int(offset) + 10_000]) == slice)
            #expect(try compressed.read(big, at: offset, count: 10_000) == slice)
            // Reading past the end returns what is there; an offset past the end is refused.
            #expect(try compressed.read(big, at: 77824 - 10, count: 100).count == 10)
            #expect(archiveError { try compressed.read(big, at: 77825, count: 1) }?.code == .invalidArgument)
        }
        #expect(try plain.read(pages, at: 77824 - 10, count: 100) == Array(try plain.read(pages)[(77824 - 10)...]))
    }

    @Test func secondPassDeliversManyMembersInArchiveOrder() throws {
        let source = try CheckpointSource.open(path: Fixture.podman("ck-basic.zstd.tar.zst"), options: .init(inMemoryLimit: 50_000))
        let plain = try CheckpointSource.open(path: Fixture.podman("ck-basic.zstd.tar.zst"))
        let wanted = try ["checkpoint/pages-4.img", "checkpoint/pages-1.img", "checkpoint/inventory.img", "checkpoint/pages-2.img"]
            .map { try #require(try source.member(named: $0)) }
        var order: [String] = []
        var data: [String: [UInt8]] = [:]
        try source.stream(wanted, chunkSize: 8192) { member, chunk in
            if order.last != member.path { order.append(member.path) }
            data[member.path, default: []] += chunk
        }
        #expect(order == ["checkpoint/inventory.img", "checkpoint/pages-1.img", "checkpoint/pages-2.img", "checkpoint/pages-4.img"])
        for member in wanted {
            #expect(data[member.path]?.count == Int(member.size))
            #expect(data[member.path] == (try plain.read(try #require(try plain.member(named: member.path)))))
        }
        // A body error stops the pass and comes out unchanged.
        struct Stop: Error, Equatable {}
        #expect(throws: Stop.self) { try source.stream(wanted[0]) { _ in throw Stop() } }
    }

    @Test func concurrentReadsShareOneSource() async throws {
        let plain = try CheckpointSource.open(path: Fixture.podman("ck-basic.none.tar"))
        let gzip = try CheckpointSource.open(path: Fixture.podman("ck-basic.gzip.tar.gz"), options: .init(inMemoryLimit: 1024))
        let names = ["checkpoint/pages-1.img", "config.dump", "checkpoint/seccomp.img", "checkpoint/inventory.img"]
        let expected = try names.map { try plain.read(try #require(try plain.member(named: $0))) }
        let results = try await withThrowingTaskGroup(of: (Int, [UInt8], [UInt8]).self) { group in
            for (i, name) in names.enumerated() {
                group.addTask {
                    let a = try plain.read(try #require(try plain.member(named: name)))
                    let b = try gzip.read(try #require(try gzip.member(named: name)))
                    return (i, a, b)
                }
            }
            var out: [(Int, [UInt8], [UInt8])] = []
            for try await result in group { out.append(result) }
            return out
        }
        #expect(results.count == names.count)
        for (i, a, b) in results {
            #expect(a == expected[i])
            if names[i] != "checkpoint/inventory.img" { #expect(b == expected[i], "\(names[i])") }
        }
    }

    @Test func compressionIsDetectedByMagicNotName() throws {
        let temp = try TempDir()
        defer { temp.cleanup() }
        try shell("cp '\(Fixture.podman("ck-basic.zstd.tar.zst"))' '\(temp.file("looks-like.tar.gz"))'")
        let source = try CheckpointSource.open(path: temp.file("looks-like.tar.gz"))
        #expect(source.kind == .tar(.zstd))
        #expect(Compression.detect([0x1f, 0x8b, 8]) == .gzip)
        #expect(Compression.detect([0x28, 0xb5, 0x2f, 0xfd]) == .zstd)
        #expect(Compression.detect(Array("BZh9".utf8)) == .bzip2)
        #expect(Compression.detect([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) == .xz)
        #expect(Compression.detect([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x01]) == nil)
        #expect(Compression.detect(Array(repeating: 0, count: 300)) == nil)
        var tar = TarWriter()
        tar.file("a", [1])
        #expect(Compression.detect(tar.bytes) == Compression.none)
    }

    @Test func stdinIsReadOnce() throws {
        let temp = try TempDir()
        defer { temp.cleanup() }
        for (options, bigReadable) in [(CheckpointSource.Options(), true), (.init(inMemoryLimit: 1000), false)] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/cat")
            process.arguments = [Fixture.podman("ck-basic.zstd.tar.zst")]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            try pipe.fileHandleForWriting.close()
            let source = try CheckpointSource.openStream(
                fileDescriptor: pipe.fileHandleForReading.fileDescriptor, name: "-", options: options)
            process.waitUntilExit()
            #expect(source.kind == .stdin(.zstd))
            #expect(source.members.count == basicListing.count)
            let inventory = try #require(try source.image(named: "inventory.img"))
            #expect(try source.read(inventory).count == 86)
            let pages = try #require(try source.image(named: "pages-1.img"))
            if bigReadable {
                #expect(try source.read(pages, at: 4096, count: 16).count == 16)
            } else {
                let error = archiveError { try source.read(pages) }
                #expect(error?.code == .notSeekable)
                #expect(error?.member == "checkpoint/pages-1.img")
            }
        }
    }
}
