import Foundation
import Testing
@testable import CheckpointArchive

@Suite("Bounded resources")
struct LimitsTests {
    @Test func decompressionBombStopsAtTheLimit() throws {
        let temp = try TempDir()
        defer { temp.cleanup() }
        let size = 200 << 20
        let header = TarWriter.header(name: Array("checkpoint/pages-1.img".utf8), type: UInt8(ascii: "0"), size: .octal(UInt64(size)))
        try temp.write("header", header)
        try shell("cd '\(temp.path)' && (cat header; head -c \(size) /dev/zero; head -c 1024 /dev/zero) | zstd -q -1 > bomb.tar.zst")
        let compressed = try FileManager.default.attributesOfItem(atPath: temp.file("bomb.tar.zst"))[.size] as! Int
        #expect(compressed < 64 << 10)
        let error = try #require(archiveError {
            try CheckpointSource.open(path: temp.file("bomb.tar.zst"), options: .init(maxUncompressedBytes: 16 << 20))
        })
        #expect(error.code == .tooLarge)
        #expect(error.member == "checkpoint/pages-1.img")

        // Within the limit the big member is indexed, not kept, and streams back in full.
        let source = try CheckpointSource.open(path: temp.file("bomb.tar.zst"))
        let pages = try #require(try source.image(named: "pages-1.img"))
        #expect(pages.size == UInt64(size))
        #expect(source.retained.isEmpty)
        #expect(archiveError { try source.read(pages) }?.code == .tooLarge)
        var total = 0
        var nonZero = false
        try source.stream(pages, chunkSize: 1 << 20) { chunk in
            total += chunk.count
            if chunk.contains(where: { $0 != 0 }) { nonZero = true }
        }
        #expect(total == size)
        #expect(!nonZero)
    }

    @Test func runningDecompressedTotalIsChecked() throws {
        let temp = try TempDir()
        defer { temp.cleanup() }
        var tar = TarWriter()
        for i in 0..<20 { tar.file("checkpoint/data-\(i).img", [UInt8](repeating: UInt8(i), count: 1 << 20)) }
        tar.finish()
        try temp.write("many.tar", tar.bytes)
        try shell("cd '\(temp.path)' && zstd -q -1 -c many.tar > many.tar.zst")
        let error = try #require(archiveError {
            try CheckpointSource.open(path: temp.file("many.tar.zst"), options: .init(maxUncompressedBytes: 8 << 20))
        })
        #expect(error.code == .tooLarge)
        // data-7.img's data would end at 8 MiB + 8 headers: past the limit.
        #expect(error.member == "checkpoint/data-7.img")
        // The retained total is capped too: later members are indexed but not kept.
        let source = try CheckpointSource.open(path: temp.file("many.tar.zst"), options: .init(retainedLimit: 5 << 20))
        #expect(source.retained.count == 5)
        let last = try #require(try source.image(named: "data-19.img"))
        #expect(try source.read(last, at: 1000, count: 3) == [19, 19, 19])
    }

    /// Page dumps of a compressed archive are never kept in memory by the index pass, however small.
    @Test func pageDumpsAreNotRetained() throws {
        let temp = try TempDir()
        defer { temp.cleanup() }
        var tar = TarWriter()
        tar.file("checkpoint/inventory.img", [1, 2, 3])
        tar.file("checkpoint/pages-1.img", [UInt8](repeating: 7, count: 8192))
        tar.finish()
        try temp.write("small.tar", tar.bytes)
        try shell("cd '\(temp.path)' && zstd -q -1 -c small.tar > small.tar.zst")
        let source = try CheckpointSource.open(path: temp.file("small.tar.zst"))
        #expect(source.retained.count == 1)
        let pages = try #require(try source.image(named: "pages-1.img"))
        #expect(try source.read(pages, at: 8000, count: 2) == [7, 7])
    }

    @Test func hundredThousandEmptyMembers() throws {
        let temp = try TempDir()
        defer { temp.cleanup() }
        var tar = TarWriter()
        let template = TarWriter.header(name: Array("checkpoint/e-000000".utf8), type: UInt8(ascii: "0"), size: .octal(0))
        var bytes = [UInt8]()
        bytes.reserveCapacity(100_000 * 512 + 1024)
        for i in 0..<100_000 {
            var h = template
            let digits = Array(String(i).utf8)
            // Rewrite the name's last six digits and fix the checksum by the difference.
            var sum = 0
            for (k, d) in digits.reversed().enumerated() {
                let at = 18 - k
                sum += Int(d) - Int(h[at])
                h[at] = d
            }
            let old = Int(String(decoding: h[148..<154], as: UTF8.self), radix: 8)!
            let new = Array(String(old + sum, radix: 8).utf8)
            let padded = [UInt8](repeating: UInt8(ascii: "0"), count: 6 - new.count) + new
            h.replaceSubrange(148..<154, with: padded)
            bytes += h
        }
        tar.raw(bytes)
        tar.finish()
        let path = try temp.write("many.tar", tar.bytes)
        let clock = ContinuousClock()
        let start = clock.now
        let source = try CheckpointSource.open(path: path)
        let elapsed = clock.now - start
        #expect(source.members.count == 100_000)
        #expect(elapsed < .seconds(30))
        #expect(try source.member(named: "checkpoint/e-099999")?.size == 0)
        #expect(try source.read(try #require(try source.member(named: "checkpoint/e-012345"))) == [])
        let limited = archiveError { try CheckpointSource.open(path: path, options: .init(maxMembers: 1000)) }
        #expect(limited?.code == .tooLarge)
    }

    @Test func sparseLookingPlainTarIsIndexedWithoutReadingData() throws {
        let temp = try TempDir()
        defer { temp.cleanup() }
        let size: UInt64 = 256 << 20
        var tar = TarWriter()
        tar.file("checkpoint/inventory.img", [1, 2, 3])
        tar.raw(TarWriter.header(name: Array("checkpoint/pages-1.img".utf8), type: UInt8(ascii: "0"), size: .octal(size)))
        let head = try temp.write("big.tar", tar.bytes)
        // Extend with a hole (no disk use), then append the next member and the end marker.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: head))
        try handle.truncate(atOffset: UInt64(tar.bytes.count) + size)
        try handle.seekToEnd()
        var tail = TarWriter()
        tail.file("checkpoint/after.img", [4, 5])
        tail.finish()
        try handle.write(contentsOf: Data(tail.bytes))
        try handle.close()
        let source = try CheckpointSource.open(path: head)
        #expect(source.members.map(\.path) == ["checkpoint/inventory.img", "checkpoint/pages-1.img", "checkpoint/after.img"])
        #expect(source.indexBytesRead < 256 << 10)
        let after = try #require(try source.image(named: "after.img"))
        #expect(after.dataOffset == 1024 + 512 + size + 512)
        #expect(try source.read(after) == [4, 5])
        let pages = try #require(try source.image(named: "pages-1.img"))
        #expect(try source.read(pages, at: size - 4, count: 8) == [0, 0, 0, 0])
    }
}
