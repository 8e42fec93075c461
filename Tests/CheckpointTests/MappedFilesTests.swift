import Checkpoint
import CRIUImages
import Foundation
import Testing

@Suite struct MappedFilesTests {
    /// The forensic fixture's deleted executable, from its ghost file (one chunk of 16384 bytes).
    static func ghostBinary() throws -> [UInt8] {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Fixture.path("raw/forensic/ghost-file-1.img"))))
        let image = try ImageFile.parse(bytes, fileName: "ghost-file-1.img")
        guard case .bytes(let range)? = image.entries[1].extra else { throw CocoaError(.fileReadCorruptFile) }
        return Array(bytes[range])
    }

    /// A root file system holding `binary` where pid 7059 mapped its executable.
    static func rootfs(_ binary: [UInt8]) throws -> URL {
        let root = try Fixture.temporaryDirectory()
        let dir = root.appendingPathComponent("tmp/newfx/run/dev")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Data(binary).write(to: dir.appendingPathComponent("dev-vanish"))
        return root
    }

    /// The ELF header page of pid 7059's executable was not dumped (notes/forensic.txt: r--p at
    /// 0x5556761a4000, offset 0): with the binary in a root file system it reads from there, named
    /// as such; its build ID (files.img) matches the ghost file's.
    @Test func fileBackedPagesFromTheRootFileSystem() throws {
        let binary = try Self.ghostBinary()
        #expect(binary.count == 16384 && binary.prefix(4) == [0x7F, 0x45, 0x4C, 0x46])
        let root = try Self.rootfs(binary)
        defer { try? FileManager.default.removeItem(at: root) }
        let c = try Checkpoint.open(Fixture.path("raw/forensic"))
        let space = try #require(try c.addressSpace(7059))
        let plain = try c.readMemory(in: space, address: 0x5556_761a_4000, length: 0x1000)
        #expect(plain.map(\.hole) == [.fileBacked])
        let files = try MappedFiles(rootfs: root.path)
        let filled = try c.readMemory(in: space, address: 0x5556_761a_4000 + 0xff0, length: 0x20, files: files)
        // The first page from the file; the next (r-xp at offset 0x1000) was dumped.
        #expect(filled.count == 2)
        #expect(filled[0].bytes == Array(binary[0xff0..<0x1000]) && filled[0].hole == nil)
        #expect(filled[0].origin == MappedFileOrigin(path: "/tmp/newfx/run/dev/dev-vanish", source: "rootfs \(root.path)", offset: 0xff0))
        #expect(filled[1].file != nil && filled[1].origin == nil && filled[1].bytes == Array(binary[0x1000..<0x1010]))
        #expect(files.refusals.isEmpty)
        // The last page of the mapping at offset 0x3000 (rw-p, dumped) and r--p 0x5556761a6000 at offset 0x2000 (not dumped).
        let rodata = try c.readMemory(in: space, address: 0x5556_761a_6000, length: 0x1000, files: files)
        #expect(rodata.map(\.bytes) == [Array(binary[0x2000..<0x3000])])
    }

    /// A file that is not the one mapped (another size, another build ID), or one a symbolic link
    /// would reach outside the root, is not used: its pages stay holes, and the refusal says why.
    @Test func otherFilesAreRefused() throws {
        var binary = try Self.ghostBinary()
        let c = try Checkpoint.open(Fixture.path("raw/forensic"))
        let space = try #require(try c.addressSpace(7059))
        let longer = try Self.rootfs(binary + [0])
        defer { try? FileManager.default.removeItem(at: longer) }
        let a = try MappedFiles(rootfs: longer.path)
        #expect(try c.readMemory(in: space, address: 0x5556_761a_4000, length: 16, files: a).map(\.hole) == [.fileBacked])
        #expect(a.refusals.map(\.reason) == ["\(longer.path)/tmp/newfx/run/dev/dev-vanish: 16385 bytes, the mapped file had 16384"])
        // One byte of the build ID changed: the NT_GNU_BUILD_ID note (type 3, name "GNU") at 0x358.
        #expect(binary[0x358..<0x368] == [4, 0, 0, 0, 20, 0, 0, 0, 3, 0, 0, 0, 0x47, 0x4E, 0x55, 0])
        binary[0x368] ^= 0xFF
        let other = try Self.rootfs(binary)
        defer { try? FileManager.default.removeItem(at: other) }
        let b = try MappedFiles(rootfs: other.path)
        #expect(try c.readMemory(in: space, address: 0x5556_761a_4000, length: 16, files: b).map(\.hole) == [.fileBacked])
        #expect(b.refusals.map(\.reason) == ["\(other.path)/tmp/newfx/run/dev/dev-vanish: another build ID than the mapped file's"])
        // `tmp` a symbolic link to a directory outside the root that has the right file: not followed out.
        let outside = try Self.rootfs(try Self.ghostBinary())
        defer { try? FileManager.default.removeItem(at: outside) }
        let escape = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: escape) }
        try FileManager.default.createSymbolicLink(atPath: escape.appendingPathComponent("tmp").path, withDestinationPath: outside.appendingPathComponent("tmp").path)
        let d = try MappedFiles(rootfs: escape.path)
        #expect(try c.readMemory(in: space, address: 0x5556_761a_4000, length: 16, files: d).map(\.hole) == [.fileBacked])
        // The absolute link resolves inside the root, to itself again.
        #expect(d.refusals.map(\.reason) == ["\(escape.path)/tmp/newfx/run/dev/dev-vanish: Too many levels of symbolic links"])
    }

    /// A core with the root file system: the ELF header page is the segment's content (gdb can then
    /// relocate the program from the core alone), the libraries not found stay p_filesz 0.
    @Test func coreWithTheRootFileSystem() throws {
        let binary = try Self.ghostBinary()
        let root = try Self.rootfs(binary)
        defer { try? FileManager.default.removeItem(at: root) }
        let c = try Checkpoint.open(Fixture.path("raw/forensic"))
        let path = root.appendingPathComponent("7059.core").path
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0o600)
        defer { close(fd) }
        let summary = try ELFCoreWriter(checkpoint: c, pid: 7059, files: try MappedFiles(rootfs: root.path)).write(to: fd)
        #expect(summary.filledSegments == 2 && summary.filledBytes == 0x2000)
        let core = try CoreFile(path)
        #expect(core.read(0x5556_761a_4000, 0x1000) == Array(binary[0..<0x1000]))
        #expect(core.read(0x5556_761a_6000, 0x1000) == Array(binary[0x2000..<0x3000]))
        #expect(core.segments.first { $0.vaddr == 0x7f57_1cc4_3000 }?.fileSize == 0)
    }
}
