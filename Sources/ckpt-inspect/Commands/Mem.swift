import ArgumentParser
import Checkpoint
import CheckpointArchive
import CRIUImages
import Foundation

struct Mem: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read or extract process memory.",
        subcommands: [MemRead.self, MemDump.self])
}

struct MemRead: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "read",
        abstract: "Hexdump (or raw bytes of) a range of a process's memory.")

    @Argument(help: "A checkpoint archive or directory.") var path: String
    @OptionGroup var process: OneProcess
    @Option(name: .long, parsing: .unconditional, help: "Start address (hex).", transform: Parse.address) var address: UInt64
    @Option(name: .long, parsing: .unconditional, help: "Number of bytes (decimal, or hex with 0x).", transform: Parse.length)
    var length: UInt64 = 256
    @Flag(name: .long, help: "Write the raw bytes instead of a hexdump (holes are skipped and reported on stderr).") var raw = false
    @Option(name: [.short, .long], help: "Write to this file instead of stdout (refuses to overwrite without --force).") var output: String?
    @Flag(name: .long, help: "Overwrite --output if it exists.") var force = false
    @OptionGroup var source: PreviousOption
    @OptionGroup var mapped: RootfsOption
    @OptionGroup var diagnostics: DiagnosticOptions
    @OptionGroup var pods: PodSelection

    func validate() throws {
        if force && output == nil { throw UsageError("--force", "only with --output FILE") }
    }

    func run() throws {
        let (start, count, pid) = (address, length, process.pid)
        try mapped.validateDirectory()
        var files: MappedFiles?
        /// The segments of one checkpoint, file-backed pages from the mapped files where they are
        /// there (--rootfs, the checkpoint's own copies).
        func memory(of c: Checkpoint) throws -> [MemorySegment] {
            files = try mapped.files(for: c)
            return try withCheckpointErrors { () throws(CheckpointError) in
                guard let space = try c.addressSpace(pid) else { return try c.readMemory(pid: pid, address: start, length: count) }
                return try c.readMemory(in: space, address: start, length: count, files: files)
            }
        }
        let targets = try pods.targets(path, previous: source.previous, progress: diagnostics.reading(path), diagnostics: diagnostics)
        let withProcess = try targets.having(pid: pid, path: path)
        // Several containers: a hexdump of each; raw bytes or a file need one (--container).
        if withProcess.count > 1 {
            if raw || output != nil {
                Output.error("--container: pid \(pid) is in \(withProcess.compactMap(\.container).joined(separator: ", ")); name the one to read")
                throw ExitCode.usage
            }
            var read: [(Target, [MemorySegment])] = []
            for t in withProcess {
                let segments = try memory(of: t.checkpoint)
                Output.write("container \(Terminal.safe(t.container ?? "-")):\n" + Hexdump.render(segments))
                read.append((t, segments))
            }
            for (t, segments) in read { try failOnDamage(t.checkpoint, holes: segments, pid: pid) }
            return try targets.finish()
        }
        let c = withProcess[0].checkpoint
        if !targets.isPod { _ = try process.process(in: c) }
        let segments = try memory(of: c)
        mapped.warnRefusals(files, diagnostics)
        var out = Data()
        if raw {
            for s in segments {
                if let origin = s.origin {
                    diagnostics.warn("\(path): pid \(pid): 0x\(String(s.address, radix: 16))+\(s.length): not in the checkpoint, \(origin)")
                }
                if let bytes = s.bytes { out.append(contentsOf: bytes) } else {
                    diagnostics.warn("\(path): pid \(pid): 0x\(String(s.address, radix: 16))+\(s.length): \(s.hole!.rawValue), not in the checkpoint (skipped)")
                }
            }
        } else {
            out = Data(Hexdump.render(segments).utf8)
        }
        if let output {
            try SafeOutput.write(out, to: output, force: force)
        } else {
            Output.write(out)
        }
        try failOnDamage(c, holes: segments, pid: pid)
        try targets.finish()
    }
}

/// The bytes asked for that the checkpoint's damage made unreadable: named, and the command exits 1
/// (it needed the damaged data; everything readable was still written).
func failOnDamage(_ c: Checkpoint, holes: [MemorySegment], pid: UInt32) throws {
    let damaged = holes.filter { $0.hole == .damaged }
    guard !damaged.isEmpty else { return }
    let bytes = damaged.reduce(UInt64(0)) { $0 + $1.length }
    let why = c.damage.map { "the archive is damaged: " + $0.description } ?? "a pages file is shorter than its pagemap, or a pagemap is unreadable"
    Output.error("\(RawPath.display(c.path)): pid \(pid): \(bytes) bytes in \(damaged.count) range\(damaged.count == 1 ? "" : "s") (first at 0x\(String(damaged[0].address, radix: 16))) could not be read: \(RawPath.display(why))")
    throw ExitCode.badData
}

/// `hexdump -C` style: 16 bytes a line, `*` for repeated lines, ASCII column; holes named.
enum Hexdump {
    static func render(_ segments: [MemorySegment]) -> String {
        render(pieces: segments.map { ($0.address, $0.length, $0.bytes, $0.hole?.rawValue, $0.origin?.description) })
    }

    /// Bytes from offset `address` (in-flight data, files).
    static func render(_ bytes: [UInt8], address: UInt64 = 0) -> String {
        render(pieces: [(address, UInt64(bytes.count), bytes, nil, nil)])
    }

    /// `origin`: where bytes the checkpoint does not hold came from (a mapped file), said before them.
    static func render(pieces: [(address: UInt64, length: UInt64, bytes: [UInt8]?, hole: String?, origin: String?)]) -> String {
        var out = ""
        var previousLine: [UInt8]?
        var starred = false
        for s in pieces {
            guard let bytes = s.bytes else {
                out += String(format: "%016llx  <%@: %llu bytes not in the checkpoint>\n", s.address, s.hole ?? "?", s.length)
                previousLine = nil
                starred = false
                continue
            }
            if let origin = s.origin {
                out += String(format: "%016llx  <%@: %llu bytes, not in the checkpoint>\n", s.address, origin, s.length)
                previousLine = nil
                starred = false
            }
            var i = 0
            while i < bytes.count {
                let line = Array(bytes[i..<min(i + 16, bytes.count)])
                if line == previousLine && line.count == 16 && i + 16 < bytes.count {
                    if !starred { out += "*\n"; starred = true }
                    i += 16
                    continue
                }
                starred = false
                previousLine = line
                var text = String(format: "%016llx  ", s.address + UInt64(i))
                for j in 0..<16 {
                    text += j < line.count ? String(format: "%02x ", line[j]) : "   "
                    if j == 7 { text += " " }
                }
                text += " |" + String(line.map { $0 >= 0x20 && $0 < 0x7F ? Character(UnicodeScalar($0)) : "." }) + "|\n"
                out += text
                i += 16
            }
        }
        return out
    }
}
