/// Byte order of the machine that wrote an image (magic words, size words and raw payloads).
public enum ByteOrder: Hashable, Sendable {
    /// Little-endian: every architecture CRIU supports but s390.
    case littleEndian
    /// Big-endian (s390).
    case bigEndian
}

/// Where the bytes that follow an entry's message live (CRIU-FORMAT.md 1.4). Ranges index the file.
public indirect enum ExtraPayload: Hashable, Sendable {
    /// One run of bytes (pipe and socket queues, ghost file contents, bpf map keys+values, old SysV shm).
    case bytes(Range<Int>)
    /// A TCP socket's receive queue then send queue.
    case tcpQueues(inq: Range<Int>, outq: Range<Int>)
    /// SysV semaphore values.
    case semaphores([UInt16])
    /// SysV message queue records: each an `ipc_msg` message and its data.
    case messages([QueuedMessage])

    /// One queued SysV message: the `ipc_msg` header message and its data bytes.
    public struct QueuedMessage: Hashable, Sendable {
        /// The `ipc_msg` message bytes (indices into the file).
        public var header: Range<Int>
        /// The message's data, without its padding (indices into the file).
        public var data: Range<Int>
    }

    /// Total number of payload bytes.
    public var byteCount: Int {
        switch self {
        case .bytes(let r): r.count
        case .tcpQueues(let a, let b): a.count + b.count
        case .semaphores(let values): values.count * 2
        case .messages(let records): records.reduce(0) { $0 + $1.data.count }
        }
    }
}

/// One framed entry of an image: its message bytes and any payload that follows.
public struct ImageEntry: Hashable, Sendable {
    /// Zero-based position in the file.
    public var index: Int
    /// The message type of this entry (`pagemap_head` for a pagemap's first entry).
    public var message: String
    /// Absolute offset of the entry's size word.
    public var offset: Int
    /// The message bytes (indices into the file).
    public var range: Range<Int>
    /// The extra payload after the message, if the image kind has one.
    public var extra: ExtraPayload?
}

/// A framed CRIU image: magic, kind, byte order and the entries, located but not yet decoded.
///
/// Framing reads only what it must: size words, and the few fields that give payload lengths.
/// Decode entries with ``GenericDecoder`` or the typed models.
public struct ImageFile: Hashable, Sendable {
    /// The file name the kind was chosen with.
    public var fileName: String
    /// The image kind.
    public var kind: ImageKind
    /// The byte order of size words and payloads.
    public var byteOrder: ByteOrder
    /// The leading magic words as read (one word for inventory and ancient images, two otherwise).
    public var magicWords: [UInt32]
    /// The entries, in file order. Empty for RAW images.
    public var entries: [ImageEntry]
    /// The file's size in bytes.
    public var size: Int

    /// Frames `bytes` as the image named `fileName` (a file name, not a path).
    ///
    /// RAW images (recognised by name) are returned with no entries; callers that need protobuf
    /// entries should check ``ImageKind/isRaw``.
    public static func parse(_ bytes: [UInt8], fileName: String) throws(ImageError) -> ImageFile {
        do throws(ImageError) {
            return try withBytes(bytes) { (buffer) throws(ImageError) in
                try parse(buffer, fileName: fileName)
            }
        } catch {
            throw error.located(file: fileName)
        }
    }

    /// Frames borrowed bytes; see ``parse(_:fileName:)-swift.type.method``.
    public static func parse(_ buffer: UnsafeRawBufferPointer, fileName: String) throws(ImageError) -> ImageFile {
        if let raw = ImageKind.raw(forFileName: fileName) {
            return ImageFile(fileName: fileName, kind: raw, byteOrder: .littleEndian, magicWords: [], entries: [], size: buffer.count)
        }
        if buffer.isEmpty {
            throw ImageError(.emptyFile, offset: 0, detail: "a protobuf image holds at least its magic", file: fileName)
        }
        guard buffer.count >= 4 else {
            throw ImageError(.truncated, offset: 0, detail: "\(buffer.count) bytes, too short for a magic word", file: fileName)
        }
        var framer = Framer(buffer: buffer, fileName: fileName)
        return try framer.run()
    }
}

struct Framer {
    let buffer: UnsafeRawBufferPointer
    let fileName: String
    var position = 0
    var order = ByteOrder.littleEndian

    init(buffer: UnsafeRawBufferPointer, fileName: String) {
        self.buffer = buffer
        self.fileName = fileName
    }

    func word(at index: Int, _ order: ByteOrder) -> UInt32 {
        let raw = buffer.loadUnaligned(fromByteOffset: index, as: UInt32.self)
        return order == .littleEndian ? UInt32(littleEndian: raw) : UInt32(bigEndian: raw)
    }

    static func isKnownFirstWord(_ value: UInt32) -> Bool {
        value == Magic.common || value == Magic.service || ImageKind.byMagic[value] != nil
    }

    mutating func run() throws(ImageError) -> ImageFile {
        var first = word(at: 0, .littleEndian)
        if !Self.isKnownFirstWord(first) {
            let swapped = word(at: 0, .bigEndian)
            if Self.isKnownFirstWord(swapped) {
                order = .bigEndian
                first = swapped
            } else {
                throw ImageError(.unknownMagic, offset: 0, detail: "0x\(String(first, radix: 16)) is not a CRIU magic (raw data such as pages-N.img has none)", file: fileName)
            }
        }
        var words = [first]
        position = 4
        let kind: ImageKind
        if first == Magic.common || first == Magic.service {
            guard buffer.count >= 8 else {
                throw ImageError(.truncated, offset: 4, detail: "the image magic after the \(first == Magic.common ? "common" : "service") word is missing", file: fileName)
            }
            let second = word(at: 4, order)
            words.append(second)
            position = 8
            guard let found = ImageKind.forMagic(second, fileName: fileName) else {
                throw ImageError(.unknownMagic, offset: 4, detail: "0x\(String(second, radix: 16)) is not a CRIU image magic", file: fileName)
            }
            guard found.isService == (first == Magic.service) else {
                throw ImageError(.unknownMagic, offset: 4, detail: "\(found.name) does not follow the \(first == Magic.common ? "common" : "service") word", file: fileName)
            }
            kind = found
        } else {
            // INVENTORY's single word, or an ancient single-magic image.
            kind = ImageKind.forMagic(first, fileName: fileName)!
        }
        var entries: [ImageEntry] = []
        do {
            try frameEntries(kind, into: &entries)
        } catch {
            throw error.located(file: fileName, image: kind.name, entry: entries.count)
        }
        return ImageFile(fileName: fileName, kind: kind, byteOrder: order, magicWords: words, entries: entries, size: buffer.count)
    }

    /// Reads a size word and returns the message range after it.
    mutating func readSized(_ what: String) throws(ImageError) -> (offset: Int, range: Range<Int>) {
        let start = position
        guard buffer.count - position >= 4 else {
            throw ImageError(.truncated, offset: start, detail: "\(buffer.count - position) bytes left, a size word needs 4")
        }
        let size = word(at: position, order)
        position += 4
        guard UInt64(size) <= UInt64(buffer.count - position) else {
            throw ImageError(.lengthOutOfBounds, offset: start, detail: "\(what) size \(size) exceeds the \(buffer.count - position) bytes left")
        }
        let range = position..<(position + Int(size))
        position = range.upperBound
        return (start, range)
    }

    mutating func take(_ count: UInt64, _ what: String) throws(ImageError) -> Range<Int> {
        guard count <= UInt64(buffer.count - position) else {
            throw ImageError(.truncated, offset: position, detail: "\(what) needs \(count) bytes, \(buffer.count - position) left")
        }
        let range = position..<(position + Int(count))
        position = range.upperBound
        return range
    }

    /// The last value of a varint field in a message, if present (proto2: the last one wins).
    func field(_ number: Int, in range: Range<Int>) throws(ImageError) -> UInt64? {
        var reader = WireReader(buffer, range: range)
        return try reader.lastVarint(number)
    }

    static func roundUp(_ value: UInt64, _ to: UInt64) -> UInt64 {
        let (sum, overflow) = value.addingReportingOverflow(to - 1)
        return overflow ? UInt64.max : sum / to * to
    }

    mutating func frameEntries(_ kind: ImageKind, into entries: inout [ImageEntry]) throws(ImageError) {
        guard let message = kind.message else { return }
        switch kind.layout {
        case .ghostFile:
            guard position < buffer.count else { return }
            let (offset, range) = try readSized("ghost_file_entry")
            let chunks = try field(9, in: range) ?? 0
            if chunks != 0 {
                entries.append(ImageEntry(index: 0, message: message, offset: offset, range: range, extra: nil))
                while position < buffer.count {
                    let (chunkOffset, chunkRange) = try readSized("ghost_chunk_entry")
                    let length = try field(1, in: chunkRange) ?? 0
                    let data = try take(length, "ghost chunk data")
                    entries.append(ImageEntry(index: entries.count, message: "ghost_chunk_entry", offset: chunkOffset, range: chunkRange, extra: .bytes(data)))
                }
            } else {
                let rest = position..<buffer.count
                position = buffer.count
                entries.append(ImageEntry(index: 0, message: message, offset: offset, range: range, extra: .bytes(rest)))
            }
            return
        default:
            break
        }
        while position < buffer.count {
            let index = entries.count
            let type = (kind.layout == .pagemap && index == 0) ? "pagemap_head" : message
            let (offset, range) = try readSized(type)
            var extra: ExtraPayload?
            if let rule = kind.payload {
                extra = try payload(rule, for: range)
            }
            entries.append(ImageEntry(index: index, message: type, offset: offset, range: range, extra: extra))
        }
        if kind.layout == .single && entries.count > 1 {
            throw ImageError(.unexpectedEntryCount, offset: entries[1].offset, detail: "\(kind.name) holds one entry, found \(entries.count)", entry: 1)
        }
    }

    mutating func payload(_ rule: PayloadRule, for range: Range<Int>) throws(ImageError) -> ExtraPayload? {
        switch rule {
        case .pipeData:
            return .bytes(try take(try field(2, in: range) ?? 0, "pipe data"))
        case .socketQueue:
            return .bytes(try take(try field(2, in: range) ?? 0, "socket queue data"))
        case .tcpStream:
            let inq = try take(try field(1, in: range) ?? 0, "TCP receive queue")
            let outq = try take(try field(3, in: range) ?? 0, "TCP send queue")
            return .tcpQueues(inq: inq, outq: outq)
        case .bpfMap:
            let keys = try field(2, in: range) ?? 0
            let values = try field(3, in: range) ?? 0
            let (total, overflow) = keys.addingReportingOverflow(values)
            return .bytes(try take(overflow ? .max : total, "bpf map keys and values"))
        case .semaphores:
            let count = try field(2, in: range) ?? 0
            let needed = Self.roundUp(count.multipliedReportingOverflow(by: 2).overflow ? .max : count * 2, 8)
            let data = try take(needed, "semaphore values")
            var values: [UInt16] = []
            values.reserveCapacity(Int(count))
            for i in 0..<Int(count) {
                let raw = buffer.loadUnaligned(fromByteOffset: data.lowerBound + 2 * i, as: UInt16.self)
                values.append(order == .littleEndian ? UInt16(littleEndian: raw) : UInt16(bigEndian: raw))
            }
            return .semaphores(values)
        case .messageQueue:
            let count = try field(3, in: range) ?? 0
            var records: [ExtraPayload.QueuedMessage] = []
            var left = count
            while left > 0 {
                let (_, header) = try readSized("ipc_msg")
                let size = try field(2, in: header) ?? 0
                let data = try take(Self.roundUp(size, 8), "queued message data")
                records.append(.init(header: header, data: data.lowerBound..<(data.lowerBound + Int(size))))
                left -= 1
            }
            return .messages(records)
        case .sharedMemory:
            // Modern CRIU sets in_pagemaps (field 3) and writes nothing; only very old dumps carry the contents.
            if let inPagemaps = try field(3, in: range), inPagemaps != 0 { return nil }
            let size = try field(2, in: range) ?? 0
            let data = try take(Self.roundUp(size, 4), "SysV shared memory contents")
            return .bytes(data.lowerBound..<(data.lowerBound + Int(size)))
        }
    }
}
