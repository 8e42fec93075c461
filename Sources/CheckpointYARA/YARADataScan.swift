public import Checkpoint
import CheckpointArchive
import Foundation

extension YARAScan {
    /// Scans what the checkpoint holds outside process memory, each source one YARA scan named as
    /// it: the data CRIU saved (``Checkpoint/inFlightData()``: TCP queues, pipe and FIFO buffers,
    /// socket queues, ghost files, and memfds that no scanned process maps, which ``run(_:in:progress:)``
    /// scans as memory) and the container's files (``Checkpoint/containerFiles()``: the rootfs diff,
    /// tmpfs images, `/dev/shm`, volumes). Match addresses are offsets in the source; `filesize` is
    /// its length.
    ///
    /// With ``pids``, only the in-flight sources those processes hold (files belong to no process).
    /// Sources are read in blocks of 1 MiB, each overlapping the one before by the longest match;
    /// a condition reading data by offset (`uint32(0)`) is served for sources of up to 1 MiB.
    /// A compressed archive is read once for the in-flight data and once for the files.
    public func runData(_ rules: borrowing YARARules, in checkpoint: Checkpoint) throws(YARAError) -> YARAReport {
        let handle = YARARules.Handle(rules)
        let window = min(1 << 20, max(2 * LibYARA.regexScanLimit, 2 * rules.longestString + 16))
        let deadline = timeout > 0 ? (startedAt ?? Date()).addingTimeInterval(Double(timeout)) : nil
        let scanner = DataScanner(handle: handle, window: window, maxMatches: max(1, maxMatches), deadline: deadline)
        // In flight: what the scanned processes hold, memfds they map left to the memory scan.
        let sources: [InFlightData]
        do {
            sources = try checkpoint.inFlightData().filter { source in
                guard source.length > 0 else { return false }
                let scoped = source.holders.filter { pids?.contains($0.pid) ?? true }
                if pids != nil && scoped.isEmpty { return false }
                return !(source.kind == .memfd && scoped.contains { $0.role == .mapping })
            }
        } catch {
            throw YARAError(error)
        }
        let inFlightTargets = sources.map { YARATarget.inFlight(id: $0.id, name: $0.name) }
        for (i, s) in sources.enumerated() { scanner.open(i, target: inFlightTargets[i], length: s.length) }
        do {
            try checkpoint.streamInFlightData(sources) { index, offset, bytes in scanner.feed(index, offset, bytes) }
        } catch let error as CheckpointError {
            throw YARAError(error)
        } catch {
            throw YARAError(.scan, file: checkpoint.path, message: "\(error)")
        }
        for i in sources.indices { scanner.finish(i) }
        var report = scanner.report(inFlightTargets)
        guard pids == nil else { return report }
        // The container's files, one at a time in each layer's order.
        var files: [YARATarget] = []
        var current: Int?
        do {
            try checkpoint.streamContainerFiles({ $0.kind == .file && $0.size > 0 }) { file, bytes in
                if bytes.isEmpty {
                    if let c = current { scanner.finish(c) }
                    let target = YARATarget.file(layer: file.layer.description, path: file.path)
                    current = sources.count + files.count
                    files.append(target)
                    scanner.open(current!, target: target, length: file.size)
                } else if let c = current {
                    scanner.feed(c, scanner.position(c), bytes)
                }
            }
        } catch let error as CheckpointError {
            throw YARAError(error)
        } catch {
            throw YARAError(.scan, file: checkpoint.path, message: "\(error)")
        }
        if let c = current { scanner.finish(c) }
        let fileReport = scanner.report(files, from: sources.count)
        report = report.merged(with: fileReport)
        return report
    }
}

/// YARA scans of byte streams that are not memory: one session per source, fed in blocks.
final class DataScanner {
    static let blockSize = 1 << 20
    let handle: YARARules.Handle
    let window: Int
    let maxMatches: Int
    let deadline: Date?
    private struct Source {
        var target: YARATarget
        var length: UInt64
        var session: YARASession?
        /// Bytes not scanned yet, from `start`; after a block, its last `window` bytes stay.
        var buffer: [UInt8] = []
        var start: UInt64 = 0
        /// The next offset expected.
        var position: UInt64 = 0
        /// A small source's bytes, for conditions that read by offset.
        var box: WholeBox?
    }
    private var sources: [Int: Source] = [:]
    private var results: [Int: (matches: [YARAMatch], problems: [(YARAProblem.Severity, String)], bytes: UInt64)] = [:]

    init(handle: YARARules.Handle, window: Int, maxMatches: Int, deadline: Date?) {
        self.handle = handle
        self.window = window
        self.maxMatches = maxMatches
        self.deadline = deadline
    }

    func open(_ index: Int, target: YARATarget, length: UInt64) {
        sources[index] = Source(target: target, length: length)
    }

    func position(_ index: Int) -> UInt64 { sources[index]?.position ?? 0 }

    private func session(_ s: inout Source) -> YARASession? {
        if let session = s.session { return session }
        var timeout = 0
        if let deadline {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { return nil }
            timeout = Int(left.rounded(.up))
        }
        // A source of one block keeps its bytes for conditions that read by offset.
        let small = s.length <= UInt64(Self.blockSize)
        let length = Int(s.length)
        let box = WholeBox()
        let session = try? YARASession(rules: handle, processMemory: false, timeout: timeout, maxMatches: maxMatches,
                                       conditionBlocks: small && length > 0 ? [(UInt64(0), length)] : [], fileSize: s.length,
                                       read: small ? { base, buffer in
                                           guard let bytes = box.bytes, base == 0, buffer.count <= bytes.count else { return false }
                                           bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[..<buffer.count])) }
                                           return true
                                       } : nil)
        s.session = session
        s.box = box
        return session
    }

    /// The bytes of a small source, for its conditions.
    final class WholeBox { var bytes: [UInt8]? }

    func feed(_ index: Int, _ offset: UInt64, _ bytes: UnsafeRawBufferPointer) {
        guard var s = sources[index], !bytes.isEmpty else { return }
        defer { sources[index] = s }
        if offset != s.position {
            // A gap (a hole of the source): what came before is scanned on its own.
            flush(&s, keep: false)
            s.start = offset
        }
        s.buffer.append(contentsOf: bytes)
        s.position = offset + UInt64(bytes.count)
        if s.buffer.count >= Self.blockSize { flush(&s, keep: true) }
    }

    /// Scans the buffered bytes as one block; keeps the last `window` of them for the next block.
    private func flush(_ s: inout Source, keep: Bool) {
        guard !s.buffer.isEmpty else { return }
        if let session = session(&s), !session.failed {
            s.buffer.withUnsafeBytes { session.feed(base: s.start, bytes: $0) }
        }
        let overlap = keep ? min(window, s.buffer.count) : 0
        if keep {
            s.buffer = Array(s.buffer.suffix(overlap))
            s.start = s.position - UInt64(overlap)
        } else {
            s.buffer.removeAll()
            s.start = s.position
        }
    }

    func finish(_ index: Int) {
        guard var s = sources.removeValue(forKey: index), results[index] == nil else { return }
        if s.length <= UInt64(Self.blockSize), s.start == 0, s.buffer.count == Int(s.length), session(&s) != nil { s.box?.bytes = s.buffer }
        flush(&s, keep: false)
        var problems: [(YARAProblem.Severity, String)] = []
        var matches: [YARAMatch] = []
        let session = s.session ?? (deadline.map { $0.timeIntervalSinceNow <= 0 } == true ? nil : self.session(&s))
        guard let session else {
            results[index] = ([], [(.error, "not scanned: the scan timed out")], 0)
            return
        }
        session.finish()
        if let message = session.errorMessage { problems.append((.error, "scan failed: \(message)")) }
        for m in session.matches {
            let strings = m.strings.map { YARAStringMatch(identifier: $0.identifier, address: $0.address, length: $0.length, bytes: $0.bytes,
                                                          isHex: $0.isHex, region: nil) }
            matches.append(YARAMatch(rule: m.rule, namespace: m.namespace, tags: m.tags, metadata: m.metadata, target: s.target,
                                     strings: strings, stringMatchCount: m.count, isTruncated: m.truncated))
        }
        if session.stoppedCollecting {
            problems.append((.warning, "some strings stopped collecting matches at --max-matches \(maxMatches); conditions counting them saw at most about that many"))
        }
        for note in session.notes { problems.append((.warning, note)) }
        if session.lateReads > 0 {
            problems.append((.warning, "\(session.lateReads) reads of data by conditions or modules after the scan could not be served (sources over 1 MiB are streamed); they saw undefined values"))
        }
        results[index] = (matches, problems, s.position)
    }

    /// The report of targets `first`, `first + 1`, ... in order.
    func report(_ targets: [YARATarget], from first: Int = 0) -> YARAReport {
        var report = YARAReport(matches: [], targets: targets, bytesScanned: 0, problems: [])
        for (i, target) in targets.enumerated() {
            guard let r = results[first + i] else { continue }
            report.matches += r.matches
            report.bytesScanned += r.bytes
            report.problems += r.problems.map { YARAProblem(severity: $0.0, target: target, message: $0.1) }
        }
        return report
    }
}
