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
    @Option(name: .long, help: "Only this process.") var pid: UInt32?
    @Option(name: .long, help: "Only VMAs whose permissions include these (e.g. rw, x).") var prot: String?
    @Option(name: .long, help: "Only VMAs of this kind (heap, stack, vdso, vvar, vsyscall, file, anon, shmem, memfd, sysvipc, aio, socket, other); repeatable.") var kind: [String] = []
    @Option(name: .long, help: "Only VMAs overlapping this address range, START-END in hex.") var range: String?
    @Flag(name: .long, help: "Only the per-process summary (VSZ, dumped, shared).") var summary = false
    @Option(name: .long, help: "A separate archive or directory with the parent (pre-dump) images.") var previous: String?
    @OptionGroup var output: OutputOptions
    @OptionGroup var pods: PodSelection

    func validate() throws {
        for k in kind where VMAKind(rawValue: k) == nil {
            throw ValidationError("unknown kind '\(k)'; one of: \(VMAKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        let kinds = Set(kind.compactMap(VMAKind.init(rawValue:)))
        let targets = try pods.targets(path, previous: previous, progress: output.diagnostics.reading(path, json: output.json), diagnostics: output.diagnostics)
        let addressRange = try range.map(parseRange)
        var text = ""
        // Pages in a pages file the archive's damage cut short have a column of their own; in a pod's
        // summary, when any container has them.
        let anyMissing = targets.items.contains { !$0.checkpoint.missingParents.isEmpty }
        let anyDamaged = targets.items.contains { $0.checkpoint.damage != nil }
        var summaryTable = Table(headers: targets.headers(["PID", "COMM", "VMAS", "VSZ", "DUMPED", "PARENT", "SHARED", "NOT DUMPED"]
                                                          + (anyMissing ? ["PARENT MISSING"] : []) + (anyDamaged ? ["DAMAGED"] : [])))
        summaryTable.rightAligned = targets.rightAligned([0, 2, 3, 4, 5, 6, 7, 8, 9])
        var documents: [(Target, JSONValue)] = []
        if targets.isPod, let pid, !targets.items.contains(where: { $0.checkpoint.process(pid) != nil }) {
            Output.error("\(path): no process with pid \(pid) in any container")
            throw ExitCode.usage
        }
        // A process whose memory images cannot be read is named and left out; the others are listed.
        var failed = false
        for t in targets.items {
            let c = t.checkpoint
            let showDamaged = c.damage != nil
            var json: [JSONValue] = []
            // In a pod, --pid selects in the containers that have the process.
            let processes = targets.isPod ? c.processes.filter { pid == nil || $0.pid == pid } : try selectProcesses(c, pid: pid)
            for p in processes {
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
                for (i, vma) in space.vmas.enumerated() {
                    let k = space.kind(of: i)
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
                    vsz += vma.size
                    dumped += d * space.pageSize
                    parent += par * space.pageSize
                    notDumped += nd * space.pageSize
                    missing += mp * space.pageSize
                    damagedBytes += dm * space.pageSize
                    if vma.isShared { shared += vma.size }
                    // Filters apply to the listing, not to the totals.
                    if !kinds.isEmpty && !kinds.contains(k) { continue }
                    if let prot, !Self.matches(prot: prot, vma) { continue }
                    if let r = addressRange, vma.end <= r.lowerBound || vma.start >= r.upperBound { continue }
                    let file = space.backingFiles[i]
                    table.rows.append([
                        "\(Self.hex(vma.start))-\(Self.hex(vma.end))", Size.text(vma.size, exact: output.bytes), vma.permissions,
                        Self.flagText(vma), k.rawValue, Terminal.safe(file ?? ""), file == nil ? "" : "0x" + String(vma.pageOffset, radix: 16),
                        String(d), String(par), String(nd),
                    ] + (c.missingParents.isEmpty ? [] : [String(mp)]) + (showDamaged ? [String(dm)] : []))
                    vmaJSON.append(.object([
                        ("start", .string(Self.hex(vma.start))), ("end", .string(Self.hex(vma.end))), ("size", .int(vma.size)),
                        ("prot", .string(vma.permissions)), ("flags", .string(Self.flagText(vma))), ("kind", .string(k.rawValue)),
                        ("file", file.map(JSONValue.string) ?? .null), ("offset", .int(vma.pageOffset)),
                        ("shmid", space.sharedIDs[i].map { .int($0) } ?? .null),
                        ("status", .string("0x" + String(vma.status.rawValue, radix: 16))),
                        ("dumped_pages", .int(d)), ("parent_pages", .int(par)), ("not_dumped_pages", .int(nd)), ("missing_parent_pages", .int(mp)), ("damaged_pages", .int(dm)),
                    ]))
                }
                summaryTable.rows.append(targets.row(t, [String(p.pid), Terminal.safe(p.command), String(space.vmas.count), Size.text(vsz, exact: output.bytes),
                                                         Size.text(dumped, exact: output.bytes), Size.text(parent, exact: output.bytes),
                                                         Size.text(shared, exact: output.bytes), Size.text(notDumped, exact: output.bytes)]
                                                        + (anyMissing ? [Size.text(missing, exact: output.bytes)] : [])
                                                        + (anyDamaged ? [Size.text(damagedBytes, exact: output.bytes)] : [])))
                json.append(.object([
                    ("pid", .int(p.pid)), ("comm", .string(p.command)), ("page_size", .int(space.pageSize)),
                    ("vsz", .int(vsz)), ("dumped_bytes", .int(dumped)), ("parent_bytes", .int(parent)), ("shared_bytes", .int(shared)),
                    ("not_dumped_bytes", .int(notDumped)), ("missing_parent_bytes", .int(missing)), ("damaged_bytes", .int(damagedBytes)), ("vmas", .array(vmaJSON)),
                ]))
                if !summary {
                    text += (t.container.map { "container \(Terminal.safe($0))  " } ?? "") + "\(p.pid)  \(Terminal.safe(p.command))\n" + table.render() + "\n"
                }
            }
            documents.append((t, .object([("schema", .string("ckpt-inspect/maps/v1")), ("processes", .array(json))])))
        }
        switch output.format {
        case .json: Output.write(targets.document(command: "maps", documents).serialized() + "\n")
        case .text: Output.write(summary ? summaryTable.render() : text + summaryTable.render())
        }
        if failed { throw ExitCode.badData }
        try targets.finish()
    }

    static func hex(_ v: UInt64) -> String { String(v, radix: 16) }

    static func flagText(_ v: VMA) -> String {
        var parts: [String] = [v.isShared ? "shared" : "private"]
        if v.flags.contains(.anonymous) { parts.append("anon") }
        if v.flags.contains(.growsDown) { parts.append("growsdown") }
        if v.flags.contains(.locked) { parts.append("locked") }
        if v.flags.contains(.noReserve) { parts.append("noreserve") }
        if v.flags.contains(.hugeTLB) { parts.append("hugetlb" + (v.flags.hugePageSize.map { ":" + Size.text($0) } ?? "")) }
        if v.flags.contains(.droppable) { parts.append("droppable") }
        return parts.joined(separator: ",")
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


func parseRange(_ text: String) throws -> Range<UInt64> {
    let parts = text.split(separator: "-")
    guard parts.count == 2, let a = parseAddress(String(parts[0])), let b = parseAddress(String(parts[1])), a < b else {
        throw ValidationError("range must be START-END in hex, START < END (got \(text))")
    }
    return a..<b
}

func parseAddress(_ text: String) -> UInt64? {
    var t = text.lowercased()
    if t.hasPrefix("0x") { t.removeFirst(2) }
    return UInt64(t, radix: 16)
}

/// Opens a checkpoint for a command, printing the error convention and exiting 1 on failure.
///
/// `progress` (``DiagnosticOptions/reading(_:json:)``) is told how far the archive has been read,
/// while it is indexed and by every later pass over it; its line is erased once the checkpoint is open.
func openCheckpoint(_ path: String, previous: String? = nil, nested: Bool = false, progress: Progress? = nil,
                    diagnostics: DiagnosticOptions? = nil, previousOption: String? = "--previous",
                    streaming consumer: (any PageStreamConsumer)? = nil) throws -> Checkpoint {
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

func selectProcesses(_ c: Checkpoint, pid: UInt32?) throws -> [CheckpointProcess] {
    guard let pid else { return c.processes }
    guard let p = c.process(pid) else {
        Output.error("\(RawPath.display(c.path)): no process with pid \(pid) (pids: \(c.processes.map { String($0.pid) }.joined(separator: ", ")))")
        throw ExitCode.usage
    }
    return [p]
}
