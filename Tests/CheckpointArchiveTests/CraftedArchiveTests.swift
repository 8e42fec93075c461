import Foundation
import Testing
@testable import CheckpointArchive

@Suite("Crafted archives")
struct CraftedArchiveTests {
    static let inventory: [UInt8] = Array(0..<86).map { UInt8($0) }
    static let pages: [UInt8] = (0..<(3 * 4096)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 9) }

    /// Writes `tar` plainly and gzip/zstd-compressed; returns the three paths.
    static func variants(_ tar: TarWriter, in temp: TempDir) throws -> [String] {
        let plain = try temp.write("t.tar", tar.bytes)
        try shell("cd '\(temp.path)' && gzip -c t.tar > t.tar.gz && zstd -q -c t.tar > t.tar.zst")
        return [plain, temp.file("t.tar.gz"), temp.file("t.tar.zst")]
    }

    @Test func dotSlashMembersWithoutCheckpointDirectory() throws {
        let temp = try TempDir()
        defer { temp.cleanup() }
        var tar = TarWriter()
        tar.file("./checkpoint/inventory.img", Self.inventory)
        tar.file(".//checkpoint//pages-1.img", Self.pages)
        tar.file("./config.dump", Array("{}".utf8))
        tar.finish()
        for path in try Self.variants(tar, in: temp) {
            let source = try CheckpointSource.open(path: path)
            #expect(source.imagesDirectory == "checkpoint")
            #expect(source.members.map(\.path) == ["checkpoint/inventory.img", "checkpoint/pages-1.img", "config.dump"])
            #expect(source.members[0].rawName == Array("./checkpoint/inventory.img".utf8))
            let inventory = try #require(try source.member(named: "checkpoint/inventory.img"))
            #expect(try source.read(inventory) == Self.inventory)
            #expect(try source.member(named: "./checkpoint/inventory.img") == inventory)
            #expect(try source.image(named: "pages-1.img")?.size == UInt64(Self.pages.count))
            // The implicit directory resolves to a synthesized directory member.
            let directory = try #require(try source.member(named: "checkpoint"))
            #expect(directory.kind == .directory)
            #expect(directory.index == nil)
            #expect(try source.member(named: "checkpoint/missing.img") == nil)
            #expect(archiveError { try source.read(directory) }?.code == .notARegularFile)
        }
    }

    @Test func bareImagesArchive() throws {
        let temp = try TempDir()
        defer { temp.cleanup() }
        var tar = TarWriter()
        tar.file("inventory.img", Self.inventory)
        tar.finish()
        let source = try CheckpointSource.open(path: try temp.write("bare.tar", tar.bytes))
        #expect(source.imagesDirectory == "")
        #expect(try source.member(named: "checkpoint/inventory.img")?.path == "inventory.img")
        #expect(try source.image(named: "inventory.img")?.size == 86)
    }

    @Test func parentSymlinkAndHardLinkResolveInsideTheArchive() throws {
        let temp = try TempDir()
        defer { temp.cleanup() }
        var tar = TarWriter()
        tar.directory("checkpoint/")
        tar.file("checkpoint/inventory.img", Self.inventory)
        tar.symlink("checkpoint/parent", to: "../pre-checkpoint")
        tar.directory("pre-checkpoint/")
        tar.file("pre-checkpoint/pages-1.img", Self.pages)
        tar.symlink("pre-checkpoint/parent", to: "../pre-pre")
        tar.file("pre-pre/pages-1.img", [1, 2, 3])
        tar.hardlink("checkpoint/pages-copy.img", to: "pre-checkpoint/pages-1.img")
        tar.finish()
        for path in try Self.variants(tar, in: temp) {
            let source = try CheckpointSource.open(path: path, options: .init(inMemoryLimit: 1024))
            let link = try #require(source.members.first { $0.path == "checkpoint/parent" })
            #expect(link.kind == .symlink)
            #expect(link.linkTarget == "../pre-checkpoint")
            let parent = try #require(try source.member(named: "checkpoint/parent"))
            #expect(parent.kind == .directory)
            #expect(parent.path == "pre-checkpoint")
            let pages = try #require(try source.member(named: "checkpoint/parent/pages-1.img"))
            #expect(pages.path == "pre-checkpoint/pages-1.img")
            #expect(try source.read(pages) == Self.pages)
            let grand = try #require(try source.member(named: "checkpoint/parent/parent/pages-1.img"))
            #expect(grand.path == "pre-pre/pages-1.img")
            #expect(try source.read(grand) == [1, 2, 3])
            let hard = try #require(source.members.first { $0.path == "checkpoint/pages-copy.img" })
            #expect(hard.kind == .hardlink)
            #expect(try source.resolve(hard) == pages)
            #expect(try source.read(hard) == Self.pages)
            #expect(try source.member(named: "checkpoint/pages-copy.img") == pages)
        }
    }

    @Test func linksLeavingTheArchiveAreReportedNotFollowed() throws {
        let temp = try TempDir()
        defer { temp.cleanup() }
        var tar = TarWriter()
        tar.file("checkpoint/inventory.img", Self.inventory)
        tar.symlink("checkpoint/passwd", to: "/etc/passwd")
        tar.symlink("checkpoint/up", to: "../../etc/passwd")
        tar.symlink("checkpoint/updir", to: "../..")
        tar.hardlink("checkpoint/hard", to: "/etc/passwd")
        tar.symlink("checkpoint/loop-a", to: "loop-b")
        tar.symlink("checkpoint/loop-b", to: "loop-a")
        tar.symlink("checkpoint/dangling", to: "nothing-here")
        tar.finish()
        for path in try Self.variants(tar, in: temp) {
            let source = try CheckpointSource.open(path: path)
            for name in ["checkpoint/passwd", "checkpoint/up", "checkpoint/updir/etc/passwd", "checkpoint/hard"] {
                let error = archiveError { try source.member(named: name) }
                #expect(error?.code == .linkOutsideArchive, "\(name)")
                let member = try #require(source.members.first { $0.path == name.split(separator: "/").prefix(2).joined(separator: "/") })
                #expect(archiveError { try source.read(member) }?.code == .linkOutsideArchive)
            }
            let error = try #require(archiveError { try source.member(named: "checkpoint/passwd") })
            #expect(error.member == "checkpoint/passwd")
            #expect(error.description.contains("/etc/passwd"))
            #expect(archiveError { try source.member(named: "checkpoint/loop-a") }?.code == .tooManyLinks)
            #expect(try source.member(named: "checkpoint/dangling") == nil)
            let dangling = try #require(source.members.first { $0.path == "checkpoint/dangling" })
            #expect(archiveError { try source.read(dangling) }?.code == .memberNotFound)
        }
    }

    @Test func dotDotAndNonUTF8NamesAreKeptAsBytes() throws {
        let temp = try TempDir()
        defer { temp.cleanup() }
        let weird: [UInt8] = Array("checkpoint/bad".utf8) + [0xff, 0x1b] + Array("[31mred".utf8)
        var tar = TarWriter()
        tar.file("../escape.txt", Array("outside?".utf8))
        tar.file("checkpoint/../../also-escape", [9])
        tar.file(weird, [7, 7])
        tar.pax([("path", "checkpoint/caf\u{e9}-\u{202e}txt.img")])
        tar.file("ignored-by-pax", [1])
        tar.finish()
        for path in try Self.variants(tar, in: temp) {
            let source = try CheckpointSource.open(path: path)
            #expect(source.members.count == 4)
            let escape = source.members[0]
            #expect(escape.path == "../escape.txt")
            // Found by its exact name, and readable: nothing is ever written to disk.
            #expect(try source.member(named: "../escape.txt") == escape)
            #expect(try source.read(escape) == Array("outside?".utf8))
            #expect(source.members[1].path == "checkpoint/../../also-escape")
            // Resolving `..` never climbs out of the archive.
            #expect(try source.member(named: "checkpoint/../../escape.txt") == nil)
            #expect(try source.member(named: "x/../checkpoint/../../escape.txt") == nil)

            let bad = source.members[2]
            #expect(bad.rawName == weird)
            #expect(bad.escapedName == "checkpoint/bad\\xff\\x1b[31mred")
            #expect(!bad.escapedName.unicodeScalars.contains { $0.value < 0x20 })
            #expect(bad.path.contains("\u{fffd}"))
            #expect(try source.member(named: weird) == bad)
            #expect(try source.read(bad) == [7, 7])

            let pax = source.members[3]
            #expect(pax.path == "checkpoint/caf\u{e9}-\u{202e}txt.img")
            #expect(pax.escapedName == "checkpoint/caf\u{e9}-\\u{202e}txt.img")
        }
        #expect(ArchiveMember.escape(Array("a\\b\u{7f}".utf8)) == "a\\x5cb\\x7f")
        #expect(ArchiveMember.escape([0xc3]) == "\\xc3")
        #expect(ArchiveMember.escape([0xe2, 0x82]) == "\\xe2\\x82")
        #expect(ArchiveMember.escape([0xc0, 0xaf]) == "\\xc0\\xaf")  // overlong '/'
    }

    @Test func emptyAndNonArchiveFiles() throws {
        let temp = try TempDir()
        defer { temp.cleanup() }
        let empty = try #require(archiveError { try CheckpointSource.open(path: try! temp.write("empty.tar", [])) })
        #expect(empty.code == .notAnArchive)
        #expect(empty.description.contains("empty"))
        let text = try #require(archiveError { try CheckpointSource.open(path: try! temp.write("x.tar", Array("hello, world\n".utf8))) })
        #expect(text.code == .notAnArchive)
        #expect(text.description.contains("68 65 6c 6c 6f"))
        #expect(archiveError { try CheckpointSource.open(path: temp.file("missing.tar")) }?.code == .notFound)
        // gzip magic, then not a tar inside.
        try shell("printf 'not a tar at all' | gzip -c > '\(temp.file("notar.gz"))'")
        #expect(archiveError { try CheckpointSource.open(path: temp.file("notar.gz")) }?.code == .notAnArchive)
    }

    @Test func truncatedArchivesNameTheMember() throws {
        let temp = try TempDir()
        defer { temp.cleanup() }
        let whole = try readFile(Fixture.podman("ck-basic.none.tar"))
        let cut = 97280 + 40_000  // in the middle of checkpoint/pages-1.img, whose data starts at 97280
        try temp.write("cut.tar", Array(whole[..<cut]))
        let source = try CheckpointSource.open(path: temp.file("cut.tar"))
        let damage = try #require(source.damage)
        #expect(damage.code == .truncated)
        #expect(damage.member == "checkpoint/pages-1.img")
        #expect(damage.fileOffset == UInt64(cut))
        #expect(damage.streamOffset == nil)
        #expect(damage.memberBytesRead == 40_000)
        #expect(damage.description == "\(temp.file("cut.tar")): member checkpoint/pages-1.img: truncated: the file ends at byte \(cut) (40000 bytes into the member)")
        // Everything before the cut is indexed and readable; the cut member up to the cut.
        let pages = try #require(try source.image(named: "pages-1.img"))
        #expect(source.availableSize(of: pages) == 40_000)
        #expect(try source.read(pages, at: 36_000, count: 4000).count == 4000)
        #expect(try source.read(#require(try source.image(named: "inventory.img"))).count == 86)
        let error = try #require(archiveError { try source.read(pages) })
        #expect(error.code == .truncated && error.member == "checkpoint/pages-1.img", "\(error)")
        #expect(try source.image(named: "pstree.img") == nil)  // after the cut

        try shell("cd '\(temp.path)' && zstd -q -c cut.tar > cut.tar.zst && gzip -c cut.tar > cut.tar.gz")
        let compressedSize = try [temp.file("cut.tar.zst"), temp.file("cut.tar.gz")].map { UInt64(try readFile($0).count) }
        for (name, size) in zip(["cut.tar.zst", "cut.tar.gz"], compressedSize) {
            for limit: UInt64 in [16 << 20, 1024] {  // kept in memory, or drained
                let source = try CheckpointSource.open(path: temp.file(name), options: .init(inMemoryLimit: limit))
                let damage = try #require(source.damage, "\(name)")
                #expect(damage.code == .truncated, "\(name): \(damage)")
                #expect(damage.member == "checkpoint/pages-1.img", "\(name): \(damage)")
                // The file given ends at its size; the decompressed stream at the cut. Of the cut
                // member, what the decompressor delivered before the cut is readable (libarchive may
                // hold back the last block).
                #expect(damage.fileOffset == size, "\(name): \(damage)")
                #expect(damage.streamOffset == UInt64(cut), "\(name): \(damage)")
                let delivered = try #require(damage.memberBytesRead)
                #expect(delivered <= 40_000, "\(name): \(damage)")
                #expect(damage.description.contains("decompressed tar stream: byte \(cut)"), "\(name): \(damage)")
                let pages = try #require(try source.image(named: "pages-1.img"))
                #expect(source.availableSize(of: pages) == delivered)
                if delivered >= 4096 { #expect(try source.read(pages, at: 0, count: 4096).count == 4096) }
                let error = try #require(archiveError { try source.read(pages) })
                #expect(error.code == .truncated, "\(name): \(error)")
            }
        }
        // The compressed stream itself cut short.
        let zst = try readFile(Fixture.podman("ck-basic.zstd.tar.zst"))
        try temp.write("half.tar.zst", Array(zst[..<(zst.count / 2)]))
        let gz = try readFile(Fixture.podman("ck-basic.gzip.tar.gz"))
        try temp.write("half.tar.gz", Array(gz[..<(gz.count / 2)]))
        for name in ["half.tar.zst", "half.tar.gz"] {
            let damage = try #require(archiveDamage { try CheckpointSource.open(path: temp.file(name)) })
            #expect(damage.code == .truncated, "\(name): \(damage)")
            #expect(damage.member != nil, "\(name): \(damage)")
        }
        // Cut inside a header: the members before it are kept, no member is named.
        try temp.write("header.tar", Array(whole[..<(97280 - 300)]))
        let header = try #require(archiveDamage { try CheckpointSource.open(path: temp.file("header.tar")) })
        #expect(header.code == .truncated)
        #expect(header.member == nil)  // the cut is in a header, not in the previous member
        // Cut before the first member's data: nothing is readable, so the open fails.
        try temp.write("start.tar", Array(whole[..<300]))
        #expect([.truncated, .notAnArchive].contains(archiveError { try CheckpointSource.open(path: temp.file("start.tar")) }?.code))
    }

    @Test(arguments: ["ck-basic.gzip.tar.gz", "ck-basic.zstd.tar.zst"])
    func corruptCompressedStreams(_ name: String) throws {
        let temp = try TempDir()
        defer { temp.cleanup() }
        var bytes = try readFile(Fixture.podman(name))
        for i in stride(from: bytes.count / 3, to: bytes.count / 3 + 64, by: 1) { bytes[i] ^= 0x5a }
        let path = try temp.write("bad-" + name, bytes)
        // Either the damage comes after readable members (they are kept, the damage is recorded), or
        // nothing before it can be decompressed (a single zstd block: the open fails).
        do {
            let source = try CheckpointSource.open(path: path)
            let damage = try #require(source.damage)
            #expect(damage.code == .corrupt, "\(damage)")
            #expect(damage.streamOffset != nil)
            #expect(damage.fileOffset >= UInt64(bytes.count / 3), "\(damage)")
            #expect(!source.members.isEmpty)
        } catch let error as ArchiveError {
            #expect(error.code == .corrupt, "\(error)")
            #expect(error.offset != nil)
        }
    }

    @Test func corruptTarHeaderChecksum() throws {
        let temp = try TempDir()
        defer { temp.cleanup() }
        var tar = TarWriter()
        tar.file("checkpoint/inventory.img", Self.inventory)
        tar.file("checkpoint/b.img", [1])
        tar.finish()
        var bytes = tar.bytes
        bytes[1024 + 10] ^= 0x01  // second header's name; checksum no longer matches
        let source = try CheckpointSource.open(path: try! temp.write("bad.tar", bytes))
        let damage = try #require(source.damage)
        #expect(damage.code == .corrupt, "\(damage)")
        #expect(damage.member == nil)  // a damaged header names no member
        #expect(source.members.map(\.path) == ["checkpoint/inventory.img"])
    }

    @Test func hugeSizeFieldsAllocateNothing() throws {
        let temp = try TempDir()
        defer { temp.cleanup() }
        let huge: UInt64 = 1 << 62
        var base256 = TarWriter()
        base256.file("checkpoint/inventory.img", Self.inventory)
        base256.raw(TarWriter.header(name: Array("checkpoint/pages-1.img".utf8), type: UInt8(ascii: "0"), size: .base256(huge)))
        base256.raw([UInt8](repeating: 0xaa, count: 4096))
        base256.finish()
        var pax = TarWriter()
        pax.file("checkpoint/inventory.img", Self.inventory)
        pax.pax([("size", String(huge))])
        pax.file("checkpoint/pages-1.img", [UInt8](repeating: 0xaa, count: 4096))
        pax.finish()
        var octal = TarWriter()  // the largest octal size: 8 GiB - 1
        octal.raw(TarWriter.header(name: Array("checkpoint/pages-1.img".utf8), type: UInt8(ascii: "0"), size: .octal(0o77777777777)))
        octal.raw([UInt8](repeating: 0, count: 512))
        octal.finish()
        for (label, tar) in [("base256", base256), ("pax", pax), ("octal", octal)] {
            let dir = temp.file(label)
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try Data(tar.bytes).write(to: URL(fileURLWithPath: dir + "/t.tar"))
            try shell("cd '\(dir)' && zstd -q -c t.tar > t.tar.zst")
            let plain = try #require(archiveDamage { try CheckpointSource.open(path: dir + "/t.tar") })
            #expect(plain.code == .truncated, "\(label): \(plain)")
            #expect(plain.member == "checkpoint/pages-1.img")
            let compressed = try #require(archiveError {
                try CheckpointSource.open(path: dir + "/t.tar.zst", options: .init(maxUncompressedBytes: 1 << 30))
            })
            #expect(compressed.code == .tooLarge, "\(label): \(compressed)")
            #expect(compressed.member == "checkpoint/pages-1.img")
            // Without a tight limit, the stream simply ends inside the member.
            if label != "octal" {
                do {
                    let unbounded = try CheckpointSource.open(path: dir + "/t.tar.zst")
                    #expect(unbounded.damage?.code == .truncated, "\(label): \(String(describing: unbounded.damage))")
                } catch {
                    #expect(error.code == .tooLarge, "\(label): \(error)")
                }
            }
        }
    }

    @Test func readRefusesMembersOverTheCap() throws {
        let temp = try TempDir()
        defer { temp.cleanup() }
        var tar = TarWriter()
        tar.file("checkpoint/pages-1.img", Self.pages)
        tar.finish()
        for path in try Self.variants(tar, in: temp) {
            let source = try CheckpointSource.open(path: path)
            let pages = try #require(try source.member(named: "checkpoint/pages-1.img"))
            let error = archiveError { try source.read(pages, maxBytes: 4096) }
            #expect(error?.code == .tooLarge)
            #expect(try source.read(pages, maxBytes: Self.pages.count) == Self.pages)
            // A member of another source is refused.
            let other = try CheckpointSource.open(path: Fixture.podman("ck-basic.none.tar"))
            let foreign = try #require(try other.member(named: "checkpoint/inventory.img"))
            #expect(archiveError { try source.read(foreign) }?.code == .memberNotFound)
        }
    }

    @Test func errorDescriptionsAndCodes() {
        let error = ArchiveError(.truncated, source: "ck.tar", member: "checkpoint/pages-1.img", offset: 123_456, message: "truncated")
        #expect(error.description == "ck.tar: member checkpoint/pages-1.img: truncated at byte 123456")
        #expect(ArchiveError(.notFound, source: "x", message: "no such file or directory").description == "x: no such file or directory")
        #expect(error == ArchiveError(.truncated, source: "ck.tar", member: "checkpoint/pages-1.img", offset: 123_456, message: "truncated"))
        #expect(ArchiveError.Code.corrupt != .truncated)
        #expect(ArchiveError.Code.linkOutsideArchive.description == "link outside archive")
    }
}
