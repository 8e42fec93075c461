import ArgumentParser
import Checkpoint
import CheckpointArchive
import CRIUImages
import Foundation

struct Maps: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List each process's memory mappings with what the checkpoint holds of them.",
        discussion: "Per VMA: range, size, permissions, flags, kind, backing file and offset, and how many pages are dumped, come from a parent (pre-dump) image set, or are not dumped.")

    @Argument(help: "A checkpoint archive or directory.") var path: String
    @OptionGroup var selection: ProcessSelection
    @Option(name: .long, help: "Only VMAs whose permissions include all these letters (r, w, x; e.g. rw).", transform: Parse.protection)
    var prot: String?
    @Option(name: .long, help: "Only VMAs of this kind; repeatable.") var kind: [MapsKind] = []
    @Option(name: .long, help: "Only VMAs overlapping this address range, START-END in hex.", transform: Parse.range)
    var range: Range<UInt64>?
    @Flag(name: .long, help: "Only the per-process summary (VSZ, dumped, shared).") var summary = false
    @OptionGroup var output: OutputOptions
    @OptionGroup var sizes: SizeOptions
    @OptionGroup var source: PreviousOption
    @OptionGroup var pods: PodSelection

    /// Whether a filter leaves VMAs out (then the summary counts only the VMAs shown).
    var filtered: Bool { !kind.isEmpty || prot != nil || range != nil }

    func run() throws {
        let kinds = Set(kind.map(\.kind))
        let targets = try pods.targets(path, previous: source.previous, progress: output.diagnostics.reading(path, json: output.json),
                                       diagnostics: output.diagnostics)
        try selection.check(targets)
        let style = output.style
        var text = ""
        // Pages in a pages file the archive's damage cut short have a column of their own; in a pod's
        // summary, when any container has them.
        let anyMissing = targets.items.contains { !$0.checkpoint.missingParents.isEmpty }
        let anyDamaged = targets.items.contains { $0.checkpoint.damage != nil }
        var summaryTable = Table(headers: targets.headers(["PID", "COMM", "VMAS", "VSZ", "DUMPED", "PARENT", "SHARED", "NOT DUMPED"]
                                                          + (anyMissing ? ["PARENT MISSING"] : []) + (anyDamaged ? ["DAMAGED"] : [])))
        summaryTable.rightAligned = targets.rightAligned([0, 2, 3, 4, 5, 6, 7, 8, 9])
        var documents: [(Target, JSONValue)] = []
        // A process whose memory images cannot be read is named and left out; the others are listed.
        var failed = false
        for t in targets.items {
            let c = t.checkpoint
            let showDamaged = c.damage != nil
            var json: [JSONValue] = []
            for p in selection.filter(c) {
                let found: AddressSpace?
                do { found = try c.addressSpace(p.pid) } catch {
                    Output.error(error.description)
                    failed = true
                    continue
                }
                guard let space = found else { continue }
                var table = Table(headers: ["START-END", "SIZE", "PROT", "FLAGS", "KIND", "FILE", "OFFSET", "DUMPED", "PARENT", "NOT DUMPED"]
                                  + (c.missingParents.isEmpty ? [] : ["PARENT MISSING"]) + (showDamaged ? ["DAMAGED"] : []))
                table.rightAligned = [1, 6, 7, 8, 9, 10, 11]
                var vmaJSON: [JSONValue] = []
                var vsz: UInt64 = 0, dumped: UInt64 = 0, parent: UInt64 = 0, shared: UInt64 = 0, notDumped: UInt64 = 0, missing: UInt64 = 0
                var damagedBytes: UInt64 = 0
                var shown = 0
                for (i, vma) in space.vmas.enumerated() {
                    let k = space.kind(of: i)
                    // The totals count the VMAs shown: with a filter, only those that pass it.
                    if !kinds.isEmpty && !kinds.contains(k) { continue }
                    if let prot, !Self.matches(prot: prot, vma) { continue }
                    if let r = range, vma.end <= r.lowerBound || vma.start >= r.upperBound { continue }
                    let pages = space.pieces(address: vma.start, length: vma.size)
                    var d: UInt64 = 0, par: UInt64 = 0, nd: UInt64 = 0, mp: UInt64 = 0, dm: UInt64 = 0
                    for piece in pages {
                        let count = piece.length / space.pageSize
                        switch piece.location {
                        case .file(let file, _):
                            if file.set > 0 { par += count } else { d += count }
                        case .hole(.missingParent): mp += count
                        case .hole(.damaged): dm += count
                        case .hole: nd += count
                        }
                    }
                    shown += 1
                    vsz += vma.size
                    dumped += d * space.pageSize
                    parent += par * space.pageSize
                    notDumped += nd * space.pageSize
                    missing += mp * space.pageSize
                    damagedBytes += dm * space.pageSize
                    if vma.isShared { shared += vma.size }
                    let file = space.backingFiles[i]
                    table.rows.append([
                        "\(Self.hex(vma.start))-\(Self.hex(vma.end))", sizes.text(vma.size), vma.permissions,
                        Self.flagText(vma), k.rawValue, Terminal.safe(file ?? ""), file == nil ? "" : "0x" + String(vma.pageOffset, radix: 16),
                        String(d), String(par), String(nd),
                    ] + (c.missingParents.isEmpty ? [] : [String(mp)]) + (showDamaged ? [String(dm)] : []))
                    vmaJSON.append(.object([
                        ("start", .string(JSONValue.hex(vma.start))), ("end", .string(JSONValue.hex(vma.end))), ("size", .int(vma.size)),
                        ("prot", .string(vma.permissions)), ("flags", .array(Self.flags(vma).map(JSONValue.string))), ("kind", .string(k.rawValue)),
                        ("file", file.map(JSONValue.string) ?? .null), ("offset", .int(vma.pageOffset)),
                        ("shmid", space.sharedIDs[i].map { .int($0) } ?? .null),
                        ("status", .int(vma.status.rawValue)),
                        ("dumped_pages", .int(d)), ("parent_pages", .int(par)), ("not_dumped_pages", .int(nd)), ("missing_parent_pages", .int(mp)), ("damaged_pages", .int(dm)),
                    ]))
                }
                summaryTable.rows.append(targets.row(t, [String(p.pid), Terminal.safe(p.command), filtered ? "\(shown) of \(space.vmas.count)" : String(shown),
                                                         sizes.text(vsz), sizes.text(dumped), sizes.text(parent), sizes.text(shared), sizes.text(notDumped)]
                                                        + (anyMissing ? [sizes.text(missing)] : []) + (anyDamaged ? [sizes.text(damagedBytes)] : [])))
                json.append(.object([
                    ("pid", .int(p.pid)), ("comm", .string(p.command)), ("page_size", .int(space.pageSize)),
                    ("vsz", .int(vsz)), ("dumped_bytes", .int(dumped)), ("parent_bytes", .int(parent)), ("shared_bytes", .int(shared)),
                    ("not_dumped_bytes", .int(notDumped)), ("missing_parent_bytes", .int(missing)), ("damaged_bytes", .int(damagedBytes)),
                    ("vma_count", .int(shown)), ("vma_total", .int(space.vmas.count)), ("vmas", .array(vmaJSON)),
                ]))
                if !summary {
                    let title = (t.container.map { "container \(Terminal.safe($0))  " } ?? "") + "\(p.pid)  \(Terminal.safe(p.command))"
                    text += style.bold(title) + "\n" + table.render(style: style) + "\n"
                }
            }
            documents.append((t, .object([("schema", .string("ckpt-inspect/maps/v2")), ("processes", .array(json))])))
        }
        switch output.format {
        case .json: Output.write(json: targets.document(command: "maps", documents))
        case .text:
            let rendered = summaryTable.render(style: style)
            Output.write(summary ? rendered : text + rendered)
        }
        if failed { throw ExitCode.badData }
        try targets.finish()
    }

    static func hex(_ v: UInt64) -> String { String(v, radix: 16) }

    static func flagText(_ v: VMA) -> String { flags(v).joined(separator: ",") }

    /// `private` or `shared`, then `anon`, `growsdown`, `locked`, `noreserve`, `hugetlb[:size]`, `droppable`.
    static func flags(_ v: VMA) -> [String] {
        var parts: [String] = [v.isShared ? "shared" : "private"]
        if v.flags.contains(.anonymous) { parts.append("anon") }
        if v.flags.contains(.growsDown) { parts.append("growsdown") }
        if v.flags.contains(.locked) { parts.append("locked") }
        if v.flags.contains(.noReserve) { parts.append("noreserve") }
        if v.flags.contains(.hugeTLB) { parts.append("hugetlb" + (v.flags.hugePageSize.map { ":" + Size.text($0) } ?? "")) }
        if v.flags.contains(.droppable) { parts.append("droppable") }
        return parts
    }

    static func matches(prot: String, _ v: VMA) -> Bool {
        for c in prot {
            switch c {
            case "r": if !v.protection.contains(.read) { return false }
            case "w": if !v.protection.contains(.write) { return false }
            case "x": if !v.protection.contains(.execute) { return false }
            default: break
            }
        }
        return true
    }
}


func parseAddress(_ text: String) -> UInt64? {
    var t = text.lowercased()
    if t.hasPrefix("0x") { t.removeFirst(2) }
    return UInt64(t, radix: 16)
}

/// A file the user named that does not exist is a usage error (exit 2), in every command: the
/// checkpoint, and its `--previous`.
func requireInputs(_ path: String, previous: String?, previousOption: String?, progress: Progress? = nil) throws {
    if path != "-", !FileManager.default.fileExists(atPath: RawPath.resolve(path)) {
        progress?.finish()
        Output.error("\(path): no such file or directory")
        throw ExitCode.usage
    }
    if let previous, !FileManager.default.fileExists(atPath: RawPath.resolve(previous)) {
        progress?.finish()
        throw UsageError(option: previousOption ?? "--previous", value: previous, "no such file or directory")
    }
}

/// Opens a checkpoint for a command, printing the error convention and exiting 1 on failure.
///
/// `progress` (``DiagnosticOptions/reading(_:json:)``) is told how far the archive has been read,
/// while it is indexed and by every later pass over it; its line is erased once the checkpoint is open.
func openCheckpoint(_ path: String, previous: String? = nil, nested: Bool = false, progress: Progress? = nil,
                    diagnostics: DiagnosticOptions? = nil, previousOption: String? = "--previous",
                    streaming consumer: (any PageStreamConsumer)? = nil) throws -> Checkpoint {
    try requireInputs(path, previous: previous, previousOption: previousOption, progress: progress)
    let checkpoint: Checkpoint
    do {
        defer { progress?.finish() }
        let options = Checkpoint.Options(previous: previous.map(RawPath.resolve), source: .init(progress: progress?.reporter), listNestedArchives: nested)
        // A consumer's page reads ride on the pass that opens the archive (one pass over a compressed one).
        if let consumer {
            checkpoint = try Checkpoint.open(RawPath.resolve(path), options: options, streaming: consumer)
        } else {
            checkpoint = try Checkpoint.open(RawPath.resolve(path), options: options)
        }
    } catch {
        Output.error(error.description)
        throw ExitCode.badData
    }
    if let diagnostics { warnPartialEvidence(checkpoint, diagnostics, previousOption: previousOption) }
    return checkpoint
}

/// One warning each for what the checkpoint could not give: the archive's damage, and parent
/// pre-checkpoints its pages need that are not available (with the option that supplies them, when
/// the command has one). Every command that reports on a checkpoint says it, once.
func warnPartialEvidence(_ c: Checkpoint, _ diagnostics: DiagnosticOptions, previousOption: String?, label: String? = nil) {
    let prefix = label.map { $0 + ": " } ?? ""
    if let damage = c.damage {
        diagnostics.warn(prefix + RawPath.display(damage.description) + "; everything before the damage is reported")
    }
    for missing in c.missingParents {
        let hint = previousOption.map { "; give the pre-checkpoint with \($0) ARCHIVE" } ?? ""
        diagnostics.warn(prefix + RawPath.display(c.path) + ": " + RawPath.display(missing.description) + hint)
    }
}

/// Runs checkpoint code, printing a CheckpointError as the command's error and exiting 1.
func withCheckpointErrors<T>(_ body: () throws(CheckpointError) -> T) throws -> T {
    do {
        return try body()
    } catch {
        Output.error(error.description)
        throw ExitCode.badData
    }
}

/// Like withCheckpointErrors, for code that also throws other errors.
func withCheckpointErrorsThrowing<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as CheckpointError {
        Output.error(error.description)
        throw ExitCode.badData
    }
}

/// `maps --kind`: the kinds a listed VMA can have. Guard ranges (``VMAKind/guard``) are kept apart
/// from the VMAs (``AddressSpace/guardVMAs``) and never listed, so they are not a value here.
struct MapsKind: ExpressibleByArgument {
    var kind: VMAKind

    static let kinds = VMAKind.allCases.filter { $0 != .guard }

    init?(argument: String) {
        guard let kind = VMAKind(rawValue: argument), Self.kinds.contains(kind) else { return nil }
        self.kind = kind
    }

    static var allValueStrings: [String] { kinds.map(\.rawValue) }
}
