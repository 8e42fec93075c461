import Foundation
import Testing

/// `--rootfs DIR`: file-backed pages CRIU did not dump, read from the mapped files there.
@Suite struct RootfsOptionTests {
    /// A root file system holding the forensic fixture's deleted executable (from its ghost file)
    /// where pid 7059 mapped it; returns the directory and the binary.
    static func rootfs() throws -> (URL, Data) {
        let ghost = try CLI.run(["decode", CLI.fixture("raw/forensic/ghost-file-1.img")])
        guard case .array(let entries)? = try JSON.parse(ghost.stdout)["entries"], case .string(let extra)? = entries[1]["extra"],
              let binary = Data(base64Encoded: extra, options: .ignoreUnknownCharacters) else { throw CocoaError(.fileReadCorruptFile) }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("rootfs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("tmp/newfx/run/dev"), withIntermediateDirectories: true)
        try binary.write(to: root.appendingPathComponent("tmp/newfx/run/dev/dev-vanish"))
        return (root, binary)
    }

    @Test func memReadNamesTheFile() throws {
        let (root, _) = try Self.rootfs()
        defer { try? FileManager.default.removeItem(at: root) }
        let args = ["mem", "read", CLI.fixture("raw/forensic"), "--pid", "7059", "--address", "0x5556761a4000", "--length", "32"]
        // Without --rootfs: the checkpoint's own copy, the ghost file of the deleted executable.
        let without = try CLI.run(args)
        #expect(without.stdout == """
            00005556761a4000  <from file /tmp/newfx/run/dev/dev-vanish (ghost file ghost-file:1) at offset 0x0: 32 bytes, not in the checkpoint>
            00005556761a4000  7f 45 4c 46 02 01 01 00  00 00 00 00 00 00 00 00  |.ELF............|
            00005556761a4010  03 00 3e 00 01 00 00 00  c0 10 00 00 00 00 00 00  |..>.............|

            """)
        #expect(without.stderr.isEmpty)
        // A file-backed page no copy is at hand for: a hole (libc's text).
        let libc = try CLI.run(["mem", "read", CLI.fixture("raw/forensic"), "--pid", "7059", "--address", "0x7f571cc43000", "--length", "16"])
        #expect(libc.stdout == "00007f571cc43000  <file-backed: 16 bytes not in the checkpoint>\n")
        let with = try CLI.run(args + ["--rootfs", root.path])
        #expect(with.status == 0, "\(with.stderr)")
        #expect(with.stdout == """
            00005556761a4000  <from file /tmp/newfx/run/dev/dev-vanish (rootfs \(root.path)) at offset 0x0: 32 bytes, not in the checkpoint>
            00005556761a4000  7f 45 4c 46 02 01 01 00  00 00 00 00 00 00 00 00  |.ELF............|
            00005556761a4010  03 00 3e 00 01 00 00 00  c0 10 00 00 00 00 00 00  |..>.............|

            """)
        let missing = try CLI.run(args + ["--rootfs", root.appendingPathComponent("nope").path])
        #expect(missing.status == 2)
        #expect(missing.stderr.hasPrefix("ckpt-inspect: \(root.appendingPathComponent("nope").path): cannot open the root file system: "))
    }

    /// mem dump writes the file's bytes into the region files and lists them in holes.txt as from
    /// the file; files not found are named on stderr and stay holes.
    @Test func memDumpWritesFromTheFile() throws {
        let (root, binary) = try Self.rootfs()
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("out")
        let result = try CLI.run(["mem", "dump", CLI.fixture("raw/forensic"), "--pid", "7059", "-o", out.path, "--rootfs", root.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("8.0 KiB in 2 ranges from the mapped files"), "\(result.stdout)")
        #expect(result.stderr.contains("ckpt-inspect: \(root.path)/usr/lib/x86_64-linux-gnu/libc.so.6: No such file or directory (its pages stay holes)\n"))
        let holes = try String(contentsOf: out.appendingPathComponent("7059-holes.txt"), encoding: .utf8)
        #expect(holes.hasPrefix("5556761a4000-5556761a5000 from file /tmp/newfx/run/dev/dev-vanish (rootfs \(root.path)) at offset 0x0\n"), "\(holes)")
        #expect(holes.contains("5556761a6000-5556761a7000 from file /tmp/newfx/run/dev/dev-vanish (rootfs \(root.path)) at offset 0x2000\n"))
        #expect(holes.contains("7f571cc43000-7f571cd99000 file-backed\n"))
        let header = try Data(contentsOf: out.appendingPathComponent("7059-5556761a4000-5556761a5000.bin"))
        #expect(header == binary.prefix(0x1000))
    }
}
