import ArgumentParser
import Checkpoint
import CheckpointArchive
import CheckpointAnalysis
import CRIUImages
import Foundation

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Say why a restore would fail, before it fails: structural checks of every image, the logs, and (--host) this machine.",
        discussion: """
        Findings are grouped by severity; each names its check id (stable), the image, entry and byte offset.
        Exit code: 0 no errors (warnings allowed), 1 errors found, 2 the checkpoint could not be read.
        --host only reads this machine (what `ckpt-inspect host` records, and stat of the files the checkpoint reopens); it changes nothing.
        --target NODE.json (repeatable) compares with other machines, described by `ckpt-inspect host --format json` run \
        there: one verdict per node (can restore, or the findings that stop it), and a table. With --target, exit \
        code 1 also when a node cannot restore.
        """)

    @Argument(help: "A checkpoint archive or directory.") var path: String
    @Option(name: .long, help: "Output format: text or json.") var format: OutputFormat = .text
    @Flag(name: .long, help: "Also compare with this machine: the checks of --target on its facts captured now, and the files the checkpoint reopens.") var host = false
    @Option(name: .long, help: ArgumentHelp("Also compare with the machine a node file describes (`ckpt-inspect host --format json`); repeatable.", valueName: "node.json"))
    var target: [String] = []
    @Option(name: .long, help: "A separate archive or directory with the parent (pre-dump) images.") var previous: String?
    @OptionGroup var diagnostics: DiagnosticOptions

    func run() throws {
        let nodes = try VerifyTargets.read(target)
        var report: VerificationReport
        let progress = diagnostics.reading(path, json: format == .json)
        do {
            defer { progress.finish() }
            let options = Verifier.Options(previous: previous.map(RawPath.resolve), source: .init(progress: progress.reporter),
                                           host: host ? HostEnvironment.probe() : nil, targets: nodes.map(\.environment))
            let source = try CheckpointSource.open(path: RawPath.resolve(path), options: options.source)
            if PodCheckpoint.isPodCheckpoint(source) {
                if previous != nil {
                    Output.error("--previous: \(path) is a pod checkpoint: its containers carry their own parent images")
                    throw ExitCode.usage
                }
                var pod = try PodVerifier.verify(source: source, options: options)
                for i in pod.containers.indices where pod.containers[i].report != nil { VerifyTargets.label(&pod.containers[i].report!, nodes) }
                progress.finish()
                return try verifyPod(pod)
            }
            report = try Verifier.verify(source: source, options: options)
            VerifyTargets.label(&report, nodes)
        } catch let code as ExitCode {
            throw code
        } catch {
            Output.error(String(describing: error))
            throw ExitCode.usage
        }
        switch format {
        case .json: Output.write(VerifyJSON.render(report).serialized() + "\n")
        case .text: Output.write(VerifyText.render(report) + VerifyTargets.text(report))
        }
        if !report.isClean || report.targets.contains(where: { !$0.canRestore }) { throw ExitCode.badData }
    }
}

/// JSON of `verify` (schema: Schemas/verify.schema.json).
enum VerifyJSON {
    static func render(_ r: VerificationReport) -> JSONValue {
        .object([
            ("schema", .string(VerificationReport.schemaVersion)),
            ("path", .string(RawPath.display(r.path))),
            ("clean", .bool(r.isClean)),
            ("summary", .object([("errors", .int(r.errors.count)), ("warnings", .int(r.warnings.count)), ("info", .int(r.infos.count))])),
            ("facts", .array(r.facts.map { f in
                .object([("key", .string(f.key)), ("value", .string(f.value)), ("host", f.host.map(JSONValue.string) ?? .null),
                         ("matches", f.matches.map(JSONValue.bool) ?? .null)])
            })),
            ("findings", .array(r.findings.map(finding))),
            ("checks", .array(r.checks.map(JSONValue.string))),
            ("logs", .array(r.logs.map(LogJSON.render))),
            ("targets", .array(r.targets.map(VerifyTargets.json))),
            ("host", r.host.map { h in
                .object([
                    ("missing_files", .array(h.missingFiles.map(JSONValue.string))),
                    ("present_files", .array(h.presentFiles.map(JSONValue.string))),
                    ("busy_ports", .array(h.busyPorts.map { .int($0) })),
                    ("required_features", .array(h.requiredFeatures.map(JSONValue.string))),
                ])
            } ?? .null),
        ])
    }

    static func finding(_ f: Finding) -> JSONValue {
        .object([
            ("id", .string(f.id)),
            ("severity", .string(f.severity.rawValue)),
            ("area", .string(f.area.rawValue)),
            ("message", .string(f.message)),
            ("image", f.image.map(JSONValue.string) ?? .null),
            ("entry", f.entry.map { .int($0) } ?? .null),
            ("field", f.field.map(JSONValue.string) ?? .null),
            ("offset", f.offset.map { .int($0) } ?? .null),
            ("referenced_from", f.referencedFrom.map { ref in
                .object([("image", .string(ref.image)), ("entry", ref.entry.map { .int($0) } ?? .null)])
            } ?? .null),
            ("hint", f.hint.map(JSONValue.string) ?? .null),
        ])
    }
}

/// Text of `verify`.
enum VerifyText {
    static func render(_ r: VerificationReport) -> String {
        var out = "verify \(Terminal.safe(RawPath.display(r.path)))\n"
        let compared = r.facts.contains { $0.host != nil }
        var table = Table(headers: compared ? ["FACT", "CHECKPOINT", "THIS HOST", ""] : ["FACT", "VALUE"])
        for f in r.facts {
            var row = [f.key, Terminal.safe(f.value)]
            if compared { row += [f.host.map(Terminal.safe) ?? "", f.matches.map { $0 ? "ok" : "DIFFERS" } ?? ""] }
            table.rows.append(row)
        }
        out += table.render().split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") + "\n"
        for (title, severity) in [("Errors", Severity.error), ("Warnings", .warning), ("Info", .info)] {
            let group = r.findings.filter { $0.severity == severity }
            guard !group.isEmpty else { continue }
            out += "\n\(title) (\(group.count))\n"
            for f in group {
                out += "  \(f.id)"
                if let location = f.location { out += "  \(Terminal.safe(location))" }
                out += "\n      \(Terminal.safe(f.message))\n"
                if let ref = f.referencedFrom {
                    out += "      referenced from \(Terminal.safe(ref.image))\(ref.entry.map { " entry \($0)" } ?? "")\n"
                }
                if let hint = f.hint { out += "      hint: \(Terminal.safe(hint))\n" }
            }
        }
        let e = r.errors.count, w = r.warnings.count, i = r.infos.count
        out += "\n\(e) error\(e == 1 ? "" : "s"), \(w) warning\(w == 1 ? "" : "s"), \(i) info; \(r.checks.count) checks ran. "
        out += r.isClean ? "No errors: nothing found that would stop a restore.\n" : "A restore would fail.\n"
        return out
    }
}
