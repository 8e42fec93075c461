internal import Dispatch
internal import Synchronization

/// What the indexing pass and the reading passes need of a tar stream: headers, then each member's
/// data in order. ``TarReader`` is one (it decompresses on the calling thread); ``PipedTarReader``
/// is the other (it decompresses on a thread of its own, ahead of the caller).
protocol TarStreaming: ~Copyable {
    /// Advances to the next member (the rest of the current one's data is skipped); nil at the end.
    mutating func next() throws(ArchiveError) -> TarHeader?
    /// Reads the current member's data into `buffer`; 0 at its end.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(ArchiveError) -> Int
    /// The next chunk of the current member's data, valid until the next call; nil at its end.
    mutating func nextChunk(scratch: UnsafeMutableRawBufferPointer) throws(ArchiveError) -> UnsafeRawBufferPointer?
    /// The decompressed tar-stream offset reached.
    var position: UInt64 { get }
    /// The raw (compressed) input offset reached.
    var rawPosition: UInt64 { get }
    /// The escaped name of the current member, for errors.
    var currentMember: String? { get }
}

extension TarReader: TarStreaming {
    mutating func nextChunk(scratch: UnsafeMutableRawBufferPointer) throws(ArchiveError) -> UnsafeRawBufferPointer? {
        let n = try read(into: scratch)
        return n == 0 ? nil : UnsafeRawBufferPointer(rebasing: scratch[..<n])
    }
}

/// A tar stream decompressed on a thread of its own: the producer runs libarchive into a ring of
/// buffers while the caller (the consumer) indexes, scans, copies or compares the previous ones, so
/// the wall time of a pass approaches the decompression time instead of the sum of both.
///
/// Memory is bounded by the ring (``slotCount`` buffers of ``slotSize`` bytes): the producer waits
/// when every buffer is full. Errors are delivered in stream order, where the producer met them.
struct PipedTarReader: ~Copyable, TarStreaming {
    static let slotCount = 8
    static let slotSize = 256 << 10

    private let pipe: DecompressionRing
    private var header: TarHeader?
    /// The slot whose bytes the caller holds (released at the next call).
    private var held: Int?
    private var atMemberEnd = true
    private(set) var position: UInt64 = 0
    private(set) var rawPosition: UInt64 = 0
    private(set) var currentMember: String?

    /// Starts the producer over `input` (which it owns from now on).
    init(input: ArchiveInput, compression: Compression, source: String) throws(ArchiveError) {
        pipe = DecompressionRing()
        let box = UncheckedBox((input, compression, source))
        let pipe = self.pipe
        // Opening fails fast on the caller's thread: the first event tells.
        DispatchQueue.global(qos: .userInitiated).async {
            pipe.produce { () throws(ArchiveError) -> TarReader in
                try TarReader(input: box.value.0, compression: box.value.1, source: box.value.2)
            }
        }
        if case .failure(let error) = pipe.peekOpened() { throw error }
    }

    deinit {
        pipe.cancel()
    }

    private mutating func take() throws(ArchiveError) -> DecompressionRing.Event {
        if let held {
            pipe.release(held)
            self.held = nil
        }
        let (event, position, raw) = pipe.take()
        self.position = position
        self.rawPosition = raw
        return event
    }

    mutating func next() throws(ArchiveError) -> TarHeader? {
        // Skip what is left of the current member's data.
        pending = nil
        while !atMemberEnd {
            if try nextChunkEvent() == nil { break }
        }
        switch try take() {
        case .header(let h, let member):
            header = h
            currentMember = member
            atMemberEnd = false
            return h
        case .finished:
            currentMember = nil
            atMemberEnd = true
            return nil
        case .failure(let error):
            atMemberEnd = true
            throw error
        case .data(let slot, _), .memberEnd(let slot):
            pipe.release(slot)
            throw ArchiveError(.corrupt, source: "", message: "tar stream out of order")
        case .opened:
            return try next()
        }
    }

    /// The next data event of the current member: its slot and size; nil at the member's end.
    private mutating func nextChunkEvent() throws(ArchiveError) -> (slot: Int, count: Int)? {
        guard !atMemberEnd else { return nil }
        switch try take() {
        case .data(let slot, let count):
            held = slot
            return (slot, count)
        case .memberEnd(let slot):
            pipe.release(slot)
            atMemberEnd = true
            return nil
        case .failure(let error):
            atMemberEnd = true
            throw error
        case .header, .finished, .opened:
            atMemberEnd = true
            throw ArchiveError(.corrupt, source: "", message: "tar stream out of order")
        }
    }

    mutating func nextChunk(scratch: UnsafeMutableRawBufferPointer) throws(ArchiveError) -> UnsafeRawBufferPointer? {
        guard let (slot, count) = try nextChunkEvent() else { return nil }
        return UnsafeRawBufferPointer(rebasing: pipe.slots[slot][..<count])
    }

    /// A chunk being copied out by ``read(into:)``: its slot (held), how far it was read, its size.
    private var pending: (slot: Int, start: Int, count: Int)?

    /// Copies the current member's data; a chunk larger than `buffer` is continued at the next call.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(ArchiveError) -> Int {
        if pending == nil {
            guard let (slot, count) = try nextChunkEvent() else { return 0 }
            pending = (slot, 0, count)
        }
        guard let (slot, start, count) = pending else { return 0 }
        let n = min(buffer.count, count - start)
        buffer.baseAddress!.copyMemory(from: pipe.slots[slot].baseAddress! + start, byteCount: n)
        pending = start + n == count ? nil : (slot, start + n, count)
        return n
    }
}

/// The producer's side and the shared ring.
final class DecompressionRing: @unchecked Sendable {
    enum Event {
        case opened
        case header(TarHeader, member: String?)
        /// Bytes of the current member in a slot.
        case data(slot: Int, count: Int)
        /// The current member's data ended (the slot carries no bytes).
        case memberEnd(slot: Int)
        case finished
        case failure(ArchiveError)
    }

    let slots: [UnsafeMutableRawBufferPointer]
    /// Slots the producer may fill; every event holds one until the consumer is done with it.
    private let free = DispatchSemaphore(value: PipedTarReader.slotCount)
    private let filled = DispatchSemaphore(value: 0)
    private let state = Mutex<(events: [(Event, UInt64, UInt64)], head: Int, freeSlots: [Int])>(
        ([], 0, Array(0..<PipedTarReader.slotCount)))
    private let cancelled = Atomic<Bool>(false)
    private let done = DispatchSemaphore(value: 0)
    private let opened = DispatchSemaphore(value: 0)
    private let openResult = Mutex<ArchiveError?>(nil)

    init() {
        slots = (0..<PipedTarReader.slotCount).map { _ in .allocate(byteCount: PipedTarReader.slotSize, alignment: 64) }
    }

    deinit {
        for slot in slots { slot.deallocate() }
    }

    /// Waits for a free slot; nil when the consumer has gone.
    private func acquire() -> Int? {
        free.wait()
        if cancelled.load(ordering: .acquiring) { return nil }
        return state.withLock { $0.freeSlots.popLast() }
    }

    private func push(_ event: Event, _ position: UInt64, _ raw: UInt64) {
        state.withLock { $0.events.append((event, position, raw)) }
        filled.signal()
    }

    /// Runs on the producer's thread: the whole stream, into the ring.
    func produce(_ open: () throws(ArchiveError) -> TarReader) {
        defer { done.signal() }
        var reader: TarReader
        do {
            reader = try open()
        } catch {
            openResult.withLock { $0 = error }
            opened.signal()
            return
        }
        opened.signal()
        do throws(ArchiveError) {
            // Headers take no slot; every member's data events (at least its end) do, so the ring
            // bounds how far the producer runs ahead.
            while !cancelled.load(ordering: .acquiring) {
                guard let header = try reader.next() else {
                    push(.finished, reader.position, reader.rawPosition)
                    return
                }
                push(.header(header, member: reader.currentMember), reader.position, reader.rawPosition)
                while true {
                    guard let slot = acquire() else { return }
                    let n = try reader.read(into: slots[slot])
                    if n == 0 {
                        push(.memberEnd(slot: slot), reader.position, reader.rawPosition)
                        break
                    }
                    push(.data(slot: slot, count: n), reader.position, reader.rawPosition)
                }
            }
        } catch {
            push(.failure(error), reader.position, reader.rawPosition)
        }
    }

    /// The outcome of opening the stream (waits for the producer to try).
    func peekOpened() -> Result<Void, ArchiveError> {
        opened.wait()
        opened.signal()
        if let error = openResult.withLock({ $0 }) { return .failure(error) }
        return .success(())
    }

    /// The next event (waits for the producer).
    func take() -> (Event, UInt64, UInt64) {
        filled.wait()
        return state.withLock { s in
            let e = s.events[s.head]
            s.head += 1
            if s.head > 64 && s.head * 2 > s.events.count {
                s.events.removeFirst(s.head)
                s.head = 0
            }
            return e
        }
    }

    /// The consumer is done with `slot`.
    func release(_ slot: Int) {
        state.withLock { $0.freeSlots.append(slot) }
        free.signal()
    }

    /// The consumer has gone: the producer stops at its next wait; returns once it has.
    func cancel() {
        cancelled.store(true, ordering: .releasing)
        for _ in 0..<PipedTarReader.slotCount + 1 { free.signal() }
        done.wait()
    }
}

/// A value handed to another thread that only that thread uses.
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
