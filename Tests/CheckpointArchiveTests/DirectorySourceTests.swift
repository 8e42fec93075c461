import Foundation
import Testing
@testable import CheckpointArchive

@Suite("Directory sources")
struct DirectorySourceTests {
    @Test func bareImagesDirectory() throws {
        let source = try CheckpointSource.open(path: Fixture.raw("marker-static"))
        #expect(source.kind == .directory)
        #expect(source.imagesDirectory == "")
        #expect(source.root == CheckpointSource.parentDirectory(of: try #require(source.base)))
        #expect(source.members.map(\.path).contains("pages-1.img"))
        let inventory = try #require(try source.member(named: "checkpoint/inventory.img"))
        #expect(inventory.path == "inventory.img")
        #expect(try source.image(named: "inventory.img") == inventory)
        #expect(try source.read(inventory) == (try readFile(Fixture.raw("marker-static/inventory.img"))))
        let pages = try #require(try source.image(named: "pages-1.img"))
        let whole = try readFile(Fixture.raw("marker-static/pages-1.img"))
        #expect(pages.size == UInt64(whole.count))
        #expect(try source.read(pages, at: 100, count: 5000) == Array(whole[100..<5100]))
        var streamed: [UInt8] = []
        try source.stream(pages, chunkSize: 3000) { streamed += $0 }
        #expect(streamed == whole)
    }

    @Test func incrementalParentChainResolvesToSiblings() throws {
        let source = try CheckpointSource.open(path: Fixture.raw("incremental/dump"))
        #expect(source.imagesDirectory == "")
        let link = try #require(source.members.first { $0.path == "parent" })
        #expect(link.kind == .symlink)
        #expect(link.linkTarget == "../pre2")
        let parent = try #require(try source.member(named: "parent"))
        #expect(parent.kind == .directory)
        #expect(parent.path == "../pre2")
        #expect(parent.index == nil)
        let pre2Pages = try #require(try source.member(named: "parent/pages-1.img"))
        #expect(pre2Pages.path == "../pre2/pages-1.img")
        #expect(pre2Pages.size == 0)
        #expect(try source.read(pre2Pages) == [])
        let pre1Pages = try #require(try source.member(named: "checkpoint/parent/parent/pages-1.img"))
        #expect(pre1Pages.path == "../pre1/pages-1.img")
        #expect(pre1Pages.size == 147_456)
        let direct = try readFile(Fixture.raw("incremental/pre1/pages-1.img"))
        #expect(try source.read(pre1Pages) == direct)
        #expect(try source.read(pre1Pages, at: 4096, count: 8192) == Array(direct[4096..<12288]))
        #expect(try source.image(named: "parent/parent/inventory.img")?.size == 20)
        // A member listed in the opened directory comes back with its index.
        #expect(try source.member(named: "parent/../dump/inventory.img")?.index != nil)
        // The chain ends: pre1 has no parent.
        #expect(try source.member(named: "parent/parent/parent") == nil)
    }

    @Test func explicitRootConfinesLinks() throws {
        let confined = try CheckpointSource.open(path: Fixture.raw("incremental/dump"), options: .init(root: Fixture.raw("incremental/dump")))
        let error = try #require(archiveError { try confined.member(named: "parent/pages-1.img") })
        #expect(error.code == .linkOutsideArchive)
        #expect(error.member == "parent")
        // `..` without a link stays inside the root too.
        #expect(try confined.member(named: "../pre1/pages-1.img") == nil)
        let wide = try CheckpointSource.open(path: Fixture.raw("incremental/dump"), options: .init(root: Fixture.root))
        #expect(try wide.member(named: "parent/parent/pages-1.img")?.size == 147_456)
        let outside = archiveError {
            try CheckpointSource.open(path: Fixture.raw("incremental/dump"), options: .init(root: Fixture.raw("marker-static")))
        }
        #expect(outside?.code == .invalidArgument)
    }

    @Test func extractedArchiveDirectoryWithHostileLinks() throws {
        let temp = try TempDir()
        defer { temp.cleanup() }
        try shell("""
            cd '\(temp.path)' && mkdir -p ck && tar -xf '\(Fixture.podman("ck-basic.none.tar"))' -C ck \
            && mkdir ck/pre-checkpoint && printf abc > ck/pre-checkpoint/pages-1.img \
            && ln -s ../pre-checkpoint ck/checkpoint/parent && ln -s /etc/passwd ck/checkpoint/passwd \
            && ln -s ../../secret ck/checkpoint/up && printf s > secret && ln -s loop ck/checkpoint/loop
            """)
        let source = try CheckpointSource.open(path: temp.file("ck"))
        #expect(source.imagesDirectory == "checkpoint")
        #expect(source.root == source.base)
        let pages = try #require(try source.member(named: "checkpoint/parent/pages-1.img"))
        #expect(pages.path == "pre-checkpoint/pages-1.img")
        #expect(pages.index != nil)
        #expect(try source.read(pages) == Array("abc".utf8))
        #expect(archiveError { try source.member(named: "checkpoint/passwd") }?.code == .linkOutsideArchive)
        #expect(archiveError { try source.member(named: "checkpoint/up") }?.code == .linkOutsideArchive)
        #expect(archiveError { try source.member(named: "checkpoint/loop") }?.code == .tooManyLinks)
        let passwd = try #require(source.members.first { $0.path == "checkpoint/passwd" })
        #expect(archiveError { try source.read(passwd) }?.code == .linkOutsideArchive)
        // The listing matches the archive's, plus the files added here.
        let plain = try CheckpointSource.open(path: Fixture.podman("ck-basic.none.tar"))
        let paths = Set(source.members.map(\.path))
        #expect(Set(plain.members.map(\.path)).isSubset(of: paths))
        for member in plain.members where member.kind == .file {
            let mine = try #require(try source.member(named: member.path))
            #expect(mine.size == member.size)
            #expect(mine.filePath == temp.file("ck/" + member.path))
        }
    }
}
