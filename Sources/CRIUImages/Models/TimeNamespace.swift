/// A time namespace (`timens-<id>.img`): clock values read at dump time. Mirrors `timens_entry`.
public struct TimeNamespace: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "timens_entry"

    /// `monotonic`: CLOCK_MONOTONIC at dump (a value, not an offset).
    public var monotonic: Timespec = Timespec()
    /// `boottime`: CLOCK_BOOTTIME at dump.
    public var boottime: Timespec = Timespec()

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: monotonic = try reader.message(key)
            case 2: boottime = try reader.message(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

/// Seconds and nanoseconds. Mirrors `timespec`.
public struct Timespec: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "timespec"

    /// `tv_sec`: Seconds.
    public var seconds: UInt64 = 0
    /// `tv_nsec`: Nanoseconds.
    public var nanoseconds: UInt64 = 0

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: seconds = try reader.u64(key)
            case 2: nanoseconds = try reader.u64(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

extension TimeNamespace: EncodableImageMessage {
    /// Writes the model as CRIU writes `timens_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        try writer.write(1, message: monotonic)
        try writer.write(2, message: boottime)
    }
}

extension Timespec: EncodableImageMessage {
    /// Writes the model as CRIU writes `timespec` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: seconds)
        writer.write(2, varint: nanoseconds)
    }
}
