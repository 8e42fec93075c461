import Foundation
import Testing
@testable import ckpt_inspect

/// Issue #9: no escape bytes into files and pipes, progress lines only on a terminal, `--quiet`.
@Suite("terminal manners")
struct TerminalMannersTests {
    static let escape = "\u{1B}"
    let zstd = CLI.fixture("podman/ck-basic.zstd.tar.zst")
    let gzip = CLI.fixture("podman/ck-basic.gzip.tar.gz")

    /// The command names `ckpt-inspect --help` lists, with `mem`'s subcommands as `mem read`, `mem dump`.
    static func subcommands() throws -> [[String]] {
        func names(_ help: String) -> [String] {
            guard let start = help.range(of: "SUBCOMMANDS:") else { return [] }
            return help[start.upperBound...].split(separator: "\n").compactMap { line in
                guard line.hasPrefix("  "), !line.hasPrefix("   ") else { return nil }
                let name = line.dropFirst(2).prefix { $0 != " " }
                // Command names are lower case ("  See 'ckpt-inspect help ...'" is not one).
                guard let first = name.first, first.isLowercase, name.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "-" }) else {
                    return nil
                }
                return String(name)
            }
        }
        var out: [[String]] = []
        for name in names(try CLI.run(["--help"]).stdout) {
            let nested = names(try CLI.run([name, "--help"]).stdout)
            if nested.isEmpty { out.append([name]) } else { out += nested.map { [name, $0] } }
        }
        return out
    }

    @Test("no escape bytes on stdout or stderr when they are files, on compressed archives")
    func noEscapesInFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("manners-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // A dumped address to read: the first hit of the marker string.
        let hits = try CLI.run(["search", zstd, "CKPT-MARKER-PODMAN", "--format", "json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(hits.stdout.utf8)) as? [String: Any])
        let first = try #require((object["hits"] as? [[String: Any]])?.first)
        let mapping = try #require((first["mappings"] as? [[String: Any]])?.first)
        let pid = String(try #require(mapping["pid"] as? Int)), address = try #require(mapping["address"] as? String)

        let runs: [[String]] = [
            ["show", zstd, gzip], ["show", zstd, "--format", "json"],
            ["inspect", zstd, "--all"], ["inspect", gzip, "--format", "json"],
            ["ps", zstd], ["files", zstd], ["sockets", gzip], ["mounts", zstd],
            ["maps", zstd], ["maps", gzip, "--summary"],
            ["search", zstd, "CKPT-MARKER-PODMAN", "--context", "16"], ["search", gzip, "NOT-IN-ANY-PAGE"],
            ["mem", "read", zstd, "--pid", pid, "--address", address, "--length", "4096"],
            ["mem", "dump", zstd, "--pid", pid, "-o", dir.appendingPathComponent("dump").path],
            ["diff", zstd, gzip], ["diff", zstd, CLI.fixture("podman/ck-vol.none.tar"), "--hexdump"],
            ["verify", zstd], ["verify", gzip, "--format", "json"],
            ["logs", zstd], ["report", zstd, "-o", dir.appendingPathComponent("r.html").path],
            ["list", CLI.fixture("podman")],
            ["info", CLI.fixture("raw/proc-tree/core-28759.img")],
        ]
        for arguments in runs {
            let r = try CLI.run(arguments)
            #expect(!r.stdout.contains(Self.escape), "stdout of \(arguments.joined(separator: " "))")
            #expect(!r.stderr.contains(Self.escape), "stderr of \(arguments.joined(separator: " "))")
            #expect(!r.stderr.contains("\r"), "stderr of \(arguments.joined(separator: " "))")
        }
        // Sanity: the commands did their work.
        #expect(try CLI.run(["mem", "read", zstd, "--pid", pid, "--address", address, "--length", "32"]).stdout.contains("CKPT-MARKER-POD"))
        #expect(try CLI.run(["diff", zstd, zstd]).status == 0)
        #expect(try CLI.run(["diff", zstd, gzip]).status == 1)  // two dumps of the same container
    }

    @Test("every subcommand takes -q / --quiet")
    func quietEverywhere() throws {
        let commands = try Self.subcommands()
        #expect(commands.count >= 17, "\(commands)")
        #expect(commands.contains(["mem", "read"]) && commands.contains(["mem", "dump"]) && commands.contains(["diff"]))
        for command in commands {
            let help = try CLI.run(command + ["--help"])
            #expect(help.stdout.contains("-q, --quiet"), "\(command.joined(separator: " ")) --help")
        }
        // And parses it (before or after the arguments) where the command runs on a checkpoint.
        for arguments in [["show", "-q", zstd], ["ps", zstd, "--quiet"], ["verify", "-q", zstd], ["maps", zstd, "-q"],
                          ["info", "-q", CLI.fixture("raw/proc-tree/core-28759.img")]] {
            let r = try CLI.run(arguments)
            #expect(r.status == 0, "\(arguments.joined(separator: " ")): \(r.stderr)")
            #expect(r.stderr.isEmpty, "\(arguments.joined(separator: " ")): \(r.stderr)")
        }
    }

    @Test("--quiet leaves out warnings and notes, never errors")
    func quietSuppressesWarnings() throws {
        let a = CLI.fixture("podman/ck-basic.none.tar"), b = CLI.fixture("podman/ck-vol.none.tar")
        let loud = try CLI.run(["diff", a, b])
        #expect(loud.stdout.contains("warning: different containers"))
        let quiet = try CLI.run(["diff", "-q", a, b])
        #expect(quiet.status == 1)
        #expect(!quiet.stdout.contains("warning:"))
        #expect(quiet.stdout.contains("checkpoints differ"))
        // JSON keeps the warnings: they are data.
        #expect(try CLI.run(["diff", "-q", a, b, "--format", "json"]).stdout.contains("different containers"))

        let noMatch = try CLI.run(["search", zstd, "NOT-IN-ANY-PAGE"])
        #expect(noMatch.status == 1 && noMatch.stderr.contains("no match"))
        let quietNoMatch = try CLI.run(["search", "-q", zstd, "NOT-IN-ANY-PAGE"])
        #expect(quietNoMatch.status == 1 && quietNoMatch.stderr.isEmpty)

        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        #expect(try CLI.run(["list", empty.path]).stderr.contains("no checkpoints found"))
        #expect(try CLI.run(["list", "-q", empty.path]).stderr.isEmpty)

        // Errors are still printed.
        let missing = try CLI.run(["show", "-q", "/nonexistent/checkpoint.tar"])
        #expect(missing.status != 0 && missing.stderr.contains("/nonexistent/checkpoint.tar"))
        let badDiff = try CLI.run(["diff", "-q", a, "/nonexistent/checkpoint.tar"])
        #expect(badDiff.status == 2 && badDiff.stderr.hasPrefix("ckpt-inspect: "))
    }
}

/// The progress line itself, drawn into a pipe that is treated as a terminal.
@Suite("progress line")
struct ProgressLineTests {
    /// Runs `body` with a line over a pipe and returns what was written to it.
    static func capture(forceTerminal: Bool = true, interval: Duration = .zero, delay: Duration = .zero,
                        _ body: (ProgressLine) -> Void) -> String {
        let pipe = Pipe()
        let line = ProgressLine(fileDescriptor: pipe.fileHandleForWriting.fileDescriptor, forceTerminal: forceTerminal,
                                interval: interval, delay: delay)
        body(line)
        try? pipe.fileHandleForWriting.close()
        return String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    @Test("draws \\r lines ending in erase-to-end-of-line, and erases them at the end")
    func drawsAndErases() {
        let out = Self.capture { line in
            let progress = Progress(label: "decompressing base.tar.zst", line: line)
            progress.update(1 << 20, 4 << 20)
            progress.update(2 << 20, 4 << 20)
            progress.update(4 << 20, 4 << 20)
            progress.finish()
        }
        #expect(out == "\rdecompressing base.tar.zst: 1.0 MiB of 4.0 MiB (25%)\u{1B}[K"
            + "\rdecompressing base.tar.zst: 2.0 MiB of 4.0 MiB (50%)\u{1B}[K"
            + "\rdecompressing base.tar.zst: 4.0 MiB of 4.0 MiB (100%)\u{1B}[K"
            + "\r\u{1B}[K")
        #expect(!out.contains("\n"))
    }

    @Test("counts items, and an unknown total")
    func text() {
        let out = Self.capture { line in
            let pages = Progress(label: "comparing pages", unit: .items("pages"), line: line)
            pages.update(1024, 4096)
            pages.finish()
            let stdin = Progress(label: "decompressing stdin", foreground: false, line: line)
            stdin.update(3 << 20, 0)
            stdin.finish()
        }
        #expect(out == "\rcomparing pages: 1024 of 4096 pages (25%)\u{1B}[K\r\u{1B}[K\rdecompressing stdin: 3.0 MiB\u{1B}[K\r\u{1B}[K")
    }

    @Test("draws nothing when disabled, when not a terminal, or before the delay")
    func silent() throws {
        let disabled = Self.capture { line in
            let progress = Progress(label: "x", enabled: false, line: line)
            progress.update(1, 2)
            progress.finish()
        }
        #expect(disabled.isEmpty)
        var pipeIsTerminal = true, enabled = true
        let notTerminal = Self.capture(forceTerminal: false) { line in
            pipeIsTerminal = line.isTerminal
            let progress = Progress(label: "x", line: line)
            enabled = progress.enabled
            progress.update(1, 2)
            progress.finish()
        }
        #expect(!pipeIsTerminal && !enabled && notTerminal.isEmpty)
        let early = Self.capture(delay: .seconds(60)) { line in
            let progress = Progress(label: "x", line: line)
            progress.update(1, 2)
            progress.finish()
        }
        #expect(early.isEmpty)
        // A file is not a terminal either.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("progress-\(UUID().uuidString)").path
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let handle = try #require(FileHandle(forWritingAtPath: path))
        let line = ProgressLine(fileDescriptor: handle.fileDescriptor)
        let progress = Progress(label: "x", line: line)
        progress.update(1, 2)
        progress.finish()
        try handle.close()
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)).isEmpty)
    }

    @Test("throttled: one drawing per interval")
    func throttled() {
        let out = Self.capture(interval: .seconds(60)) { line in
            let progress = Progress(label: "scanning pages", line: line)
            for i in 1...100 { progress.update(UInt64(i), 100) }
            progress.finish()
        }
        #expect(out == "\rscanning pages: 1 B of 100 B (1%)\u{1B}[K\r\u{1B}[K")
    }

    @Test("background progress waits while the command's own work holds the line")
    func foregroundHoldsTheLine() {
        let out = Self.capture { line in
            let reading = Progress(label: "decompressing a.tar.zst", foreground: false, line: line)
            let comparing = Progress(label: "comparing pages", unit: .items("pages"), line: line)
            comparing.update(10, 100)
            reading.update(5, 50)  // held: not drawn
            comparing.update(100, 100)  // complete: the line is free again
            reading.update(6, 50)
            comparing.finish()
            reading.finish()
        }
        #expect(out == "\rcomparing pages: 10 of 100 pages (10%)\u{1B}[K\rcomparing pages: 100 of 100 pages (100%)\u{1B}[K"
            + "\rdecompressing a.tar.zst: 6 B of 50 B (12%)\u{1B}[K\r\u{1B}[K")
    }

    @Test("labels are made safe and kept short")
    func label() {
        let out = Self.capture { line in
            Progress(label: "decompressing \u{1B}]0;evil\u{7}" + String(repeating: "x", count: 80) + ".tar.zst", line: line).update(1, 0)
        }
        #expect(!out.dropFirst().contains("\u{1B}]"))
        #expect(out.count < 80)
    }
}
