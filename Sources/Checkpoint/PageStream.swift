public import CheckpointArchive
import CRIUImages

/// A reader of page data that rides on the pass that opens a checkpoint, so that a compressed
/// archive (or stdin) is decompressed **once** for the index and for every page the command needs.
///
/// ``Checkpoint/open(_:options:streaming:)`` asks for the pieces of each image set's pages files
/// when the pass reaches that set's first pages file, with the checkpoint as far as the pass has read
/// it: every image before the pages file (in the archives engines write, the metadata images of a set
/// precede its `pages-*.img`; `pstree.img` follows them, so processes then come from their
/// `mm-<pid>.img` and `core-<pid>.img`). The same question is asked again of the whole checkpoint
/// afterwards. Pieces must therefore depend on the images only (on pagemaps, mm images, pids), not on
/// the order of ``Checkpoint/processes``.
///
/// Every piece the final checkpoint asks for is delivered exactly once, in each pages file's order:
/// during the pass where the answers agree, by a second pass for what the first could not serve (an
/// archive whose metadata follows its pages), and all over again after ``reset()`` when the answers
/// disagree.
public protocol PageStreamConsumer: AnyObject {
    /// The byte ranges of image set `set`'s pages files (`file.set == set`) wanted, read from
    /// `checkpoint` (provisional during the pass).
    func pieces(ofSet set: Int, in checkpoint: Checkpoint) throws(CheckpointError) -> [PageRequest]
    /// The bytes of piece `piece` of set `set`, from `position` inside the piece.
    func consume(set: Int, piece: Int, position: UInt64, bytes: UnsafeRawBufferPointer)
    /// Forgets everything consumed: every piece is delivered again.
    func reset()
}

extension Checkpoint {
    /// Opens a checkpoint like ``open(_:options:)`` and delivers the pieces `consumer` asks for,
    /// reading a compressed archive (or stdin) once for both. Plain tars and directories are opened
    /// as usual and the pieces read by position afterwards.
    public static func open(_ path: String, options: Options = Options(), streaming consumer: some PageStreamConsumer)
        throws(CheckpointError) -> Checkpoint {
        let session = PageStreamSession(consumer, options: options)
        let source: CheckpointSource
        do {
            source = try CheckpointSource.open(path: path, options: options.source, visitor: session.visitor)
        } catch {
            throw CheckpointError(error)
        }
        return try open(source: source, options: options, streaming: session)
    }
}

/// A ``PageStreamConsumer`` riding on the passes that open one checkpoint: open the source with
/// ``visitor``, then the checkpoint with ``Checkpoint/open(source:options:streaming:)``, which
/// delivers what the pass could not.
public final class PageStreamSession {
    let visitorFor: (CheckpointSource?) -> MemberVisitor
    let invalidate: () -> Void
    let passesEnded: () -> Void
    let finish: (Checkpoint) throws(CheckpointError) -> Void

    /// A session for `consumer`, for a checkpoint opened with `options`.
    public init(_ consumer: some PageStreamConsumer, options: Checkpoint.Options) {
        let rider = Rider(consumer: consumer, options: options)
        visitorFor = { rider.visitor(previous: $0) }
        invalidate = { rider.invalidate() }
        passesEnded = { rider.passesEnded() }
        finish = { (c: Checkpoint) throws(CheckpointError) in try rider.finish(c) }
    }

    /// The visitor for ``CheckpointSource/open(path:options:visitor:)`` of the checkpoint's source.
    public var visitor: MemberVisitor { visitorFor(nil) }
}

/// The state of one riding pass: what was planned for each set, and which pages files were served.
final class Rider<Consumer: PageStreamConsumer> {
    let consumer: Consumer
    let options: Checkpoint.Options
    /// The pieces asked for, per image set, when its first pages file was reached.
    var planned: [Int: [PageRequest]] = [:]
    /// Per planned set, the pieces of each of its pages files, by offset.
    var plannedByFile: [Int: [PagesFile: [Int]]] = [:]
    /// Pages files whose pieces were delivered during a pass.
    var served = Set<PagesFile>()
    /// The pass could not be used (an OCI image, a plan that failed): everything is delivered after.
    var invalid = false
    /// The checkpoint as the pass had read it when a set was last planned.
    private var provisional: Checkpoint?

    init(consumer: Consumer, options: Checkpoint.Options) {
        self.consumer = consumer
        var provisionalOptions = options
        provisionalOptions.listNestedArchives = false  // what the plans need is the images
        self.options = provisionalOptions
    }

    /// The passes are over: the provisional checkpoint is let go before the final one is loaded.
    func passesEnded() { provisional = nil }

    func invalidate() {
        invalid = true
        planned = [:]
        plannedByFile = [:]
        served = []
        consumer.reset()
    }

    /// The visitor for the pass over the checkpoint's source (`previous` nil) or over the separate
    /// parent archive (`previous` is then the checkpoint's source, already whole).
    func visitor(previous own: CheckpointSource?) -> MemberVisitor {
        var passPath: String?
        return { [self] member, soFar in
            let name = member.path.split(separator: "/").last.map(String.init) ?? member.path
            guard !invalid, name.hasPrefix("pages-"), name.hasSuffix(".img"), let id = UInt32(name.dropFirst(6).dropLast(4)) else { return nil }
            // The set this pages file belongs to, in the provisional checkpoint; it is rebuilt (from
            // every member indexed so far) only when that set is not known or not planned yet, so
            // a set's pages files after its first cost nothing.
            let directory = member.path.count > name.count ? String(member.path.dropLast(name.count + 1)) : ""
            if passPath == nil { passPath = soFar().path }
            let path = passPath!
            func setOf(_ checkpoint: Checkpoint) -> Int? {
                // A set of this pass's source whose directory, as stored (links resolved), is where
                // its inventory is.
                let sets = checkpoint.imageSets
                return sets.indices.first { k in
                    guard sets[k].source.path == path, let inventory = (try? sets[k].member("inventory.img")) ?? nil else { return false }
                    let stored = inventory.path == "inventory.img" ? "" : String(inventory.path.dropLast("/inventory.img".count))
                    return stored == directory
                }
            }
            var checkpoint = provisional
            var set = checkpoint.flatMap(setOf)
            if set == nil || planned[set!] == nil {
                var loader: Loader
                if let own { loader = Loader(path: own.path, source: own, previous: soFar(), options: options) }
                else { let so = soFar(); loader = Loader(path: so.path, source: so, previous: nil, options: options) }
                // The pass has not reached the set's other pages files yet: their sizes are unknown.
                loader.provisional = true
                // The one it replaces is let go first: two whole models at once would double the
                // memory of a checkpoint with many processes.
                provisional = nil
                checkpoint = nil
                guard let built = try? loader.load() else { return nil }
                provisional = built
                checkpoint = built
                set = setOf(built)
            }
            guard let checkpoint, let set else { return nil }
            if planned[set] == nil {
                guard let pieces = try? consumer.pieces(ofSet: set, in: checkpoint) else { return nil }
                planned[set] = pieces
                // Grouped once: a set of hundreds of pages files is not filtered again for each.
                var byFile: [PagesFile: [Int]] = [:]
                for (i, piece) in pieces.enumerated() { byFile[piece.file, default: []].append(i) }
                for (file, list) in byFile { byFile[file] = list.sorted { pieces[$0].offset < pieces[$1].offset } }
                plannedByFile[set] = byFile
            }
            let file = PagesFile(set: set, pagesID: id)
            let all = planned[set]!
            let mine = plannedByFile[set]?[file] ?? []
            served.insert(file)
            guard !mine.isEmpty else { return { _ in } }
            var position: UInt64 = 0
            var first = 0
            let consumer = self.consumer
            return { chunk in
                let start = position
                let end = start + UInt64(chunk.count)
                position = end
                while first < mine.count, all[mine[first]].offset + UInt64(all[mine[first]].count) <= start { first += 1 }
                var k = first
                while k < mine.count {
                    let piece = all[mine[k]]
                    if piece.offset >= end { break }
                    let from = max(piece.offset, start)
                    let to = min(piece.offset + UInt64(piece.count), end)
                    if to > from {
                        consumer.consume(set: set, piece: mine[k], position: from - piece.offset,
                                         bytes: UnsafeRawBufferPointer(rebasing: chunk[Int(from - start)..<Int(to - start)]))
                    }
                    k += 1
                }
            }
        }
    }

    /// After the pass: checks the plans against the whole checkpoint and delivers what is left.
    func finish(_ checkpoint: Checkpoint) throws(CheckpointError) {
        plannedByFile = [:]
        var finals: [Int: [PageRequest]] = [:]
        // A plan that differs from the final one served the wrong pieces: start over. (Each set's
        // plan is let go once compared: the final model and its plans are in memory now.)
        var agrees = true
        for set in checkpoint.imageSets.indices {
            let pieces = try consumer.pieces(ofSet: set, in: checkpoint)
            if let planned = planned.removeValue(forKey: set), planned != pieces { agrees = false }
            if !pieces.isEmpty { finals[set] = pieces }
        }
        if planned.contains(where: { !$0.value.isEmpty }) { agrees = false }
        planned = [:]
        if invalid || !agrees {
            if !invalid { consumer.reset() }
            served = []
        }
        for (set, pieces) in finals.sorted(by: { $0.key < $1.key }) {
            var byFile: [PagesFile: [Int]] = [:]
            for (i, p) in pieces.enumerated() where !served.contains(p.file) { byFile[p.file, default: []].append(i) }
            guard !byFile.isEmpty else { continue }
            try checkpoint.streamPieces(byFile: byFile, pieces: pieces.map { ($0.file, $0.offset, UInt64($0.count)) }) { i, position, slice in
                consumer.consume(set: set, piece: i, position: position, bytes: slice)
            }
        }
    }
}

/// Reads the command line and environment of every process while the checkpoint is opened:
/// `inspect --all` and `ps` make one pass over a compressed archive however many processes it holds.
///
/// ```swift
/// let reader = ProcessStringsReader()
/// let checkpoint = try Checkpoint.open("ck.tar.zst", streaming: reader)
/// for s in try reader.strings(in: checkpoint) { print(s.pid, s.commandLine ?? []) }
/// ```
public final class ProcessStringsReader: PageStreamConsumer {
    /// Whether environments are read as well as command lines.
    public let environment: Bool
    /// The bytes of each range (argv or environ of a pid), filled as pieces arrive.
    private var buffers: [Key: [UInt8]] = [:]
    /// Per set, what each piece is: whose range, and where in it.
    private var targets: [Int: [(key: Key, at: Int)]] = [:]
    /// What covers each range, worked out once per checkpoint (the plan asks once per image set, and
    /// ``strings(in:)`` again): the checkpoint it was worked out for, by its address-space cache's serial.
    private var layout: (of: UInt64, ranges: [UInt32: Layout])?

    struct Key: Hashable { var pid: UInt32; var environment: Bool }

    /// A process's ranges, in order (argv, then environ when asked for), with what covers each;
    /// `damaged` when its pagemap cannot be read.
    struct Layout {
        var ranges: [(key: Key, range: Range<UInt64>, pieces: [MemoryPiece])] = []
        var damaged = false
    }

    /// A reader of command lines, and of environments unless `environment` is false.
    public init(environment: Bool = true) {
        self.environment = environment
    }

    /// The layout of every process with an address space, by pid (ranges over 1 MiB are not read).
    private func layout(_ c: Checkpoint) -> [UInt32: Layout] {
        if let layout, layout.of == c.spaces.serial { return layout.ranges }
        var out: [UInt32: Layout] = [:]
        for p in c.processes {
            guard let mm = p.memory else { continue }
            var one = Layout()
            do {
                guard let space = try c.stringsSpace(p.pid, environment: environment) else { continue }
                for (k, range) in c.stringRanges(mm, environment: environment).enumerated() where !range.isEmpty && range.count <= 1 << 20 {
                    one.ranges.append((Key(pid: p.pid, environment: k == 1), range, space.pieces(address: range.lowerBound, length: UInt64(range.count))))
                }
            } catch {
                one.damaged = true
            }
            out[p.pid] = one
        }
        layout = (c.spaces.serial, out)
        return out
    }

    public func pieces(ofSet set: Int, in checkpoint: Checkpoint) throws(CheckpointError) -> [PageRequest] {
        var requests: [PageRequest] = []
        var mine: [(Key, Int)] = []
        let layout = layout(checkpoint)
        for pid in layout.keys.sorted() {
            for (key, range, pieces) in layout[pid]!.ranges {
                for piece in pieces {
                    guard case .file(let file, let offset) = piece.location, file.set == set else { continue }
                    requests.append(PageRequest(file: file, offset: offset, count: Int(piece.length)))
                    mine.append((key, Int(piece.address - range.lowerBound)))
                }
            }
        }
        targets[set] = mine
        return requests
    }

    public func consume(set: Int, piece: Int, position: UInt64, bytes: UnsafeRawBufferPointer) {
        guard let (key, at) = targets[set]?[piece] else { return }
        let start = at + Int(position)
        if buffers[key] == nil { buffers[key] = [] }
        if buffers[key]!.count < start + bytes.count { buffers[key]!.append(contentsOf: repeatElement(0, count: start + bytes.count - buffers[key]!.count)) }
        buffers[key]!.withUnsafeMutableBytes { out in
            UnsafeMutableRawBufferPointer(rebasing: out[start..<start + bytes.count]).copyMemory(from: bytes)
        }
    }

    public func reset() {
        buffers = [:]
    }

    /// The strings of every process of `checkpoint` (the one ``Checkpoint/open(_:options:streaming:)``
    /// returned with this reader), as ``Checkpoint/processStrings(_:environment:)`` gives them.
    public func strings(in checkpoint: Checkpoint) -> [ProcessStrings] {
        let layout = layout(checkpoint)
        var out: [ProcessStrings] = []
        for p in checkpoint.processes {
            var s = ProcessStrings(pid: p.pid)
            defer { out.append(s) }
            guard let mm = p.memory, let one = layout[p.pid] else { continue }
            if one.damaged {
                s.commandLineHole = .damaged
                if environment { s.environmentHole = .damaged }
                continue
            }
            var wanted = [(false, mm.argumentsStart, mm.argumentsEnd)]
            if environment { wanted.append((true, mm.environmentStart, mm.environmentEnd)) }
            for (isEnvironment, start, end) in wanted {
                var strings: [String]?
                var hole: MemoryHole?
                if end == start {
                    strings = []
                } else if end > start, let (key, range, pieces) = one.ranges.first(where: { $0.key.environment == isEnvironment }) {
                    let bytes = buffers[key] ?? []
                    var text: [UInt8] = []
                    for piece in pieces {
                        if case .hole(let why) = piece.location { hole = why; break }
                        let from = Int(piece.address - range.lowerBound), to = from + Int(piece.length)
                        guard to <= bytes.count else { hole = .damaged; break }
                        text += bytes[from..<to]
                    }
                    if hole == nil {
                        if text.last == 0 { text.removeLast() }
                        strings = text.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
                    }
                }
                if isEnvironment { (s.environment, s.environmentHole) = (strings, hole) } else { (s.commandLine, s.commandLineHole) = (strings, hole) }
            }
        }
        return out
    }
}
