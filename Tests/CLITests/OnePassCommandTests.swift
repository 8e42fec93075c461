import Foundation
import Testing

/// The commands that ride on the opening pass of a compressed archive give what they give on the
/// plain tar of the same checkpoint.
@Suite("One pass, commands")
struct OnePassCommandTests {
    static let plain = CLI.fixture("podman/ck-basic.none.tar")

    /// The plain tar recompressed (the fixtures' .tar.zst and .tar.gz are checkpoints of their own).
    static func compressed(in dir: URL) throws -> [String] {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let zst = dir.appendingPathComponent("ck.tar.zst").path, gz = dir.appendingPathComponent("ck.tar.gz").path
        for script in ["zstd -q -c '\(plain)' > '\(zst)'", "gzip -c '\(plain)' > '\(gz)'"] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = ["-c", script]
            try p.run()
            p.waitUntilExit()
        }
        return [zst, gz]
    }

    @Test func memDumpWritesTheSameFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onepass-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let compressed = try Self.compressed(in: dir)
        for selection in [["--pid", "7"], ["--pid", "7", "--vma", "0x10000000"], ["--pid", "8", "--range", "0x400000-0x500000"]] {
            let reference = dir.appendingPathComponent("plain-\(selection.joined())").path
            let expected = try CLI.run(["mem", "dump", Self.plain, "-o", reference] + selection)
            #expect(expected.status == 0, "\(expected.stderr)")
            let files = try FileManager.default.contentsOfDirectory(atPath: reference).sorted()
            #expect(!files.isEmpty)
            for (k, archive) in compressed.enumerated() {
                let out = dir.appendingPathComponent("c\(k)-\(selection.joined())").path
                let result = try CLI.run(["mem", "dump", archive, "-o", out] + selection)
                #expect(result.status == 0, "\(result.stderr)")
                #expect(result.stdout.replacingOccurrences(of: out, with: reference) == expected.stdout)
                #expect(try FileManager.default.contentsOfDirectory(atPath: out).sorted() == files)
                for name in files {
                    let a = try Data(contentsOf: URL(fileURLWithPath: reference + "/" + name))
                    let b = try Data(contentsOf: URL(fileURLWithPath: out + "/" + name))
                    #expect(a == b, "\(name) of \(archive)")
                    let mode = try FileManager.default.attributesOfItem(atPath: out + "/" + name)[.posixPermissions] as? Int
                    #expect(mode == 0o600)
                }
            }
        }
        // No VMA there: a usage error, after the archive was read, and nothing written.
        let none = try CLI.run(["mem", "dump", compressed[0], "--pid", "7", "--vma", "0x1", "-o", dir.appendingPathComponent("none").path])
        #expect(none.status == 2, "\(none.stderr)")
        #expect(none.stderr.contains("--vma 0x1: no VMA of pid 7 in "), "\(none.stderr)")
    }

    @Test func searchAndPsGiveTheSameOutput() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onepass-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let compressed = try Self.compressed(in: dir)
        for arguments in [["search", "CKPT-MARKER"], ["search", "--regex", "CKPT-[A-Z]+"], ["ps"], ["inspect", "--all"], ["ps", "--format", "json"]] {
            func run(_ archive: String) throws -> CLI.Result {
                try CLI.run(arguments.count > 1 && arguments[0] == "search" ? [arguments[0], archive] + arguments.dropFirst() : arguments + [archive])
            }
            let expected = try run(Self.plain)
            for archive in compressed {
                let result = try run(archive)
                #expect(result.status == expected.status)
                let normalised = arguments[0] == "inspect"
                    ? result.stdout.components(separatedBy: "\n").filter { !$0.contains("Checkpoint size") && !$0.contains(archive) }
                    : result.stdout.components(separatedBy: "\n")
                let reference = arguments[0] == "inspect"
                    ? expected.stdout.components(separatedBy: "\n").filter { !$0.contains("Checkpoint size") && !$0.contains(Self.plain) }
                    : expected.stdout.components(separatedBy: "\n")
                #expect(normalised == reference, "\(arguments) on \(archive)")
            }
        }
    }
}
