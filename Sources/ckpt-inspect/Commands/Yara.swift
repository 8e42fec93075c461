import ArgumentParser
import Checkpoint
import CheckpointArchive
import CheckpointYARA
import CRIUImages
import Foundation

struct Yara: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "yara",
        abstract: "Scan each process's memory, the data saved outside it and the container's files with YARA rules (.yar sources or rules compiled by yarac).",
        discussion: """
            Each process is scanned as `yara PID` scans a live one: its VMAs' dumped pages (pre-dump parent pages \
            included, shared memory in every process mapping it) are YARA memory blocks at their virtual addresses; \
            pages the checkpoint does not hold are left out, never scanned as zeros. A string spanning two pages of \
            one VMA matches. The data CRIU saved outside memory (TCP queues, pipe buffers, socket queues, ghost files, \
            memfds no scanned process maps) and the container's files (rootfs diff, tmpfs images, /dev/shm, volumes) are \
            scanned too, each named as its source, offsets from its start (--memory-only leaves them out; with --pid, only \
            the data those processes hold). Rules files are given as for yara: FILE or NAMESPACE:FILE; a file compiled by yarac \
            (of this libyara's version) is detected by its magic. Exit status: 0 when a rule matched, 1 when none \
            did, 2 on errors (rules that do not compile, an unreadable checkpoint, a timeout).
            """)

    @Argument(help: "A YARA rules file: source ([NAMESPACE:]FILE) or compiled by yarac.") var rules: String
    @Argument(help: "A checkpoint archive or directory.") var path: String
    @Option(name: .customLong("rules"), help: "Another rules source file ([NAMESPACE:]FILE); repeatable.") var moreRules: [String] = []
    @OptionGroup var selection: ProcessSelection
    @Option(name: .long, parsing: .unconditional, help: "Stop scanning after this many seconds (0: no limit).",
            transform: { try Parse.number($0, in: 0...Int(Int32.max)) })
    var timeout: Int = 0
    @Option(name: .long, parsing: .unconditional, help: "Matches kept per string and shown per rule and process.",
            transform: { try Parse.number($0, in: 1...Int(Int32.max)) })
    var maxMatches: Int = 1000
    @Flag(name: .long, help: "Scan only process memory, not the data CRIU saved outside it (TCP queues, pipe buffers, socket queues, ghost files, memfds) nor the container's files (rootfs diff, tmpfs images, /dev/shm, volumes).")
    var memoryOnly = false
    @OptionGroup var source: PreviousOption
    @OptionGroup var mapped: RootfsOption
    @OptionGroup var sizes: SizeOptions
    @OptionGroup var output: OutputOptions

    var diagnostics: DiagnosticOptions { output.diagnostics }
    var format: OutputFormat { output.format }

    /// `NAMESPACE:FILE` as yara reads it: a namespace only when FILE exists and the whole argument does not.
    static func source(_ argument: String) -> YARARules.Source {
        let resolved = RawPath.resolve(argument)
        if !FileManager.default.fileExists(atPath: resolved), let colon = argument.firstIndex(of: ":"), colon != argument.startIndex {
            let file = String(argument[argument.index(after: colon)...])
            if FileManager.default.fileExists(atPath: RawPath.resolve(file)) {
                return YARARules.Source(path: RawPath.resolve(file), namespace: String(argument[..<colon]), displayName: file)
            }
        }
        return YARARules.Source(path: resolved, displayName: argument)
    }

    func loadRules() throws -> YARARules {
        let sources = ([rules] + moreRules).map(Self.source)
        for source in sources {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: source.path, isDirectory: &isDirectory) else {
                Output.error("\(source.displayName): no such file")
                throw ExitCode.usage
            }
            if isDirectory.boolValue {
                Output.error("\(source.displayName): is a directory (give the rules files)")
                throw ExitCode.usage
            }
        }
        do {
            if YARARules.isCompiled(path: sources[0].path) {
                guard sources.count == 1, sources[0].namespace == nil else {
                    Output.error("\(sources[0].displayName): compiled rules are used alone (no namespace, no other rules files)")
                    throw ExitCode.usage
                }
                return try YARARules(loadingCompiled: sources[0].path, displayName: sources[0].displayName)
            }
            if let compiled = sources.dropFirst().first(where: { YARARules.isCompiled(path: $0.path) }) {
                Output.error("\(compiled.displayName): compiled rules are used alone (no namespace, no other rules files)")
                throw ExitCode.usage
            }
            let compiled = try YARARules(compiling: sources)
            for warning in compiled.warnings { diagnostics.warn(warning.description) }
            return compiled
        } catch let error as YARAError {
            if error.code == .compile {
                for d in error.diagnostics { Output.error(d.description) }
                if !error.diagnostics.contains(where: \.isError) { Output.error(error.description) }
            } else {
                Output.error(error.description)
            }
            throw ExitCode.usage
        }
    }

    func run() throws {
        let compiled = try loadRules()
        try mapped.validateDirectory()
        let scan = YARAScan(pids: selection.isEmpty ? nil : Set(selection.pid), timeout: timeout, maxMatches: maxMatches,
                            rootfs: mapped.rootfs.map(RawPath.resolve))
        // A compressed archive is scanned while it is read for the index: one pass. Plain tars and
        // directories are opened as usual and read by position.
        let streaming = YARAStreamingScan(scan, rules: compiled)
        let c: Checkpoint
        do {
            c = try openCheckpoint(path, previous: source.previous, progress: diagnostics.reading(path, json: format == .json),
                                   diagnostics: diagnostics, streaming: CheckpointSource.isSeekable(path: RawPath.resolve(path)) ? nil : streaming)
        } catch let exit as ExitCode where exit == .badData {
            throw ExitCode.usage
        }
        _ = try selection.processes(in: c)
        let progress = diagnostics.progress("scanning memory", json: format == .json)
        progress.start()
        var report: YARAReport
        do {
            report = try streaming.report(in: c) { done, total in progress.update(done, total) }
            if !memoryOnly { report = report.merged(with: try streaming.reportData(in: c)) }
        } catch {
            progress.finish()
            Output.error(error.description)
            throw ExitCode.usage
        }
        progress.finish()
        if mapped.rootfs != nil {
            for note in report.unusedFiles { diagnostics.warn("\(RawPath.display(note)) (its pages stay holes)") }
        }
        let ruleFiles = ([rules] + moreRules).map { Self.source($0).displayName }
        switch format {
        case .json: Output.write(json: Self.json(report, checkpoint: path, rules: ruleFiles))
        case .text: Output.write(Self.text(report, sizes: sizes, maxMatches: maxMatches))
        }
        for problem in report.problems {
            if problem.severity == .error { Output.error("\(path): \(problem)") } else { diagnostics.warn("\(path): \(problem)") }
        }
        if report.problems.contains(where: { $0.severity == .error }) { throw ExitCode.usage }
        if report.matches.isEmpty {
            if format == .text { diagnostics.warn("\(path): no rule matched") }
            throw ExitCode(1)
        }
    }

    /// Matched bytes as yara prints a text string: printable ASCII as is, others `\xNN`.
    static func escaped(_ bytes: [UInt8]) -> String {
        var out = ""
        for b in bytes {
            if b >= 0x20 && b < 0x7F && b != 0x5C && b != 0x22 {
                out.unicodeScalars.append(Unicode.Scalar(b))
            } else if b == 0x5C || b == 0x22 {
                out += "\\" + String(Unicode.Scalar(b))
            } else {
                out += String(format: "\\x%02x", b)
            }
        }
        return out
    }

    static func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }

    static func metaText(_ m: YARAMetadata) -> String {
        switch m.value {
        case .string(let s): "\(m.identifier)=\"\(escaped(Array(s.utf8)))\""
        case .integer(let i): "\(m.identifier)=\(i)"
        case .boolean(let b): "\(m.identifier)=\(b)"
        }
    }

    static func text(_ report: YARAReport, sizes: SizeOptions, maxMatches: Int) -> String {
        var out = ""
        for m in report.matches {
            var line = m.rule
            if !m.tags.isEmpty { line += " [" + m.tags.joined(separator: ",") + "]" }
            if !m.metadata.isEmpty { line += " [" + m.metadata.map(metaText).joined(separator: ",") + "]" }
            line += " " + Terminal.safe(m.target.description)
            if m.namespace != "default" { line += " (namespace \(m.namespace))" }
            out += line + "\n"
            for s in m.strings {
                let data = s.isHex ? s.bytes.map { String(format: "%02x", $0) }.joined(separator: " ") : "\"" + escaped(s.bytes) + "\""
                let more = s.bytes.count < s.length ? " (+\(s.length - s.bytes.count) bytes)" : ""
                var text = "  \(hex(s.address)):\(s.identifier): \(data)\(more)"
                if let r = s.region {
                    text += "  [\(r.kind.rawValue) \(r.permissions) \(String(r.start, radix: 16))-\(String(r.end, radix: 16))\(r.file.map { " " + Terminal.safe($0) } ?? "")]"
                }
                if let origin = s.origin { text += " not in the checkpoint: " + Terminal.safe(origin.description) }
                out += text + "\n"
            }
            if m.isTruncated {
                // A string that stopped collecting at the limit had more matches than counted.
                let more = m.stringMatchCount > m.strings.count ? "\(m.stringMatchCount - m.strings.count) more" : "more"
                out += "  \(more) not shown (\(plural(m.stringMatchCount, "string match", "string matches")) kept in all; --max-matches \(maxMatches))\n"
            }
        }
        let matchedTargets = Set(report.matches.map(\.target)).count
        let rules = report.matches.count
        let processes = report.targets.filter(\.isMemory).count
        let files = report.targets.filter { if case .file = $0 { true } else { false } }.count
        let inFlight = report.targets.count - processes - files
        if inFlight == 0 && files == 0 {
            out += "\(plural(rules, "match", "matches")) in \(matchedTargets) of \(plural(processes, "process", "processes")) (\(sizes.text(report.bytesScanned)) scanned)\n"
        } else {
            var kinds = [plural(processes, "process", "processes")]
            if inFlight > 0 { kinds.append(plural(inFlight, "in-flight source")) }
            if files > 0 { kinds.append(plural(files, "file")) }
            out += "\(plural(rules, "match", "matches")) in \(matchedTargets) of \(plural(report.targets.count, "target")) (\(kinds.joined(separator: ", ")); \(sizes.text(report.bytesScanned)) scanned)\n"
        }
        return out
    }

    static func json(_ report: YARAReport, checkpoint: String, rules: [String]) -> JSONValue {
        func target(_ t: YARATarget) -> JSONValue {
            switch t {
            case .process(let pid, let command): .object([("kind", .string("process")), ("pid", .int(pid)), ("comm", .string(command))])
            case .inFlight(let id, let name): .object([("kind", .string("in-flight")), ("id", .string(id)), ("name", .string(name))])
            case .file(let layer, let path): .object([("kind", .string("file")), ("layer", .string(layer)), ("path", .string(path))])
            }
        }
        let matches: [JSONValue] = report.matches.map { m in
            let isProcess = m.target.isMemory
            let strings: [JSONValue] = m.strings.map { s in
                var pairs: [(String, JSONValue)] = [("identifier", .string(s.identifier))]
                pairs.append(isProcess ? ("address", .string(hex(s.address))) : ("offset", .int(s.address)))
                pairs += [
                    ("length", .int(s.length)),
                    ("data", .string(Terminal.safe(String(decoding: s.bytes, as: UTF8.self)))),
                    ("data_hex", .string(s.bytes.map { String(format: "%02x", $0) }.joined())),
                    ("data_truncated", .bool(s.bytes.count < s.length)),
                ]
                if isProcess {
                    pairs.append(("vma", s.region.map { r in
                        .object([("start", .string(hex(r.start))), ("end", .string(hex(r.end))), ("kind", .string(r.kind.rawValue)),
                                 ("permissions", .string(r.permissions)), ("file", r.file.map(JSONValue.string) ?? .null)])
                    } ?? .null))
                    pairs.append(("origin", s.origin.map { o in
                        .object([("path", .string(o.path)), ("source", .string(o.source)), ("offset", .int(o.offset))])
                    } ?? .null))
                }
                return .object(pairs)
            }
            let meta: [JSONValue] = m.metadata.map { d in
                let value: JSONValue = switch d.value {
                case .string(let s): .string(s)
                case .integer(let i): .int(i)
                case .boolean(let b): .bool(b)
                }
                return .object([("identifier", .string(d.identifier)), ("value", value)])
            }
            return .object([
                ("rule", .string(m.rule)), ("namespace", .string(m.namespace)), ("tags", .array(m.tags.map(JSONValue.string))),
                ("meta", .array(meta)), ("target", target(m.target)), ("strings", .array(strings)),
                ("total", .int(m.stringMatchCount)), ("truncated", .bool(m.isTruncated)),
            ])
        }
        return .object([
            ("schema", .string("ckpt-inspect/yara/v1")),
            ("checkpoint", .string(checkpoint)),
            ("rules", .array(rules.map(JSONValue.string))),
            ("targets", .array(report.targets.map(target))),
            ("bytes_scanned", .int(report.bytesScanned)),
            ("matches", .array(matches)),
            ("problems", .array(report.problems.map { p in
                .object([("severity", .string(p.severity.rawValue)), ("target", target(p.target)), ("message", .string(p.message))])
            })),
        ])
    }
}
