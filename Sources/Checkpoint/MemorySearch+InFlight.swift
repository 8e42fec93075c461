/// One place a pattern occurs in data CRIU saved outside memory (``InFlightData``).
public struct InFlightHit: Hashable, Sendable {
    /// The source: `tcp receive queue, fd 15 of pid 23431, 127.0.0.1:44724 -> 127.0.0.1:47001`.
    public var source: InFlightData
    /// The offset of the match inside the source.
    public var offset: UInt64
    /// The matched bytes.
    public var match: [UInt8]
}

extension MemorySearch {
    /// Searches what CRIU saved outside process memory (``Checkpoint/inFlightData()``): TCP queues,
    /// pipe and FIFO buffers, socket queues, ghost files, and memfds that no searched process maps
    /// (a mapped memfd is shared memory, which ``run(in:progress:)`` already searches).
    ///
    /// With ``pids``, only sources one of those processes holds. Hits are in source order, then by
    /// offset, at most ``maxHits``; matches across a hole of a source are not found. One pass over
    /// a compressed archive for all the sources.
    public func runInFlight(in checkpoint: Checkpoint) throws(CheckpointError) -> [InFlightHit] {
        let sources = try checkpoint.inFlightData().filter { source in
            guard source.length > 0 else { return false }
            let scoped = source.holders.filter { pids?.contains($0.pid) ?? true }
            if pids != nil && scoped.isEmpty { return false }
            return !(source.kind == .memfd && scoped.contains { $0.role == .mapping })
        }
        let matcher = Matcher(pattern: pattern)
        let keep = matcher.overlap
        let limit = max(1, maxHits)
        var hits: [InFlightHit] = []
        // Per source: the bytes carried from the previous chunk and where they end.
        var carries: [Int: (end: UInt64, bytes: [UInt8])] = [:]
        struct Stop: Error {}
        do {
            try checkpoint.streamInFlightData(sources) { index, offset, chunk in
                var carry = carries[index].flatMap { $0.end == offset ? $0.bytes : nil } ?? []
                if !carry.isEmpty {
                    let window = carry + Array(chunk.prefix(keep))
                    for found in matcher.find(in: window) where found.offset < carry.count && found.offset + found.length > carry.count {
                        hits.append(InFlightHit(source: sources[index], offset: offset - UInt64(carry.count) + UInt64(found.offset),
                                                match: Array(window[found.offset..<found.offset + found.length])))
                    }
                }
                for found in matcher.find(in: chunk) {
                    hits.append(InFlightHit(source: sources[index], offset: offset + UInt64(found.offset),
                                            match: Array(chunk[found.offset..<found.offset + found.length])))
                }
                carry = matcher.carry(chunk.count >= keep ? Array(chunk.suffix(keep)) : Array((carry + Array(chunk)).suffix(keep)))
                carries[index] = (offset + UInt64(chunk.count), carry)
                if hits.count >= limit { throw Stop() }
            }
        } catch let error as CheckpointError {
            throw error
        } catch {
            // Stop: the limit was reached.
        }
        let order = Dictionary(uniqueKeysWithValues: sources.enumerated().map { ($1.id, $0) })
        hits.sort { (order[$0.source.id] ?? 0, $0.offset) < (order[$1.source.id] ?? 0, $1.offset) }
        var seen = Set<[UInt64]>()
        return Array(hits.filter { seen.insert([UInt64(order[$0.source.id] ?? 0), $0.offset]).inserted }.prefix(limit))
    }
}
