import ArgumentParser
import Checkpoint
import CRIUImages
import Foundation

/// `ckpt-inspect ps`: the process table.
struct PS: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ps", abstract: "List processes and threads with their command lines.")

    @Argument(help: "A checkpoint archive or directory.") var path: String
    @OptionGroup var output: OutputOptions
    @OptionGroup var selection: ProcessSelection
    @OptionGroup var source: PreviousOption
    @OptionGroup var pods: PodSelection

    func run() throws {
        let reader = ProcessStringsReader(environment: output.json)
        let targets = try pods.targets(path, previous: source.previous, progress: output.diagnostics.reading(path, json: output.json),
                                       diagnostics: output.diagnostics, streaming: reader)
        try selection.check(targets)
        var table = Table(headers: targets.headers(["PID", "PPID", "PGID", "SID", "STATE", "THR", "COMM", "CMDLINE"]))
        table.rightAligned = targets.rightAligned([0, 1, 2, 3, 5])
        var documents: [(Target, JSONValue)] = []
        for t in targets.items {
            let c = t.checkpoint
            var json: [JSONValue] = []
            let strings = t.strings(reader, environment: output.json)
            for p in selection.filter(c) {
                let s = strings[p.pid]
                let known = p.inProcessTree
                table.rows.append(targets.row(t, [String(p.pid), known ? String(p.ppid) : "-", known ? String(p.pgid) : "-", known ? String(p.sid) : "-",
                                                  c.processTree == .preDump ? "pre-dump" : known ? "\(p.state)" : "\(p.state)?", known ? String(p.threads.count) : "-",
                                                  String(repeating: "  ", count: p.depth) + Terminal.safe(p.command.isEmpty && !known ? "?" : p.command),
                                                  s?.commandLine.map { $0.map { Terminal.safe($0) }.joined(separator: " ") } ?? (s?.commandLineHole == nil ? "-" : "- " + Inspect.missing(s?.commandLineHole))]))
                if output.json { json.append(Report.process(p, in: c, extra: Inspect.stringsJSON(s))) }
            }
            if output.json { documents.append((t, .object([("schema", .string("ckpt-inspect/ps/v2")), ("processes", .array(json))]))) }
        }
        switch output.format {
        case .json: Output.write(json: targets.document(command: "ps", documents))
        case .text: Output.write(table.render(style: output.style))
        }
        try targets.finish()
    }
}

/// `ckpt-inspect files` / `sockets`: open files of every process.
struct Files: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "files", abstract: "List the open files of every process.")
    @Argument(help: "A checkpoint archive or directory.") var path: String
    @OptionGroup var output: OutputOptions
    @OptionGroup var selection: ProcessSelection
    @OptionGroup var source: PreviousOption
    @OptionGroup var pods: PodSelection

    func run() throws { try listFiles(path: path, socketsOnly: false, output: output, selection: selection, source: source, pods: pods) }
}

struct Sockets: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sockets", abstract: "List the sockets of every process.")
    @Argument(help: "A checkpoint archive or directory.") var path: String
    @OptionGroup var output: OutputOptions
    @OptionGroup var selection: ProcessSelection
    @OptionGroup var source: PreviousOption
    @OptionGroup var pods: PodSelection

    func run() throws { try listFiles(path: path, socketsOnly: true, output: output, selection: selection, source: source, pods: pods) }
}

func listFiles(path: String, socketsOnly: Bool, output: OutputOptions, selection: ProcessSelection, source: PreviousOption, pods: PodSelection) throws {
    let targets = try pods.targets(path, previous: source.previous, progress: output.diagnostics.reading(path, json: output.json),
                                   diagnostics: output.diagnostics)
    try selection.check(targets)
    var table = Table(headers: targets.headers(["PID", "FD", "KIND", "TARGET", "DETAILS"]))
    table.rightAligned = targets.rightAligned([0, 1])
    var documents: [(Target, JSONValue)] = []
    for t in targets.items {
        var json: [JSONValue] = []
        for p in selection.filter(t.checkpoint) {
            for f in p.files where !socketsOnly || f.type.isSocket {
                table.rows.append(targets.row(t, [String(p.pid), String(f.fd), f.kind, Terminal.safe(f.target),
                                                  f.details.map { "\($0.key)=\(Terminal.safe($0.value))" }.joined(separator: " ")]))
                json.append(.object([("pid", .int(p.pid))] + (Report.file(f).objectPairs ?? [])))
            }
        }
        documents.append((t, .object([("schema", .string(socketsOnly ? "ckpt-inspect/sockets/v2" : "ckpt-inspect/files/v2")), ("files", .array(json))])))
    }
    switch output.format {
    case .json: Output.write(json: targets.document(command: socketsOnly ? "sockets" : "files", documents))
    case .text: Output.write(table.render(style: output.style))
    }
    try targets.finish()
}

struct Mounts: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "mounts", abstract: "List the mounts of every mount namespace, from the images.",
                                                    discussion: "With --pid, only the mount namespaces of the named processes.")
    @Argument(help: "A checkpoint archive or directory.") var path: String
    @OptionGroup var output: OutputOptions
    @OptionGroup var selection: ProcessSelection
    @OptionGroup var source: PreviousOption
    @OptionGroup var pods: PodSelection

    /// The mount namespaces to list: all, or those of the processes named with --pid.
    func namespaces(_ c: Checkpoint) -> [UInt32] {
        let all = c.mounts.keys.sorted()
        guard !selection.isEmpty else { return all }
        let wanted = Set(selection.filter(c).compactMap { $0.ids?.mountNamespaceID })
        return all.filter { wanted.contains($0) }
    }

    func run() throws {
        let targets = try pods.targets(path, previous: source.previous, progress: output.diagnostics.reading(path, json: output.json),
                                       diagnostics: output.diagnostics)
        try selection.check(targets)
        switch output.format {
        case .json:
            let documents = targets.items.map { t in
                (t, JSONValue.object([("schema", .string("ckpt-inspect/mounts/v2")), ("namespaces", Report.mounts(t.checkpoint, namespaces: namespaces(t.checkpoint)))]))
            }
            Output.write(json: targets.document(command: "mounts", documents))
        case .text:
            var table = Table(headers: targets.headers(["NS", "ID", "PARENT", "MOUNTPOINT", "FSTYPE", "SOURCE", "ROOT", "EXTERNAL"]))
            table.rightAligned = targets.rightAligned([0, 1, 2])
            for t in targets.items {
                let c = t.checkpoint
                for ns in namespaces(c) {
                    for m in c.mounts[ns] ?? [] {
                        table.rows.append(targets.row(t, [String(ns), String(m.id), String(m.parentID), Terminal.safe(m.mountPoint.description),
                                                          Terminal.safe(m.filesystemName?.description ?? "\(m.filesystemType)"), Terminal.safe(m.source.description),
                                                          Terminal.safe(m.root.description), Terminal.safe(m.externalKey?.description ?? "")]))
                    }
                }
            }
            Output.write(table.render(style: output.style))
        }
        try targets.finish()
    }
}

extension JSONValue {
    var objectPairs: [(String, JSONValue)]? {
        if case .object(let pairs) = self { return pairs }
        return nil
    }
}
