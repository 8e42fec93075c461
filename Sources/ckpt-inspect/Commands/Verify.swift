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
    @Flag(name: .long, help: "Also compare with this machine: the checks of --target on its facts captured now, and the files the checkpoint reopens.") var host = false
    @Option(name: .long, help: ArgumentHelp("Also compare with the machine a node file describes (`ckpt-inspect host --format json`); repeatable.", valueName: "node.json"))
    var target: [String] = []
    @OptionGroup var output: OutputOptions
    @OptionGroup var source: PreviousOption

    var format: OutputFormat { output.format }
    var diagnostics: DiagnosticOptions { output.diagnostics }
    var previous: String? { source.previous }

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
        case .json: Output.write(json: VerifyJSON.render(report))
        case .text: Output.write(VerifyText.render(report, style: output.style) + VerifyTargets.text(report))
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
            ("groups", .array(VerifyText.groups(r.findings).filter { $0.count > 1 }.map { g in
                .object([("id", .string(r.findings[g[0]].id)), ("severity", .string(r.findings[g[0]].severity.rawValue)),
                         ("count", .int(g.count)), ("findings", .array(g.map { .int($0) }))])
            })),
            ("restore_options", .array(r.restoreOptions.map(JSONValue.string))),
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
    static func render(_ r: VerificationReport, style: Style = Style(.never)) -> String {
        var out = "verify \(Terminal.safe(RawPath.display(r.path)))\n"
        let compared = r.facts.contains { $0.host != nil }
        var table = Table(headers: compared ? ["FACT", "CHECKPOINT", "THIS HOST", ""] : ["FACT", "VALUE"])
        for f in r.facts {
            var row = [f.key, Terminal.safe(f.value)]
            if compared { row += [f.host.map(Terminal.safe) ?? "", f.matches.map { $0 ? "ok" : "DIFFERS" } ?? ""] }
            table.rows.append(row)
        }
        out += table.render(style: style).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") + "\n"
        let groups = Self.groups(r.findings)
        for (title, severity) in [("Errors", Severity.error), ("Warnings", .warning), ("Info", .info)] {
            let mine = groups.filter { r.findings[$0[0]].severity == severity }
            guard !mine.isEmpty else { continue }
            let heading = severity == .error ? style.red(title) : severity == .warning ? style.yellow(title) : title
            let count = mine.reduce(0) { $0 + $1.count }
            out += "\n\(heading) (\(count)\(mine.count < count ? ", \(plural(mine.count, "cause"))" : ""))\n"
            for group in mine {
                let f = r.findings[group[0]]
                out += "  \(f.id)"
                if group.count > 1 {
                    let entries = group.compactMap { r.findings[$0].entry }
                    out += "  " + Terminal.safe(f.image ?? "")
                    if entries.count == group.count { out += " entries " + entries.map(String.init).joined(separator: ", ") }
                    out += " (\(group.count) findings, one cause)"
                } else if let location = f.location {
                    out += "  \(Terminal.safe(location))"
                }
                out += "\n      \(Terminal.safe(f.message))\n"
                if group.count > 1 { out += "      and \(group.count - 1) more like it\n" }
                if let ref = f.referencedFrom {
                    out += "      referenced from \(Terminal.safe(ref.image))\(ref.entry.map { " entry \($0)" } ?? "")\n"
                }
                if let hint = f.hint { out += "      hint: \(Terminal.safe(hint))\n" }
            }
        }
        if !r.restoreOptions.isEmpty {
            out += "\nRestore needs: " + r.restoreOptions.joined(separator: " ") + " (from the findings above)\n"
        }
        let e = r.errors.count, w = r.warnings.count, i = r.infos.count
        out += "\n\(plural(e, "error")), \(plural(w, "warning")), \(i) info; \(r.checks.count) checks ran. "
        out += r.isClean ? "No errors: nothing found that would stop a restore.\n" : "A restore would fail.\n"
        return out
    }

    /// Findings grouped by cause, in report order: the same check, severity, image and hint, and a
    /// message that differs only in its numbers and the plurals they take (one per pagemap entry,
    /// say: "1 of 1 page does", "6 of 6 pages do"). Indexes into `findings`.
    static func groups(_ findings: [Finding]) -> [[Int]] {
        let verbs = ["does": "do", "is": "are", "has": "have", "lies": "lie", "belongs": "belong"]
        func shape(_ f: Finding) -> String {
            let numbers = f.message.replacingOccurrences(of: "0x[0-9a-fA-F]+", with: "#", options: .regularExpression)
                .replacingOccurrences(of: "[0-9]+", with: "#", options: .regularExpression)
            let words = numbers.split(separator: " ").map { word -> String in
                let w = String(word)
                if let verb = verbs[w] { return verb }
                return w.count > 3 && w.hasSuffix("s") ? String(w.dropLast()) : w
            }
            return [f.id, f.severity.rawValue, f.image ?? "", f.hint ?? ""].joined(separator: "\u{0}") + "\u{0}" + words.joined(separator: " ")
        }
        var order: [String] = []
        var byShape: [String: [Int]] = [:]
        for (i, f) in findings.enumerated() {
            let key = shape(f)
            if byShape[key] == nil { order.append(key) }
            byShape[key, default: []].append(i)
        }
        return order.map { byShape[$0]! }
    }
}
