import ArgumentParser
import Checkpoint
import CRIUImages
import Foundation

struct InFlight: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inflight",
        abstract: "Show and extract the data CRIU saved outside memory: TCP queues, pipe buffers, socket queues, ghost files, memfds.",
        discussion: "Each source has a stable id (tcp-recv-queue:INODE, pipe:INODE, socket-queue:INODE, ghost-file:ID, memfd:SHMID) and a name that says which process holds it. `search` looks in these sources too.",
        subcommands: [InFlightList.self, InFlightCat.self, InFlightExtract.self])
}

/// Options shared by the `inflight` subcommands: the checkpoint.
struct InFlightOptions: ParsableArguments {
    @Argument(help: "A checkpoint archive or directory.") var path: String
    @OptionGroup var source: PreviousOption
    @OptionGroup var pods: PodSelection
}

extension InFlightOptions {
    /// Opens the checkpoint (every selected container of a pod) and lists each one's sources.
    func targets(_ diagnostics: DiagnosticOptions, json: Bool = false) throws -> (Targets, [[InFlightData]]) {
        let targets = try pods.targets(path, previous: source.previous, progress: diagnostics.reading(path, json: json), diagnostics: diagnostics)
        let sources = try targets.items.map { t in try withCheckpointErrors { () throws(CheckpointError) in try t.checkpoint.inFlightData() } }
        return (targets, sources)
    }

    /// Opens the one checkpoint a command reads (`--container` for a pod of several) and lists its sources.
    func sources(_ diagnostics: DiagnosticOptions, command: String) throws -> (Checkpoint, [InFlightData]) {
        let (targets, sources) = try targets(diagnostics)
        let target = try targets.single(command)
        return (target.checkpoint, sources[targets.items.firstIndex { $0.container == target.container } ?? 0])
    }

    /// The sources with these ids, in the order given; a usage error names an unknown id.
    func select(_ ids: [String], from sources: [InFlightData]) throws -> [InFlightData] {
        try ids.map { id in
            guard let s = sources.first(where: { $0.id == id }) else {
                let known = sources.map(\.id).joined(separator: ", ")
                throw UsageError(RawPath.display(path), "no in-flight source \(id) (sources: \(known.isEmpty ? "none" : known))")
            }
            return s
        }
    }
}

struct InFlightList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List the in-flight sources: id, kind, bytes, and who holds them.")

    @OptionGroup var options: InFlightOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let format = output.format
        let (targets, lists) = try options.targets(output.diagnostics, json: format == .json)
        switch format {
        case .json:
            let documents = zip(targets.items, lists).map { ($0, InFlightJSON.render($0.checkpoint, $1)) }
            Output.write(json: targets.document(command: "inflight", documents))
        case .text:
            var table = Table(headers: targets.headers(["ID", "KIND", "BYTES", "SOURCE"]), rightAligned: targets.rightAligned([2]))
            for (t, sources) in zip(targets.items, lists) {
                for s in sources { table.rows.append(targets.row(t, [s.id, s.kind.rawValue, String(s.length), Terminal.safe(s.name)])) }
            }
            if !table.rows.isEmpty { Output.write(table.render(style: output.style)) }
            let all = lists.flatMap { $0 }
            let total = all.reduce(0) { $0 + $1.length }
            Output.write("\(all.count) source\(all.count == 1 ? "" : "s"), \(total) byte\(total == 1 ? "" : "s")\n")
        }
        try targets.finish()
    }
}

struct InFlightCat: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cat",
        abstract: "Print one source's bytes (raw, or a hexdump with --hex).",
        discussion: "Ranges the checkpoint holds no bytes for (a memfd's untouched pages, a ghost file's sparse gaps) are printed as zeros and named on stderr.")

    @OptionGroup var options: InFlightOptions
    @Argument(help: "The source's id (see `inflight ls`).") var id: String
    @Flag(name: .long, help: "Print a hexdump instead of the raw bytes.") var hex = false
    @OptionGroup var diagnostics: DiagnosticOptions

    func run() throws {
        let (c, sources) = try options.sources(diagnostics, command: "inflight cat")
        let source = try options.select([id], from: sources)[0]
        for hole in source.holes {
            diagnostics.warn("\(RawPath.display(options.path)): \(source.id): bytes \(hole.range.lowerBound)-\(hole.range.upperBound) are not in the checkpoint (\(hole.reason.rawValue)); printed as zeros")
        }
        if hex {
            let bytes = try withCheckpointErrors { () throws(CheckpointError) in try c.readInFlightData(source) }
            Output.write(Hexdump.render(bytes))
            return
        }
        // Raw: streamed, holes as zeros, in order.
        var next: UInt64 = 0
        func zeros(to end: UInt64) {
            while next < end {
                let n = min(end - next, 1 << 20)
                Output.write(Data(count: Int(n)))
                next += n
            }
        }
        try withCheckpointErrorsThrowing {
            try c.streamInFlightData([source]) { _, offset, bytes in
                zeros(to: offset)
                if offset == next {
                    Output.write(Data(bytes))
                    next += UInt64(bytes.count)
                }
            }
        }
        zeros(to: source.length)
    }
}

struct InFlightExtract: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract",
        abstract: "Write sources to files in a directory, one file per source, named after its id.",
        discussion: "Files are named <id>.bin with ':' as '-' (tcp-recv-queue-46842.bin), created with mode 0600, never through symlinks, and existing files are kept unless --force. Holes are left sparse (reading as zeros).")

    @OptionGroup var options: InFlightOptions
    @Argument(help: "The ids of the sources to write (default: every source with bytes).") var ids: [String] = []
    @Option(name: [.short, .long], help: "The output directory (created if missing).") var output: String
    @Flag(name: .long, help: "Overwrite existing files.") var force = false
    @OptionGroup var diagnostics: DiagnosticOptions

    func run() throws {
        let (c, sources) = try options.sources(diagnostics, command: "inflight extract")
        let chosen = ids.isEmpty ? sources.filter { $0.length > 0 } : try options.select(ids, from: sources)
        let directory = try SafeOutput.directory(output)
        var handles: [Foundation.FileHandle] = []
        for s in chosen {
            let handle = try SafeOutput.open(SafeOutput.child(directory, InFlightJSON.fileName(s)), force: force)
            try handle.truncate(atOffset: s.length)
            handles.append(handle)
        }
        var failure: String?
        try withCheckpointErrorsThrowing {
            try c.streamInFlightData(chosen) { index, offset, bytes in
                guard failure == nil, let base = bytes.baseAddress else { return }
                if pwrite(handles[index].fileDescriptor, base, bytes.count, off_t(offset)) != bytes.count {
                    failure = "\(InFlightJSON.fileName(chosen[index])): write failed: \(String(cString: strerror(errno)))"
                }
            }
        }
        if let failure {
            Output.error("\(directory)/\(failure)")
            throw ExitCode.badData
        }
        for (s, handle) in zip(chosen, handles) {
            try handle.close()
            Output.write("wrote \(SafeOutput.child(directory, InFlightJSON.fileName(s))) (\(s.length) byte\(s.length == 1 ? "" : "s")): \(Terminal.safe(s.name))\n")
        }
        if chosen.isEmpty { Output.write("no in-flight data to write\n") }
    }
}

/// JSON of `inflight ls` (schema: Schemas/inflight.schema.json).
enum InFlightJSON {
    static let schemaVersion = "ckpt-inspect/inflight/v1"

    /// The file a source is extracted to: its id with `:` as `-`, and `.bin`.
    static func fileName(_ s: InFlightData) -> String { s.id.replacingOccurrences(of: ":", with: "-") + ".bin" }

    /// A TCP endpoint's address (`127.0.0.1`, `::1`), or a unix socket's name or peer as they are.
    static func address(_ s: InFlightData, _ endpoint: String?) -> JSONValue {
        guard let endpoint else { return .null }
        guard s.kind == .tcpReceiveQueue || s.kind == .tcpSendQueue, let colon = endpoint.lastIndex(of: ":") else { return .string(endpoint) }
        return .string(endpoint[..<colon].trimmingCharacters(in: CharacterSet(charactersIn: "[]")))
    }

    /// A TCP endpoint's port; null for other sources.
    static func port(_ s: InFlightData, _ endpoint: String?) -> JSONValue {
        guard s.kind == .tcpReceiveQueue || s.kind == .tcpSendQueue, let endpoint, let colon = endpoint.lastIndex(of: ":"),
              let port = UInt32(endpoint[endpoint.index(after: colon)...]) else { return .null }
        return .int(port)
    }

    static func source(_ s: InFlightData) -> JSONValue {
        .object([
            ("id", .string(s.id)),
            ("kind", .string(s.kind.rawValue)),
            ("name", .string(s.name)),
            ("length", .int(s.length)),
            ("holders", .array(s.holders.map { h in
                .object([("pid", .int(h.pid)), ("fd", h.fd.map { .int($0) } ?? .null), ("role", .string(h.role.rawValue))])
            })),
            ("image", .string(s.image)),
            ("entry", s.entry.map { .int($0) } ?? .null),
            ("path", s.path.map(JSONValue.string) ?? .null),
            ("local_address", address(s, s.localEndpoint)),
            ("local_port", port(s, s.localEndpoint)),
            ("remote_address", address(s, s.remoteEndpoint)),
            ("remote_port", port(s, s.remoteEndpoint)),
            ("inode", s.inode.map { .int($0) } ?? .null),
            ("packets", s.packets.map { .int($0) } ?? .null),
            ("holes", .array(s.holes.map { h in
                .object([("offset", .int(h.range.lowerBound)), ("length", .int(UInt64(h.range.count))), ("reason", .string(h.reason.rawValue))])
            })),
        ])
    }

    static func render(_ c: Checkpoint, _ sources: [InFlightData]) -> JSONValue {
        .object([
            ("schema", .string(schemaVersion)),
            ("path", .string(RawPath.display(c.path))),
            ("total_bytes", .int(sources.reduce(0) { $0 + $1.length })),
            ("sources", .array(sources.map(source))),
        ])
    }
}
