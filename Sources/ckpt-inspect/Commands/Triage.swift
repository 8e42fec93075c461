import ArgumentParser
import Checkpoint
import CheckpointAnalysis
import CRIUImages
import Foundation

struct TriageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "triage",
        abstract: "Report what deserves an analyst's look: injected code, fileless programs, reverse shells, preloads and secrets, risky posture, added executables.",
        discussion: """
        Each finding has a stable id, a severity (critical, warning, info), a one-line statement and its evidence: pid, comm, address range, descriptors, path, socket endpoints, and the image and entry that say so. Values of variables that look like secrets are masked unless --show-secrets.
        Checks: \(Triage.checks.joined(separator: ", ")).
        Exit code: 0 nothing at warning or above, 1 findings at warning or above (or the checkpoint could not be read), 2 usage.
        """)

    @Argument(help: "A checkpoint archive or directory.") var path: String
    @Option(name: .long, help: "Show findings of this severity and above.") var minSeverity: SeverityChoice = .info
    @Flag(name: .long, help: "Show the values of variables that look like credentials.") var showSecrets = false
    @Option(name: .long, help: "The container image's root file system: executables neither there nor in the rootfs diff are reported.") var rootfs: String?
    @OptionGroup var output: OutputOptions
    @OptionGroup var source: PreviousOption
    @OptionGroup var pods: PodSelection

    var diagnostics: DiagnosticOptions { output.diagnostics }
    var format: OutputFormat { output.format }

    /// `--min-severity` as a severity.
    func minimum() -> TriageSeverity { TriageSeverity(rawValue: minSeverity.rawValue)! }

    func validate() throws {
        if let rootfs {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: RawPath.resolve(rootfs), isDirectory: &isDirectory), isDirectory.boolValue else {
                throw UsageError(option: "--rootfs", value: rootfs, "not a directory")
            }
        }
    }

    func run() throws {
        // One pass over a compressed archive: the memory the checks read rides on the open (a pod's
        // containers are read afterwards, in one batch each).
        let reader = TriageReader()
        let minimum = minimum()
        let targets = try pods.targets(path, previous: source.previous, progress: diagnostics.reading(path, json: format == .json), diagnostics: diagnostics,
                                       streaming: reader)
        var documents: [(Target, JSONValue)] = []
        var found = false
        for t in targets.items {
            let report = try withCheckpointErrors { () throws(CheckpointError) in
                try Triage.run(t.checkpoint, options: .init(showSecrets: showSecrets, rootfs: rootfs.map(RawPath.resolve)), reader: t.streamed ? reader : nil)
            }
            let label = t.container.map { "container \(Terminal.safe($0)): " } ?? ""
            for note in report.incomplete { diagnostics.warn("\(RawPath.display(path)): \(label)\(note)") }
            found = found || !report.findings(atLeast: .warning).isEmpty
            switch format {
            case .json: documents.append((t, TriageJSON.render(report, minimum: minimum)))
            case .text:
                if targets.isPod { Output.write((documents.isEmpty ? "" : "\n") + "container \(Terminal.safe(t.container ?? "-"))\n") }
                documents.append((t, .null))
                Output.write(TriageText.render(report, minimum: minimum, processes: t.checkpoint.processes.count, style: output.style))
            }
        }
        if format == .json { Output.write(json: targets.document(command: "triage", documents)) }
        try targets.finish()
        if found { throw ExitCode(1) }
    }
}


/// `--min-severity`: the severities, most urgent first.
enum SeverityChoice: String, OptionChoice {
    case critical, warning, info
}

/// JSON of `triage` (schema: Schemas/triage.schema.json).
enum TriageJSON {
    static func hex(_ v: UInt64) -> JSONValue { .string("0x" + String(v, radix: 16)) }

    static func evidence(_ e: TriageEvidence) -> JSONValue {
        let pairs: [(String, JSONValue)] = [
            ("pid", e.pid.map { .int($0) } ?? .null),
            ("comm", e.command.map(JSONValue.string) ?? .null),
            ("start", e.addressRange.map { hex($0.lowerBound) } ?? .null),
            ("end", e.addressRange.map { hex($0.upperBound) } ?? .null),
            ("protection", e.protection.map(JSONValue.string) ?? .null),
            ("fds", .array(e.fds.map { .int($0) })),
            ("path", e.path.map(JSONValue.string) ?? .null),
            ("local_address", e.local.map { .string($0.address) } ?? .null),
            ("local_port", e.local.map { .int($0.port) } ?? .null),
            ("remote_address", e.remote.map { .string($0.address) } ?? .null),
            ("remote_port", e.remote.map { .int($0.port) } ?? .null),
            ("holders", .array(e.holders.map { h in
                .object([("pid", .int(h.pid)), ("comm", .string(h.command)), ("fds", .array(h.fds.map { .int($0) }))])
            })),
            ("image", e.image.map(JSONValue.string) ?? .null),
            ("entry", e.entry.map { .int($0) } ?? .null),
            ("field", e.field.map(JSONValue.string) ?? .null),
            ("first_bytes", e.firstBytes.map { .string($0.map { String(format: "%02x", $0) }.joined()) } ?? .null),
            ("header", e.header.map(JSONValue.string) ?? .null),
            ("name", e.name.map(JSONValue.string) ?? .null),
            ("value", e.value.map(JSONValue.string) ?? .null),
            ("details", .object(e.details.map { ($0.key, .string($0.value)) })),
        ]
        return .object(pairs)
    }

    static func render(_ r: TriageReport, minimum: TriageSeverity) -> JSONValue {
        let shown = r.findings(atLeast: minimum)
        return .object([
            ("schema", .string(TriageReport.schemaVersion)),
            ("path", .string(RawPath.display(r.path))),
            ("summary", .object(TriageSeverity.allCases.map { s in (s.rawValue, .int(r.findings.filter { $0.severity == s }.count)) })),
            ("findings", .array(shown.map { f in
                .object([("id", .string(f.id)), ("severity", .string(f.severity.rawValue)), ("message", .string(f.message)),
                         ("evidence", evidence(f.evidence))])
            })),
            ("checks", .array(r.checks.map(JSONValue.string))),
            ("incomplete", .array(r.incomplete.map(JSONValue.string))),
        ])
    }
}

/// Text of `triage`.
enum TriageText {
    /// The evidence as one line: `pid 7044 (dev-inject)  0x13370000-0x13372000 rwxp  checkpoint/mm-7044.img entry 0 (vmas[6])`.
    static func evidenceLine(_ e: TriageEvidence) -> String {
        var parts: [String] = []
        if let pid = e.pid { parts.append("pid \(pid)" + (e.command.map { " (\(Terminal.safe($0)))" } ?? "")) }
        if let r = e.addressRange { parts.append("0x\(String(r.lowerBound, radix: 16))-0x\(String(r.upperBound, radix: 16))" + (e.protection.map { " " + $0 } ?? "")) }
        if !e.fds.isEmpty { parts.append((e.fds.count == 1 ? "fd " : "fds ") + e.fds.map(String.init).joined(separator: ",")) }
        if let l = e.local, let r = e.remote { parts.append("\(l) -> \(r)") }
        if let path = e.path, e.pid == nil || e.addressRange == nil { parts.append(Terminal.safe(path)) }
        if let image = e.image {
            var s = Terminal.safe(image)
            if let entry = e.entry { s += " entry \(entry)" }
            if let field = e.field { s += " (\(Terminal.safe(field)))" }
            parts.append(s)
        }
        return parts.joined(separator: "  ")
    }

    static func render(_ r: TriageReport, minimum: TriageSeverity, processes: Int, style: Style = Style(.never)) -> String {
        var out = "triage \(Terminal.safe(RawPath.display(r.path))): \(processes) process\(processes == 1 ? "" : "es"), \(r.checks.count) checks\n"
        for severity in TriageSeverity.allCases where severity <= minimum {
            let group = r.findings.filter { $0.severity == severity }
            guard !group.isEmpty else { continue }
            let heading = "\(severity.rawValue.uppercased()) (\(group.count))"
            out += "\n" + (severity == .critical ? style.red(style.bold(heading)) : severity == .warning ? style.yellow(style.bold(heading)) : style.bold(heading)) + "\n"
            for f in group {
                out += "  \(style.bold(f.id))  \(evidenceLine(f.evidence))\n"
                out += "      \(Terminal.safe(f.message))\n"
                if let bytes = f.evidence.firstBytes, !bytes.isEmpty {
                    out += "      first bytes: " + bytes.prefix(16).map { String(format: "%02x", $0) }.joined(separator: " ") + (bytes.count > 16 ? " ..." : "") + "\n"
                }
            }
        }
        let counts = TriageSeverity.allCases.map { s in (s, r.findings.filter { $0.severity == s }.count) }
        let hidden = r.findings.count - r.findings(atLeast: minimum).count
        out += "\n" + counts.map { "\($0.1) \($0.0.rawValue)" }.joined(separator: ", ")
        if hidden > 0 { out += " (\(hidden) below --min-severity \(minimum.rawValue) not shown)" }
        out += r.findings(atLeast: .warning).isEmpty ? ". Nothing at warning or above.\n" : ".\n"
        return out
    }
}
