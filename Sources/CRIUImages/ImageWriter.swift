/// Writes an image file as CRIU frames it: the magic words, then each entry as a size word, the
/// message and the entry's extra payload. The inverse of ``ImageFile/parse(_:fileName:)-swift.type.method``.
///
/// The writer checks what the framer will rely on when the file is read back: which message each
/// entry holds (a pagemap's `pagemap_head` first, a ghost file's chunks), that single-entry images
/// get one entry, and that every payload has the length its entry's fields announce.
///
/// ```swift
/// var writer = try ImageWriter(kind: .named("PIPES_DATA")!)
/// let entry = try GenericDecoder().decode("pipe_data_entry", from: [0x08, 0x07, 0x10, 0x02])
/// try writer.append(entry, payload: .bytes([0x68, 0x69]))
/// let file = writer.bytes   // magic words, size word 4, the message, "hi"
/// ```
public struct ImageWriter: Sendable {
    /// What follows an entry's message in the file (CRIU-FORMAT.md 1.4): the writing side of ``ExtraPayload``.
    public enum Payload: Hashable, Sendable {
        /// One run of bytes: pipe and socket queue data, bpf map keys then values, old SysV shm contents
        /// (padded to 4 bytes), a ghost file's contents or one chunk's data.
        case bytes([UInt8])
        /// A TCP socket's receive queue then send queue.
        case tcpQueues(inq: [UInt8], outq: [UInt8])
        /// SysV semaphore values, written in the image's byte order and padded to 8 bytes.
        case semaphores([UInt16])
        /// Queued SysV messages: each an encoded `ipc_msg` header and its data (padded to 8 bytes).
        case messages([QueuedMessage])

        /// One queued SysV message.
        public struct QueuedMessage: Hashable, Sendable {
            /// The encoded `ipc_msg` message; its `msize` must equal the data's length.
            public var header: [UInt8]
            /// The message's data.
            public var data: [UInt8]

            /// A queued message from its encoded header and its data.
            public init(header: [UInt8], data: [UInt8]) {
                self.header = header
                self.data = data
            }
        }
    }

    /// The kind of image being written.
    public let kind: ImageKind
    /// The byte order of the magic words, size words and semaphore values.
    public let byteOrder: ByteOrder
    /// The file so far.
    public private(set) var bytes: [UInt8] = []
    /// Entries appended so far.
    public private(set) var entryCount = 0
    /// Ghost files: whether the first entry announced chunks (nil before it is written).
    private var ghostChunked: Bool?
    private let schema: Schema

    /// Starts an image of `kind` with its magic words.
    ///
    /// - Parameter magicWords: how many leading words to write: nil for the current format (one for
    ///   INVENTORY, the IMG_COMMON or IMG_SERVICE word and the image magic for the others), 1 for the
    ///   ancient single-magic format (inventory `img_version` 1), 2 for an inventory behind IMG_COMMON.
    ///   Every form ``ImageFile`` reads.
    /// - Throws: ``ImageError/Code/invalidValue`` for another count.
    public init(kind: ImageKind, byteOrder: ByteOrder = .littleEndian, magicWords: Int? = nil, schema: Schema = .criu) throws(ImageError) {
        self.kind = kind
        self.byteOrder = byteOrder
        self.schema = schema
        if kind.isRaw { return }
        switch magicWords ?? kind.canonicalMagicWordCount {
        case 1: appendWord(kind.magic)
        case 2:
            appendWord(kind.isService ? Magic.service : Magic.common)
            appendWord(kind.magic)
        default:
            throw ImageError(.invalidValue, path: "magic_words", detail: "an image starts with 1 or 2 magic words, not \(magicWords ?? 0)")
        }
    }

    /// The message type the next entry must hold, or nil when the image can take no more entries
    /// (a single-entry image that has its entry, a ghost file whose contents are written, a RAW image).
    public var nextMessageType: String? {
        guard let message = kind.message else { return nil }
        switch kind.layout {
        case .single: return entryCount == 0 ? message : nil
        case .pagemap: return entryCount == 0 ? "pagemap_head" : message
        case .ghostFile:
            guard let chunked = ghostChunked else { return message }
            return chunked ? "ghost_chunk_entry" : nil
        case .stream: return message
        case .raw: return nil
        }
    }

    /// Appends the contents of a RAW image (page data, a tarball...): RAW images pass through as they are.
    /// - Throws: ``ImageError/Code/invalidValue`` when the image is not RAW.
    public mutating func appendRaw<C: Collection>(_ data: C) throws(ImageError) where C.Element == UInt8 {
        guard kind.isRaw else {
            throw ImageError(.invalidValue, path: "", detail: "\(kind.name) holds protobuf entries, not raw data")
        }
        bytes.append(contentsOf: data)
    }

    /// Appends an entry: `message` (encoded with `encoder`) and its payload.
    public mutating func append(_ message: DecodedMessage, payload: Payload? = nil, encoder: GenericEncoder = GenericEncoder()) throws(ImageError) {
        if let expected = nextMessageType, message.type != expected {
            throw ImageError(.invalidValue, path: "", detail: "entry \(entryCount) of \(kind.name) is a \(expected), not a \(message.type)")
                .located(image: kind.name, entry: entryCount)
        }
        let encoded: [UInt8]
        do {
            encoded = try encoder.encode(message)
        } catch {
            throw error.located(image: kind.name, entry: entryCount)
        }
        try append(encoded, payload: payload)
    }

    /// Appends an entry from its encoded message bytes and its payload.
    ///
    /// - Throws: ``ImageError/Code/unexpectedEntryCount`` when the image takes no more entries,
    ///   ``ImageError/Code/invalidPayload`` when the payload is not the one the entry announces.
    public mutating func append(_ message: [UInt8], payload: Payload? = nil) throws(ImageError) {
        do {
            try appendEntry(message, payload: payload)
        } catch {
            throw error.located(image: kind.name, entry: entryCount)
        }
        entryCount += 1
    }

    private mutating func appendEntry(_ message: [UInt8], payload: Payload?) throws(ImageError) {
        guard let type = nextMessageType else {
            let why = kind.isRaw ? "is a RAW image" : kind.layout == .ghostFile ? "ends with the file contents" : "holds one entry"
            throw ImageError(.unexpectedEntryCount, path: "", detail: "\(kind.name) \(why)")
        }
        guard message.count <= Int(UInt32.max) else {
            throw ImageError(.invalidValue, path: "", detail: "a \(message.count)-byte message does not fit a size word")
        }
        func field(_ number: Int) throws(ImageError) -> UInt64 {
            try Self.varintField(number, in: message) ?? 0
        }
        func name(_ number: Int) -> String {
            "\(type).\(schema.message(type)?.field(number)?.name ?? "field \(number)")"
        }
        func mismatch(_ detail: String) -> ImageError {
            ImageError(.invalidPayload, path: "extra", detail: detail)
        }
        func bytesPayload(_ what: String) throws(ImageError) -> [UInt8] {
            switch payload {
            case nil: return []
            case .bytes(let b)?: return b
            default: throw mismatch("\(kind.name) takes \(what) as one run of bytes")
            }
        }
        /// The payload holds as many `unit` as field `number` announces.
        func check(_ count: Int, _ number: Int, _ unit: String) throws(ImageError) {
            let announced = try field(number)
            guard UInt64(count) == announced else {
                throw mismatch("\(name(number)) is \(announced), the payload holds \(count) \(unit)")
            }
        }
        func check(_ data: [UInt8], _ number: Int) throws(ImageError) { try check(data.count, number, "bytes") }
        var tail: [UInt8] = []
        switch (kind.layout, kind.payload) {
        case (.ghostFile, _):
            if type == "ghost_chunk_entry" {
                tail = try bytesPayload("a chunk's data")
                try check(tail, 1)
            } else {
                let chunked = try field(9) != 0
                if chunked {
                    guard payload == nil else { throw mismatch("a ghost file with chunks has its data after each ghost_chunk_entry") }
                } else {
                    tail = try bytesPayload("the file contents")
                }
                ghostChunked = chunked
            }
        case (_, nil):
            guard payload == nil else { throw mismatch("\(kind.name) entries have no extra payload") }
        case (_, .pipeData?), (_, .socketQueue?):
            tail = try bytesPayload("the queued data")
            try check(tail, 2)
        case (_, .bpfMap?):
            tail = try bytesPayload("keys then values")
            let (keys, values) = (try field(2), try field(3))
            guard UInt64(tail.count) == keys &+ values, keys <= keys &+ values else {
                throw mismatch("\(name(2)) + \(name(3)) is \(keys) + \(values), the payload holds \(tail.count) bytes")
            }
        case (_, .tcpStream?):
            var inq: [UInt8] = [], outq: [UInt8] = []
            switch payload {
            case nil: break
            case .tcpQueues(let i, let o)?: (inq, outq) = (i, o)
            default: throw mismatch("TCP_STREAM takes the receive and send queues")
            }
            try check(inq, 1)
            try check(outq, 3)
            tail = inq + outq
        case (_, .semaphores?):
            var values: [UInt16] = []
            switch payload {
            case nil: break
            case .semaphores(let v)?: values = v
            default: throw mismatch("IPCNS_SEM takes semaphore values")
            }
            try check(values.count, 2, "values")
            for v in values {
                let ordered = byteOrder == .littleEndian ? v.littleEndian : v.bigEndian
                withUnsafeBytes(of: ordered) { tail.append(contentsOf: $0) }
            }
            tail += Array(repeating: 0, count: Self.padding(tail.count, 8))
        case (_, .messageQueue?):
            var records: [Payload.QueuedMessage] = []
            switch payload {
            case nil: break
            case .messages(let r)?: records = r
            default: throw mismatch("IPCNS_MSG takes queued messages")
            }
            try check(records.count, 3, "messages")
            for (i, record) in records.enumerated() {
                let size = try Self.varintField(2, in: record.header) ?? 0
                guard size == UInt64(record.data.count) else {
                    throw mismatch("message \(i): ipc_msg.msize is \(size), its data holds \(record.data.count) bytes")
                }
                tail += Self.word(UInt32(record.header.count), byteOrder) + record.header + record.data
                tail += Array(repeating: 0, count: Self.padding(record.data.count, 8))
            }
        case (_, .sharedMemory?):
            if try field(3) != 0 {
                guard payload == nil else { throw mismatch("\(name(3)) is set: the contents are in the shmem pagemap, not after the entry") }
            } else {
                tail = try bytesPayload("the segment's contents")
                try check(tail, 2)
                tail += Array(repeating: 0, count: Self.padding(tail.count, 4))
            }
        }
        appendWord(UInt32(message.count))
        bytes += message
        bytes += tail
    }

    private mutating func appendWord(_ value: UInt32) {
        bytes += Self.word(value, byteOrder)
    }

    static func word(_ value: UInt32, _ order: ByteOrder) -> [UInt8] {
        let ordered = order == .littleEndian ? value.littleEndian : value.bigEndian
        return withUnsafeBytes(of: ordered) { Array($0) }
    }

    static func padding(_ count: Int, _ to: Int) -> Int { (to - count % to) % to }

    /// The last value of a varint field of an encoded message, as the framer reads payload lengths.
    static func varintField(_ number: Int, in message: [UInt8]) throws(ImageError) -> UInt64? {
        try withBytes(message) { (buffer) throws(ImageError) in
            var reader = WireReader(buffer)
            return try reader.lastVarint(number)
        }
    }
}

extension ImageKind {
    /// How many magic words the current format writes: one for INVENTORY, two for the others.
    var canonicalMagicWordCount: Int { magic == Magic.inventory ? 1 : 2 }
}
