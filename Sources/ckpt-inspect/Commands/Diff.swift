import ArgumentParser
import Checkpoint
import CheckpointArchive
import CheckpointAnalysis
import Foundation

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare two checkpoints, down to the page.",
        discussion: """
            Sections: container, processes, vmas, memory, fds, sockets, mounts, cgroups, files (rootfs diff, volumes, \
            /dev/shm, deleted.files), stats. Lines start with + (only in B), - (only in A) or ~ (changed); each section \
            ends with a summary line. Processes are paired by pid, then by tree position and comm.
            Exit status: 0 when the compared sections are equal, 1 when they differ, 2 on trouble (as diff(1)).
            """)

    @Argument(help: "Checkpoint A: an archive or directory.") var pathA: String
    @Argument(help: "Checkpoint B: an archive or directory.") var pathB: String
    @Option(name: .long, help: ArgumentHelp("Only these sections, comma-separated: \(DiffSection.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "sections"),
            transform: Diff.sections)
    var only: Set<DiffSection>?
    @Flag(name: .long, help: "Also list what is equal, with its value.") var showUnchanged = false
    @Flag(name: .long, help: "Show the differing 16-byte lines of changed pages.") var hexdump = false
    @Option(name: .long, parsing: .unconditional, help: "With --hexdump: show at most this many bytes in all (default 4096).",
            transform: { try Parse.number($0, in: 0...Int.max) })
    var maxBytes: Int?
    @Flag(name: .long, help: "Write a self-contained HTML page (with --output) with the changed pages drawn over each address space.") var html = false
    @Option(name: [.short, .long], help: "With --html: the file to write (refuses to overwrite without --force).") var output: String?
    @Flag(name: .long, help: "With --html: overwrite --output.") var force = false
    @Option(name: .long, help: "A separate archive or directory with the parent (pre-dump) images of A.") var previousA: String?
    @Option(name: .long, help: "A separate archive or directory with the parent (pre-dump) images of B.") var previousB: String?
    @OptionGroup var report: OutputOptions
    @OptionGroup var pods: PodSelection

    var format: OutputFormat { report.format }
    var diagnostics: DiagnosticOptions { report.diagnostics }

    /// `--only`'s list: every name one of ``DiffSection``'s.
    static func sections(_ text: String) throws -> Set<DiffSection> {
        var sections = Set<DiffSection>()
        for name in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
            guard let s = DiffSection(name: name) else {
                throw Parse.Problem("unknown section '\(name)'; one of: \(DiffSection.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            sections.insert(s)
        }
        if sections.isEmpty { throw Parse.Problem("no section named") }
        return sections
    }

    func validate() throws {
        if let output, !html { throw UsageError(option: "--output", value: output, "only with --html (the text and JSON reports go to stdout)") }
        if html && output == nil { throw UsageError("--html", "needs --output FILE") }
        if html && format == .json { throw UsageError("--html", "not with --format json") }
        if force && output == nil { throw UsageError("--force", "only with --html --output FILE") }
        if let maxBytes, !hexdump { throw UsageError(option: "--max-bytes", value: String(maxBytes), "only with --hexdump") }
    }

    func run() throws {
        let trouble = ExitCode(2)
        let sections = only ?? Set(DiffSection.allCases)
        let options = DiffOptions(sections: sections, includeUnchanged: showUnchanged, hexdumpBytes: hexdump ? maxBytes ?? 4096 : 0)
        var result: CheckpointDiff
        let checkpointB: Checkpoint
        let json = format == .json
        do {
            // Each side's reader keeps reporting its later passes (hashing pages of a compressed archive).
            let readingA = diagnostics.reading(pathA, json: json)
            defer { readingA.finish() }
            let sideA = try Comparand.open(pathA, previous: previousA, progress: readingA, nested: sections.contains(.files))
            readingA.finish()
            let readingB = diagnostics.reading(pathB, json: json)
            defer { readingB.finish() }
            let sideB = try Comparand.open(pathB, previous: previousB, progress: readingB, nested: sections.contains(.files))
            readingB.finish()
            // Pod checkpoints: containers paired by name (or the one --container names against a container checkpoint).
            guard case .container(let a) = try pods.pair(sideA, sideB), case .container(let b) = try pods.pair(sideB, sideA) else {
                return try diffPods(sideA, sideB, options: options)
            }
            var openedB = b
            // `diff PRE FINAL`: a final dump whose parent pre-checkpoint is missing, compared with a
            // pre-checkpoint of the same processes, takes it as its parent (unless --previous-b says otherwise).
            if case .container = sideB, previousB == nil, a.processTree == .preDump, !openedB.missingParents.isEmpty,
               Set(openedB.missingParents.flatMap(\.pids)).isSubset(of: Set(a.processes.map(\.pid))) {
                openedB = try Checkpoint.open(RawPath.resolve(pathB), options: .init(previous: RawPath.resolve(pathA), source: .init(progress: readingB.reporter),
                                                                      listNestedArchives: sections.contains(.files)))
                diagnostics.warn("\(pathB): its parent pre-checkpoint is missing; \(pathA), a pre-checkpoint of the same processes, is used as its parent (--previous-b chooses another)")
            }
            checkpointB = openedB
            let comparing = diagnostics.progress("comparing memory", unit: .items("pages"), json: json)
            defer { comparing.finish() }
            result = try diff(a, checkpointB, options: options, progress: comparing.reporter)
            // The sides as the user named them (a name that is not UTF-8 was opened by its alias).
            result.a.path = RawPath.display(result.a.path)
            result.b.path = RawPath.display(result.b.path)
        } catch let code as ExitCode {
            throw code  // already reported (a pod diff's own result or usage error)
        } catch {
            Output.error(String(describing: error))
            throw trouble
        }
        if html, let output {
            do {
                try SafeOutput.write(Data(DiffHTML.render(result, b: checkpointB).utf8), to: output, force: force)
            } catch {
                throw trouble
            }
            Output.write("wrote \(output)\n")
        } else if format == .json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            encoder.keyEncodingStrategy = .convertToSnakeCase
            let data: Data
            do {
                data = try encoder.encode(result)
            } catch {
                Output.error("cannot encode the result: \(error)")
                throw trouble
            }
            Output.write(data)
            Output.write("\n")
        } else {
            Output.write(DiffText(result: result, showUnchanged: showUnchanged, showWarnings: !diagnostics.quiet, style: report.style).render())
        }
        if !result.equal { throw ExitCode(1) }
    }
}

/// The readable report: sections with `+`/`-`/`~` lines and a summary line each.
struct DiffText {
    var result: CheckpointDiff
    var showUnchanged: Bool
    /// The result's warnings (not with `--quiet`).
    var showWarnings = true
    var style = Style(.never)

    static let maxValue = 160

    static func value(_ s: String?) -> String {
        guard let s else { return "(none)" }
        let safe = Terminal.safe(s)
        return safe.count > maxValue ? String(safe.prefix(maxValue)) + "…" : safe
    }

    static func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }

    static func field(_ f: FieldChange, prefix: String = "") -> String {
        switch f.kind {
        case .added: "+ \(prefix)\(Terminal.safe(f.field)): \(value(f.b))"
        case .removed: "- \(prefix)\(Terminal.safe(f.field)): \(value(f.a))"
        case .changed: "~ \(prefix)\(Terminal.safe(f.field)): \(value(f.a)) -> \(value(f.b))"
        }
    }

    static func marker(_ k: ChangeKind) -> String {
        switch k {
        case .added: "+"
        case .removed: "-"
        case .changed: "~"
        }
    }

    static func process(_ p: ProcessRef?) -> String {
        guard let p else { return "?" }
        return "\(p.pid) \(Terminal.safe(p.comm))"
    }

    static func vma(_ v: VMARef?) -> String {
        guard let v else { return "" }
        var s = "\(v.kind) \(v.prot) \(String(v.start, radix: 16))-\(String(v.end, radix: 16))"
        if let file = v.file { s += " " + Terminal.safe(file) }
        return s
    }

    static func summary(_ section: DiffSection, _ s: SectionSummary, unreadable: Int = 0) -> String {
        if s.isEmpty { return "\(section.rawValue): no differences" }
        if section == .memory {
            // The summary counts pages that could not be compared as changed (they are not known equal); say which are which.
            let changed = s.changed - unreadable
            return "memory: \(changed) page\(changed == 1 ? "" : "s") changed, \(s.added) added, \(s.removed) removed"
                + (unreadable > 0 ? ", \(unreadable) not comparable" : "")
        }
        return "\(section.rawValue): \(s.added) added, \(s.removed) removed, \(s.changed) changed"
    }

    func render() -> String {
        var out: [String] = []
        func side(_ mark: String, _ s: DiffSide) -> String {
            var facts = [s.engine]
            if let name = s.containerName { facts.append(Terminal.safe(name)) }
            if let id = s.containerID { facts.append(String(id.prefix(12))) }
            facts.append("\(s.processes) process\(s.processes == 1 ? "" : "es")")
            return "\(mark) \(Terminal.safe(s.path))  (\(facts.joined(separator: ", ")))"
        }
        out.append(side("---", result.a))
        out.append(side("+++", result.b))
        if showWarnings {
            for w in result.warnings { out.append("warning: " + Terminal.safe(w)) }
        }
        for section in result.sections {
            out.append("")
            out.append("== \(section.rawValue) ==")
            out += lines(section)
            if showUnchanged {
                for label in result.unchanged[section.rawValue] ?? [] { out.append("= " + Terminal.safe(label)) }
            }
            out.append(Self.summary(section, result.summary(section), unreadable: section == .memory ? result.memory.reduce(0) { $0 + Int($1.unreadablePages) } : 0))
        }
        out.append("")
        out.append(result.equal ? "no differences" : "checkpoints differ")
        return out.map(colour).joined(separator: "\n") + "\n"
    }

    /// A report line coloured by its marker: `+` green, `-` red, `~` yellow, section headings bold.
    func colour(_ line: String) -> String {
        guard style.enabled else { return line }
        if line.hasPrefix("== ") || line.hasPrefix("--- ") || line.hasPrefix("+++ ") { return style.bold(line) }
        switch line.drop(while: { $0 == " " }).prefix(2) {
        case "+ ": return style.green(line)
        case "- ": return style.red(line)
        case "~ ": return style.yellow(line)
        default: return line
        }
    }

    func lines(_ section: DiffSection) -> [String] {
        var out: [String] = []
        switch section {
        case .container:
            out += result.container.map { Self.field($0) }
        case .processes:
            for p in result.processes {
                switch p.kind {
                case .added: out.append("+ \(Self.process(p.b))")
                case .removed: out.append("- \(Self.process(p.a))")
                case .changed:
                    let how = p.pairedBy.map { $0 == .pid ? "" : "  (paired by \($0.rawValue))" } ?? ""
                    let name = p.a == p.b ? Self.process(p.a) : "\(Self.process(p.a)) -> \(Self.process(p.b))"
                    out.append("~ \(name)\(how)")
                    out += p.fields.map { "    " + Self.field($0) }
                    out += p.environment.map { "    " + Self.field($0, prefix: "env ") }
                    for t in p.threads {
                        switch t.kind {
                        case .added: out.append("    + thread \(t.bTID ?? 0)")
                        case .removed: out.append("    - thread \(t.aTID ?? 0)")
                        case .changed:
                            out.append("    ~ thread \(t.aTID ?? 0)\(t.aTID == t.bTID ? "" : " -> \(t.bTID ?? 0)")")
                            out += t.fields.map { "        " + Self.field($0) }
                        }
                    }
                }
            }
        case .vmas:
            for pv in result.vmas {
                out.append("pid \(Self.process(pv.b))")
                for c in pv.changes {
                    switch c.kind {
                    case .added: out.append("  + \(Self.vma(c.b))")
                    case .removed: out.append("  - \(Self.vma(c.a))")
                    case .resized, .changed:
                        out.append("  ~ \(Self.vma(c.b))")
                        out += c.fields.map { "      " + Self.field($0) }
                    }
                }
            }
        case .memory:
            for m in result.memory {
                out.append("pid \(Self.process(m.b)): \(m.changedPages) page\(m.changedPages == 1 ? "" : "s") changed (\(m.differingBytes) bytes differ), \(m.addedPages) added, \(m.removedPages) removed\(m.unreadablePages > 0 ? ", \(m.unreadablePages) unreadable" : "") of \(m.comparedPages) compared")
                for r in m.ranges {
                    let mark: String =
                        switch r.kind {
                        case .changed: "~"
                        case .added: "+"
                        case .removed: "-"
                        case .unreadable: "?"
                        }
                    var text = "  \(mark) \(Self.hex(r.start))-\(Self.hex(r.end))  \(r.pageCount) page\(r.pageCount == 1 ? "" : "s")"
                    if r.kind == .changed, let bytes = r.differingBytes {
                        text += "  \(plural(r.totalDifferingBytes, "byte")) \(r.totalDifferingBytes == 1 ? "differs" : "differ")"
                        if bytes.count > 1 { text += " (" + bytes.prefix(16).map(String.init).joined(separator: ", ") + (bytes.count > 16 ? ", …" : "") + ")" }
                    }
                    if r.kind == .unreadable { text += "  not comparable (lazy or missing parent)" }
                    text += "  [\(Self.vma(r.vma))]"
                    out.append(text)
                    for line in r.lines ?? [] { out += Self.hexLines(line) }
                }
            }
        case .fds, .sockets:
            for c in section == .fds ? result.fds : result.sockets {
                let what: String =
                    switch c.kind {
                    case .added: Self.value(c.b)
                    case .removed: Self.value(c.a)
                    case .changed: Self.value(c.b)
                    }
                out.append("\(Self.marker(c.kind)) pid \(Self.process(c.process)) fd \(c.fd): \(what)")
                out += c.fields.map { "    " + Self.field($0) }
            }
        case .mounts, .cgroups, .files:
            let list = section == .mounts ? result.mounts : (section == .cgroups ? result.cgroups : result.files)
            for e in list {
                out.append("\(Self.marker(e.kind)) \(Terminal.safe(e.scope)) \(e.key.isEmpty ? "." : Terminal.safe(e.key))")
                out += e.fields.map { "    " + Self.field($0) }
            }
        case .stats:
            out += result.stats.map { Self.field($0) }
        }
        return out
    }

    /// A differing line as two hexdump lines, A then B.
    static func hexLines(_ line: ByteLine) -> [String] {
        func bytes(_ hex: String) -> [UInt8] {
            var out: [UInt8] = []
            var chars = Array(hex.utf8)[...]
            while chars.count >= 2 {
                out.append(UInt8(String(decoding: chars.prefix(2), as: UTF8.self), radix: 16) ?? 0)
                chars = chars.dropFirst(2)
            }
            return out
        }
        func render(_ mark: String, _ b: [UInt8], _ other: [UInt8]) -> String {
            var text = "      " + String(format: "%016llx", line.address) + "  \(mark) "
            for j in 0..<16 {
                if j < b.count {
                    text += String(format: "%02x", b[j]) + (j < other.count && other[j] != b[j] ? "*" : " ")
                } else {
                    text += "   "
                }
                if j == 7 { text += " " }
            }
            text += " |" + String(b.map { $0 >= 0x20 && $0 < 0x7F ? Character(UnicodeScalar($0)) : "." }) + "|"
            return text
        }
        let a = bytes(line.a), b = bytes(line.b)
        return [render("-", a, b), render("+", b, a)]
    }
}
