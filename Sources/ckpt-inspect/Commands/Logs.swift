import ArgumentParser
import CheckpointAnalysis
import CheckpointArchive
import CRIUImages
import Foundation

struct Logs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print CRIU's dump.log / restore.log parsed: outcome, errors and warnings with their source location and context, and what they mean.",
        discussion: "PATH is a checkpoint archive or directory (its dump.log, pre-dump.log and restore.log are read), or a log file itself. Known harmless lines are marked as such. Exit code: 0 read, 2 nothing readable.")

    @Argument(help: "A checkpoint archive or directory, or a CRIU log file.") var path: String
    @Flag(name: .long, help: "Show the context lines of every message, not only of the errors that matter.") var verbose = false
    @OptionGroup var output: OutputOptions

    var format: OutputFormat { output.format }
    var diagnostics: DiagnosticOptions { output.diagnostics }

    func run() throws {
        let logs = try readLogs(path)
        switch format {
        case .json:
            let json = JSONValue.object([
                ("schema", .string("ckpt-inspect/logs/v2")),
                ("path", .string(path)),
                ("logs", .array(logs.map(LogJSON.render))),
            ])
            Output.write(json: json)
        case .text:
            Output.write(logs.map { LogText.render($0, verbose: verbose, style: output.style) }.joined(separator: "\n"))
        }
    }

    /// The logs of a checkpoint, or the one log file `path` names.
    func readLogs(_ path: String) throws -> [CRIULog] {
        var isDirectory: ObjCBool = false
        let file = RawPath.resolve(path)
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) || path == "-" else {
            Output.error("\(path): no such file or directory")
            throw ExitCode.usage
        }
        let source: CheckpointSource?
        if !isDirectory.boolValue && path.hasSuffix(".log") {
            source = nil
        } else {
            let progress = diagnostics.reading(path, json: format == .json)
            defer { progress.finish() }
            do {
                source = try CheckpointSource.open(path: file, options: .init(progress: progress.reporter))
            } catch {
                guard error.code == .notAnArchive, !isDirectory.boolValue else {
                    Output.error(error.description)
                    throw ExitCode.usage
                }
                source = nil
            }
        }
        if let source {
            let logs = CRIULog.logs(in: source)
            if logs.isEmpty {
                Output.error("\(path): no dump.log, pre-dump.log or restore.log in the checkpoint (Podman does not export them)")
                throw ExitCode.usage
            }
            return logs
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            Output.error("\(path): cannot be read")
            throw ExitCode.usage
        }
        return [CRIULog.parse(String(decoding: data, as: UTF8.self), name: (path as NSString).lastPathComponent)]
    }
}

/// JSON of a parsed log (schema: the `logs` items of Schemas/verify.schema.json).
enum LogJSON {
    static func render(_ log: CRIULog) -> JSONValue {
        .object([
            ("name", .string(log.name)),
            ("operation", .string(log.operation.rawValue)),
            ("outcome", .string(log.outcome.rawValue)),
            ("outcome_line", log.outcomeLine.map { .int($0) } ?? .null),
            ("outcome_text", log.outcomeText.map(JSONValue.string) ?? .null),
            ("format", .string(log.format.rawValue)),
            ("criu_version", log.criuVersion.map(JSONValue.string) ?? .null),
            ("gitid", log.gitID.map(JSONValue.string) ?? .null),
            ("kernel", log.kernel.map(JSONValue.string) ?? .null),
            ("machine", log.machine.map(JSONValue.string) ?? .null),
            ("cpu", log.cpu.map(JSONValue.string) ?? .null),
            ("lines", .int(log.lineCount)),
            ("errors", .array(log.errors.map(message))),
            ("warnings", .array(log.warnings.map(message))),
            ("explanations", .array(log.explanations.map(explanation))),
            ("cautions", .array(log.cautions.map { c in
                .object([("id", .string(c.id)), ("line", .int(c.line)), ("title", .string(c.title)), ("text", .string(c.text))])
            })),
        ])
    }

    /// CRIU's `(00.047242)` stamp as seconds since CRIU started, a JSON number.
    static func seconds(_ stamp: String) -> JSONValue? {
        guard let value = Double(stamp), value.isFinite, value >= 0 else { return nil }
        return .number(String(format: "%.6f", value))
    }

    static func explanation(_ e: CRIULog.Explanation) -> JSONValue {
        .object([("id", .string(e.id)), ("title", .string(e.title)), ("text", .string(e.text))])
    }

    static func message(_ m: CRIULog.Message) -> JSONValue {
        .object([
            ("line", .int(m.line)),
            ("level", .string(m.level.rawValue)),
            ("timestamp", m.timestamp.flatMap(seconds) ?? .null),
            ("pid", m.pid.map { .int($0) } ?? .null),
            ("location", m.location.map(JSONValue.string) ?? .null),
            ("text", .string(m.text)),
            ("context", .array(m.context.map(JSONValue.string))),
            ("harmless", .bool(m.isHarmless)),
            ("harmless_reason", m.harmless.map(JSONValue.string) ?? .null),
            ("explanation", m.explanation.map(explanation) ?? .null),
        ])
    }
}

/// Text of a parsed log.
enum LogText {
    static func render(_ log: CRIULog, verbose: Bool, style: Style = Style(.never)) -> String {
        var lines: [String] = []
        let outcome = log.outcome.rawValue.uppercased()
        var head = style.bold(Terminal.safe(log.name)) + ": \(log.operation.rawValue), " + (log.outcome.rawValue == "success" ? style.green(outcome) : style.red(outcome))
        if let line = log.outcomeLine, let text = log.outcomeText { head += " (line \(line): \(Terminal.safe(text)))" }
        lines.append(head)
        var about: [String] = []
        if let v = log.criuVersion { about.append("CRIU \(Terminal.safe(v))" + (log.gitID.map { " (gitid \(Terminal.safe($0)))" } ?? "")) }
        if let k = log.kernel { about.append("kernel \(Terminal.safe(k))\(log.machine.map { " " + Terminal.safe($0) } ?? "")") }
        about.append(plural(log.lineCount, "line"))
        about.append(log.format == .timestamped ? "timestamped format" : log.format == .plain ? "older format (no timestamps)" : "no CRIU lines found")
        lines.append("  " + about.joined(separator: ", "))
        if !log.cautions.isEmpty {
            lines.append("  " + style.yellow("Cautions") + " (\(log.cautions.count))")
            for c in log.cautions {
                lines.append("    line \(c.line)  \(Terminal.safe(c.title))")
                lines.append("      \(c.text)")
            }
        }
        for (title, messages) in [("Errors", log.errors), ("Warnings", log.warnings)] {
            lines.append("  " + (title == "Errors" ? style.red(title) : style.yellow(title)) + " (\(messages.count))")
            for m in messages {
                var first = "    line \(m.line)"
                if let pid = m.pid { first += "  pid \(pid)" }
                if let location = m.location { first += "  \(Terminal.safe(location))" }
                lines.append(first + "  " + Terminal.safeText(m.text))
                if let caution = log.caution(for: m) {
                    lines.append("      caution: \(Terminal.safe(caution.title))")
                } else if let reason = m.harmless {
                    lines.append("      harmless: \(reason)")
                } else if let e = m.explanation {
                    lines.append("      means: \(e.title)")
                }
                if verbose || (m.level == .error && !m.isHarmless) {
                    for c in m.context { lines.append("      | " + Terminal.safeText(c)) }
                }
            }
        }
        let explanations = log.explanations
        if !explanations.isEmpty {
            lines.append("  What the errors mean")
            for e in explanations {
                lines.append("    \(e.title) [\(e.id)]")
                lines.append("      \(e.text)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
