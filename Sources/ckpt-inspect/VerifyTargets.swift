import ArgumentParser
import CheckpointAnalysis
import CRIUImages
import Foundation

/// `verify --target NODE.json`: reading the node files, and the per-node verdicts in text and JSON.
enum VerifyTargets {
    struct Node {
        var file: String
        var environment: HostEnvironment
    }

    /// Reads every node file; a missing or malformed one is a usage error naming the file and the key.
    static func read(_ files: [String]) throws -> [Node] {
        var nodes: [Node] = []
        for file in files {
            let bytes = try readUserFile(file)
            let facts: NodeFacts
            do {
                facts = try NodeFacts(json: bytes, file: RawPath.display(file))
            } catch {
                Output.error(error.description)
                throw ExitCode.usage
            }
            let base = ((RawPath.display(file) as NSString).lastPathComponent as NSString).deletingPathExtension
            nodes.append(Node(file: file, environment: HostEnvironment(node: facts, name: facts.hostname ?? base)))
        }
        // Two nodes of one name are told apart by their files.
        let names = nodes.map(\.environment.name)
        for i in nodes.indices where names.filter({ $0 == names[i] }).count > 1 {
            nodes[i].environment.name += " (\(RawPath.display(nodes[i].file)))"
        }
        return nodes
    }

    static func label(_ report: inout VerificationReport, _ nodes: [Node]) {
        for i in report.targets.indices where i < nodes.count { report.targets[i].file = RawPath.display(nodes[i].file) }
    }

    static func verdict(_ v: NodeVerdict) -> String {
        v.canRestore ? "can restore" : (v.checkpointDamaged && v.blocking.isEmpty ? "CANNOT (checkpoint damaged)" : "CANNOT")
    }

    // MARK: Text

    static func text(_ r: VerificationReport) -> String {
        guard !r.targets.isEmpty else { return "" }
        let able = r.targets.filter(\.canRestore).count
        var out = "\nNodes (\(r.targets.count)): \(able) can restore, \(r.targets.count - able) cannot\n"
        var table = Table(headers: ["NODE", "VERDICT", "BLOCKING", "WARNINGS", "UNKNOWN", "WHY NOT"], rightAligned: [2, 3, 4])
        for v in r.targets {
            var why = ""
            if let first = v.blocking.first {
                why = "\(first.id): \(first.message)" + (v.blocking.count > 1 ? " (+\(v.blocking.count - 1) more)" : "")
            } else if v.checkpointDamaged {
                let n = r.errors.filter { $0.area != .host }.count
                why = "the checkpoint has \(n) structural error\(n == 1 ? "" : "s") (above)"
            }
            table.rows.append([Terminal.safe(v.name), verdict(v), String(v.blocking.count), String(v.warnings.count), String(v.unknowns.count),
                               Terminal.safe(why)])
        }
        out += table.render().split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") + "\n"
        for v in r.targets {
            out += "\n\(Terminal.safe(v.name))\(v.file.map { " (\(Terminal.safe($0)))" } ?? ""): \(v.canRestore ? "can restore" : "cannot restore")\n"
            var facts = Table(headers: ["FACT", "CHECKPOINT", "NODE", ""])
            for f in v.report.facts {
                facts.rows.append([f.key, Terminal.safe(f.value), f.host.map(Terminal.safe) ?? "", f.matches.map { $0 ? "ok" : "DIFFERS" } ?? ""])
            }
            if !facts.rows.isEmpty { out += facts.render().split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") + "\n" }
            for (title, group) in [("Blocking", v.blocking), ("Warnings", v.warnings), ("Info", v.infos)] where !group.isEmpty {
                out += "  \(title) (\(group.count))\n"
                for f in group {
                    out += "    \(f.id)\(f.location.map { "  \(Terminal.safe($0))" } ?? "")\n"
                    out += "        \(Terminal.safe(f.message))\n"
                    if let hint = f.hint { out += "        hint: \(Terminal.safe(hint))\n" }
                }
            }
        }
        return out
    }

    // MARK: JSON

    static func json(_ v: NodeVerdict) -> JSONValue {
        .object([
            ("name", .string(v.name)),
            ("file", v.file.map(JSONValue.string) ?? .null),
            ("hostname", v.node.hostname.map(JSONValue.string) ?? .null),
            ("can_restore", .bool(v.canRestore)),
            ("checkpoint_damaged", .bool(v.checkpointDamaged)),
            ("summary", .object([("blocking", .int(v.blocking.count)), ("warnings", .int(v.warnings.count)), ("info", .int(v.infos.count)),
                                 ("unknown", .int(v.unknowns.count))])),
            ("facts", .array(v.report.facts.map { f in
                .object([("key", .string(f.key)), ("value", .string(f.value)), ("host", f.host.map(JSONValue.string) ?? .null),
                         ("matches", f.matches.map(JSONValue.bool) ?? .null)])
            })),
            ("blocking", .array(v.blocking.map(VerifyJSON.finding))),
            ("warnings", .array(v.warnings.map(VerifyJSON.finding))),
            ("info", .array(v.infos.map(VerifyJSON.finding))),
            ("missing_files", .array(v.report.missingFiles.map(JSONValue.string))),
            ("busy_ports", .array(v.report.busyPorts.map { .int($0) })),
            ("required_features", .array(v.report.requiredFeatures.map(JSONValue.string))),
        ])
    }
}
