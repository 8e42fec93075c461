import ArgumentParser
import Checkpoint
import CheckpointArchive
import CRIUImages
import Foundation

struct Search: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find every place a string or pattern occurs in the dumped memory of all processes and shared memory.",
        discussion: "Only pages the checkpoint holds are searched (pages that were never dumped are not fabricated as zeros). Matches across page and VMA boundaries are found. Shared memory is searched once and each hit lists every process that maps it. The data CRIU saved outside memory is searched too (TCP queues, pipe buffers, socket queues, ghost files, unmapped memfds: see `inflight`), each hit named by its source; --no-in-flight leaves it out.")

    @Argument(help: "A checkpoint archive or directory.") var path: String
    @Argument(help: "The pattern: a literal string unless --hex, --utf16 or --regex.") var pattern: String
    @Flag(name: .long, help: "PATTERN is hex bytes (e.g. 'de ad be ef').") var hex = false
    @Flag(name: .long, help: "Search PATTERN as UTF-16LE text.") var utf16 = false
    @Flag(name: .long, help: "PATTERN is a regular expression over bytes (ICU syntax; . matches any byte).") var regex = false
    @OptionGroup var selection: ProcessSelection
    @Option(name: .long, parsing: .unconditional, help: "Show this many bytes of context around each hit (0...4096).",
            transform: { try Parse.number($0, in: 0...4096) })
    var context: Int = 0
    @Option(name: .long, parsing: .unconditional, help: "Show at most this many hits (the others are counted).",
            transform: { try Parse.number($0, in: 1...Int.max) })
    var maxHits: Int = 10_000
    @Flag(name: .long, help: "Search only memory, not the data saved outside it (TCP queues, pipe buffers, socket queues, ghost files, memfds).") var noInFlight = false
    @OptionGroup var output: OutputOptions
    @OptionGroup var source: PreviousOption
    @OptionGroup var pods: PodSelection

    var diagnostics: DiagnosticOptions { output.diagnostics }
    var format: OutputFormat { output.format }

    func validate() throws {
        let modes = [("--hex", hex), ("--utf16", utf16), ("--regex", regex)].filter(\.1).map(\.0)
        if modes.count > 1 { throw UsageError(modes.joined(separator: " and "), "give one of --hex, --utf16, --regex") }
        if pattern.isEmpty { throw UsageError("PATTERN ''", "the pattern is empty") }
        if regex, (try? NSRegularExpression(pattern: pattern)) == nil { throw UsageError(option: "--regex", value: pattern, "not a valid regular expression (ICU syntax)") }
        if hex, Self.hexBytes(pattern) == nil { throw UsageError(option: "--hex", value: pattern, "needs pairs of hex digits, e.g. 'de ad be ef'") }
    }

    /// The owner of a hit as typed fields: a process's pid, or a shared-memory object's id.
    static func owner(_ owner: MemoryOwner) -> [(String, JSONValue)] {
        switch owner {
        case .process(let pid): [("owner", .string("process")), ("pid", .int(pid)), ("shmid", .null)]
        case .sharedMemory(let id): [("owner", .string("shmem")), ("pid", .null), ("shmid", .int(id))]
        }
    }

    static func hexBytes(_ text: String) -> [UInt8]? {
        let digits = text.filter { !$0.isWhitespace && $0 != ":" }
        guard digits.count % 2 == 0, !digits.isEmpty else { return nil }
        var out: [UInt8] = []
        var i = digits.startIndex
        while i < digits.endIndex {
            let j = digits.index(i, offsetBy: 2)
            guard let b = UInt8(digits[i..<j], radix: 16) else { return nil }
            out.append(b)
            i = j
        }
        return out
    }

    func run() throws {
        let searchPattern: SearchPattern
        if regex {
            searchPattern = .regex(pattern)
        } else if hex {
            searchPattern = .bytes(Self.hexBytes(pattern)!)
        } else if utf16 {
            searchPattern = .bytes(pattern.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
        } else {
            searchPattern = .bytes(Array(pattern.utf8))
        }
        // A compressed archive is scanned while it is opened: one pass for the index and the scan.
        let streaming = CheckpointSource.isSeekable(path: RawPath.resolve(path)) ? nil : MemorySearch.Streaming(engine(searchPattern))
        let targets = try pods.targets(path, previous: source.previous, progress: diagnostics.reading(path, json: format == .json),
                                       diagnostics: diagnostics, streaming: streaming)
        try selection.check(targets)
        var documents: [(Target, JSONValue)] = []
        var found = false
        for t in targets.items {
            let hits = try search(t.checkpoint, searchPattern, prefix: t.container.map { "container \(Terminal.safe($0)): " } ?? "",
                                  streamed: t.streamed ? streaming : nil)
            found = found || !hits.isEmpty
            documents.append((t, hits.json))
        }
        if format == .json { Output.write(json: targets.document(command: "search", documents)) }
        if !found, format == .text { diagnostics.warn("\(path): no match") }
        try targets.finish()
        if !found { throw ExitCode(1) }
    }

    /// The search of the command line: every hit counted, the first --max-hits kept.
    func engine(_ searchPattern: SearchPattern) -> MemorySearch {
        var search = MemorySearch(pattern: searchPattern, pids: selection.isEmpty ? nil : Set(selection.pid), maxHits: maxHits)
        search.countsAll = true
        return search
    }

    /// Searches one checkpoint; prints the text hits (each line after `prefix`) and returns the JSON document.
    func search(_ c: Checkpoint, _ searchPattern: SearchPattern, prefix: String, streamed: MemorySearch.Streaming?) throws -> (isEmpty: Bool, json: JSONValue) {
        let search = engine(searchPattern)
        let found: MemorySearch.Result
        if let streamed {
            // Scanned during the open.
            found = try withCheckpointErrors { () throws(CheckpointError) in try streamed.result(in: c) }
        } else {
            let progress = diagnostics.progress("scanning pages", json: format == .json)
            progress.start()
            found = try withCheckpointErrors { () throws(CheckpointError) in
                try search.search(in: c) { done, total in progress.update(done, total) }
            }
            progress.finish()
        }
        let hits = found.hits
        for (pid, error) in found.unreadable { diagnostics.warn("pid \(pid) not searched: " + error.description) }
        // The data saved outside memory, when the memory hits leave room under --max-hits.
        let inFlight: [InFlightHit] = noInFlight || hits.count >= maxHits ? [] : try withCheckpointErrors { () throws(CheckpointError) in
            var rest = search
            rest.maxHits = maxHits - hits.count
            return try rest.runInFlight(in: c)
        }
        let inFlightContexts = try Self.contexts(of: inFlight, in: c, context: context)
        // Context bytes of every hit, read in one batch (one pass over a compressed archive).
        var contexts: [Int: [MemorySegment]] = [:]
        if context > 0 {
            var spaces: [UInt32: AddressSpace] = [:]
            var ranges: [(space: AddressSpace, range: Range<UInt64>)] = []
            var hitOfRange: [Int] = []
            for (i, hit) in hits.enumerated() {
                guard let m = hit.mappings.first else { continue }
                if spaces[m.pid] == nil { spaces[m.pid] = (try? c.addressSpace(m.pid)) ?? nil }
                guard let space = spaces[m.pid] else { continue }
                let start = m.address >= UInt64(context) ? m.address - UInt64(context) : 0
                ranges.append((space, start..<start + UInt64(context) * 2 + UInt64(hit.match.count)))
                hitOfRange.append(i)
            }
            let segments = try withCheckpointErrors { () throws(CheckpointError) in try c.readMemory(ranges) }
            for (k, i) in hitOfRange.enumerated() { contexts[i] = segments[k] }
        }
        var document = JSONValue.null
        switch format {
        case .json:
            let items: [JSONValue] = hits.enumerated().map { i, h in
                var pairs: [(String, JSONValue)] = Self.owner(h.owner) + [
                    ("address", .string(JSONValue.hex(h.address))),
                    ("match", .string(Terminal.safe(String(decoding: h.match, as: UTF8.self)))),
                    ("match_hex", .string(h.match.map { String(format: "%02x", $0) }.joined())),
                    ("mappings", .array(h.mappings.map { m in
                        .object([
                            ("pid", .int(m.pid)), ("address", .string(JSONValue.hex(m.address))),
                            ("vma_start", .string(JSONValue.hex(m.vmaStart))), ("vma_end", .string(JSONValue.hex(m.vmaEnd))),
                            ("kind", .string(m.kind.rawValue)), ("file", m.file.map(JSONValue.string) ?? .null),
                        ])
                    })),
                ]
                if let segments = contexts[i] {
                    pairs.append(("context_hex", .string(segments.flatMap { $0.bytes ?? [] }.map { String(format: "%02x", $0) }.joined())))
                }
                return .object(pairs)
            }
            let others: [JSONValue] = inFlight.enumerated().map { i, h in
                var pairs: [(String, JSONValue)] = [
                    ("source", .string(h.source.id)), ("kind", .string(h.source.kind.rawValue)), ("name", .string(h.source.name)),
                    ("offset", .int(h.offset)),
                    ("match", .string(Terminal.safe(String(decoding: h.match, as: UTF8.self)))),
                    ("match_hex", .string(h.match.map { String(format: "%02x", $0) }.joined())),
                ]
                if let bytes = inFlightContexts[i] { pairs.append(("context_hex", .string(bytes.map { String(format: "%02x", $0) }.joined()))) }
                return .object(pairs)
            }
            document = .object([("schema", .string("ckpt-inspect/search/v2")), ("pattern", .string(pattern)),
                                ("hits", .array(items)), ("total", .int(found.total)),
                                ("truncated", .bool(found.isTruncated)), ("max_hits", .int(maxHits)), ("in_flight", .array(others))])
        case .text:
            let style = output.style
            for (i, h) in hits.enumerated() {
                let where_ = h.mappings.map { m in
                    "pid \(m.pid) 0x\(String(m.address, radix: 16)) [\(m.kind.rawValue)\(m.file.map { " " + Terminal.safe($0) } ?? "") \(String(m.vmaStart, radix: 16))-\(String(m.vmaEnd, radix: 16))]"
                }.joined(separator: ", ")
                var line = h.owner.description.hasPrefix("shmem") ? "\(h.owner) +0x\(String(h.address, radix: 16)): " : ""
                line += where_.isEmpty ? "\(h.owner) 0x\(String(h.address, radix: 16))" : where_
                line += "  \"" + style.red(Terminal.safe(String(decoding: h.match, as: UTF8.self))) + "\""
                Output.write(prefix + line + "\n")
                if let segments = contexts[i] { Output.write(Hexdump.render(segments)) }
            }
            if found.isTruncated {
                Output.write(prefix + "\(found.total - hits.count) more not shown (\(plural(found.total, "hit")) in all; --max-hits \(maxHits))\n")
            }
            for (i, h) in inFlight.enumerated() {
                Output.write(prefix + "\(Terminal.safe(h.source.name)) +0x\(String(h.offset, radix: 16))  \"" + style.red(Terminal.safe(String(decoding: h.match, as: UTF8.self))) + "\"\n")
                if let bytes = inFlightContexts[i] {
                    let start = h.offset >= UInt64(context) ? h.offset - UInt64(context) : 0
                    Output.write(Hexdump.render(bytes, address: start))
                }
            }
        }
        return (hits.isEmpty && inFlight.isEmpty, document)
    }

    /// The bytes around each in-flight hit (sources up to 64 MiB are read, each once).
    static func contexts(of hits: [InFlightHit], in c: Checkpoint, context: Int) throws -> [Int: [UInt8]] {
        guard context > 0 else { return [:] }
        var bytesOf: [String: [UInt8]] = [:]
        var out: [Int: [UInt8]] = [:]
        for (i, h) in hits.enumerated() where h.source.length <= 64 << 20 {
            if bytesOf[h.source.id] == nil {
                bytesOf[h.source.id] = try withCheckpointErrors { () throws(CheckpointError) in try c.readInFlightData(h.source) }
            }
            let bytes = bytesOf[h.source.id]!
            let start = Int(h.offset) >= context ? Int(h.offset) - context : 0
            out[i] = Array(bytes[start..<min(bytes.count, Int(h.offset) + h.match.count + context)])
        }
        return out
    }
}
