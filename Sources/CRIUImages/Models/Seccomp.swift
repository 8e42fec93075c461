/// The seccomp image (`seccomp.img`): every filter of every thread. Mirrors `seccomp_entry`.
public struct Seccomp: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "seccomp_entry"

    /// `seccomp_filters`: Filters; threads point at their newest with ``ThreadCore/seccompFilter``.
    public var filters: [SeccompFilter] = []

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: try reader.appendMessage(key, to: &filters)
            default: try reader.skip(key.wireType)
            }
        }
    }

    /// The filter stack ending at index `newest`, oldest first (the order to install them in).
    /// Stops at a missing index or a cycle.
    public func stack(endingAt newest: UInt32) -> [SeccompFilter] {
        var result: [SeccompFilter] = []
        var seen = Set<UInt32>()
        var index: UInt32? = newest
        while let i = index, Int(i) < filters.count, seen.insert(i).inserted {
            result.append(filters[Int(i)])
            index = filters[Int(i)].previous
        }
        return result.reversed()
    }
}

/// A classic BPF seccomp program. Mirrors `seccomp_filter`.
public struct SeccompFilter: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "seccomp_filter"

    /// `filter`: 8-byte `sock_filter` records (u16 code, u8 jt, u8 jf, u32 k), native byte order.
    public var program: [UInt8] = []
    /// `prev`: Index of the filter installed just before this one; absent on the oldest.
    public var previous: UInt32?
    /// `flags`: SECCOMP_FILTER_FLAG_* (TSYNC 1, LOG 2...).
    public var flags: UInt32?

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: program = try reader.bytes(key)
            case 2: previous = try reader.u32(key)
            case 3: flags = try reader.u32(key)
            default: try reader.skip(key.wireType)
            }
        }
    }

    /// Number of BPF instructions.
    public var instructionCount: Int { program.count / 8 }
}

extension Seccomp: EncodableImageMessage {
    /// Writes the model as CRIU writes `seccomp_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        for v in filters { try writer.write(1, message: v) }
    }
}

extension SeccompFilter: EncodableImageMessage {
    /// Writes the model as CRIU writes `seccomp_filter` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, bytes: program)
        if let v = previous { writer.write(2, varint: UInt64(v)) }
        if let v = flags { writer.write(3, varint: UInt64(v)) }
    }
}
