import ArgumentParser
import Checkpoint
import CRIUImages
import Foundation

/// `ckpt-inspect ps`: the process table.
struct PS: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ps", abstract: "List processes and threads with their command lines.")

    @Argument(help: "A checkpoint archive or directory.") var path: String
    @Option(name: .long, help: "A separate archive or directory with the parent (pre-dump) images.") var previous: String?
    @Option(name: .long, help: "Output format: text or json.") var format: OutputFormat = .text
    @OptionGroup var diagnostics: DiagnosticOptions

    func run() throws {
        let reader = ProcessStringsReader(environment: format == .json)
        let c = try openCheckpoint(path, previous: previous, progress: diagnostics.reading(path, json: format == .json), diagnostics: diagnostics,
                                   streaming: reader)
        var table = Table(headers: ["PID", "PPID", "PGID", "SID", "STATE", "THR", "COMM", "CMDLINE"])
        table.rightAligned = [0, 1, 2, 3, 5]
        var json: [JSONValue] = []
        let strings = Dictionary(reader.strings(in: c).map { ($0.pid, $0) }, uniquingKeysWith: { a, _ in a })
        for p in c.processes {
            let s = strings[p.pid]
            let known = p.inProcessTree
            table.rows.append([String(p.pid), known ? String(p.ppid) : "-", known ? String(p.pgid) : "-", known ? String(p.sid) : "-",
                               c.processTree == .preDump ? "pre-dump" : known ? "\(p.state)" : "\(p.state)?", known ? String(p.threads.count) : "-",
                               String(repeating: "  ", count: p.depth) + Terminal.safe(p.command.isEmpty && !known ? "?" : p.command),
                               s?.commandLine.map { $0.map { Terminal.safe($0) }.joined(separator: " ") } ?? (s?.commandLineHole == nil ? "-" : "- " + Inspect.missing(s?.commandLineHole))])
            json.append(Report.process(p, extra: Inspect.stringsJSON(s)))
        }
        switch format {
        case .json: Output.write(JSONValue.object([("schema", .string("ckpt-inspect/ps/v1")), ("processes", .array(json))]).serialized() + "\n")
        case .text: Output.write(table.render())
        }
    }
}

/// `ckpt-inspect files` / `sockets`: open files of every process.
struct Files: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "files", abstract: "List the open files of every process.")
    @Argument(help: "A checkpoint archive or directory.") var path: String
    @Option(name: .long, help: "Output format: text or json.") var format: OutputFormat = .text
    @OptionGroup var diagnostics: DiagnosticOptions

    func run() throws { try listFiles(path: path, format: format, socketsOnly: false, diagnostics: diagnostics) }
}

struct Sockets: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sockets", abstract: "List the sockets of every process.")
    @Argument(help: "A checkpoint archive or directory.") var path: String
    @Option(name: .long, help: "Output format: text or json.") var format: OutputFormat = .text
    @OptionGroup var diagnostics: DiagnosticOptions

    func run() throws { try listFiles(path: path, format: format, socketsOnly: true, diagnostics: diagnostics) }
}

func listFiles(path: String, format: OutputFormat, socketsOnly: Bool, diagnostics: DiagnosticOptions) throws {
    let c = try openCheckpoint(path, progress: diagnostics.reading(path, json: format == .json), diagnostics: diagnostics, previousOption: nil)
    var table = Table(headers: ["PID", "FD", "KIND", "TARGET", "DETAILS"])
    table.rightAligned = [0, 1]
    var json: [JSONValue] = []
    for p in c.processes {
        for f in p.files where !socketsOnly || f.type.isSocket {
            table.rows.append([String(p.pid), String(f.fd), f.kind, Terminal.safe(f.target),
                               f.details.map { "\($0.key)=\(Terminal.safe($0.value))" }.joined(separator: " ")])
            json.append(.object([("pid", .int(p.pid))] + (Report.file(f).objectPairs ?? [])))
        }
    }
    switch format {
    case .json: Output.write(JSONValue.object([("schema", .string(socketsOnly ? "ckpt-inspect/sockets/v1" : "ckpt-inspect/files/v1")), ("files", .array(json))]).serialized() + "\n")
    case .text: Output.write(table.render())
    }
}

struct Mounts: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "mounts", abstract: "List the mounts of every mount namespace, from the images.")
    @Argument(help: "A checkpoint archive or directory.") var path: String
    @Option(name: .long, help: "Output format: text or json.") var format: OutputFormat = .text
    @OptionGroup var diagnostics: DiagnosticOptions

    func run() throws {
        let c = try openCheckpoint(path, progress: diagnostics.reading(path, json: format == .json), diagnostics: diagnostics, previousOption: nil)
        switch format {
        case .json: Output.write(JSONValue.object([("schema", .string("ckpt-inspect/mounts/v1")), ("namespaces", Report.mounts(c))]).serialized() + "\n")
        case .text:
            var table = Table(headers: ["NS", "ID", "PARENT", "MOUNTPOINT", "FSTYPE", "SOURCE", "ROOT", "EXTERNAL"])
            table.rightAligned = [0, 1, 2]
            for ns in c.mounts.keys.sorted() {
                for m in c.mounts[ns] ?? [] {
                    table.rows.append([String(ns), String(m.id), String(m.parentID), Terminal.safe(m.mountPoint.description),
                                       Terminal.safe(m.filesystemName?.description ?? "\(m.filesystemType)"), Terminal.safe(m.source.description),
                                       Terminal.safe(m.root.description), Terminal.safe(m.externalKey?.description ?? "")])
                }
            }
            Output.write(table.render())
        }
    }
}

extension JSONValue {
    var objectPairs: [(String, JSONValue)]? {
        if case .object(let pairs) = self { return pairs }
        return nil
    }
}
