/// One resource limit; its index in ``TaskCore/resourceLimits`` is the RLIMIT_* number.
/// Mirrors `rlimit_entry`.
public struct ResourceLimit: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "rlimit_entry"
    /// RLIM_INFINITY as stored.
    public static let infinity = UInt64.max
    /// The resources by RLIMIT_* number (`include/uapi/asm-generic/resource.h`), lower case without
    /// the prefix: `cpu`, `fsize`, ... `nofile` (7) ... `rttime` (15).
    public static let resourceNames = ["cpu", "fsize", "data", "stack", "core", "rss", "nproc", "nofile", "memlock", "as",
                                       "locks", "sigpending", "msgqueue", "nice", "rtprio", "rttime"]

    /// `cur`: soft limit.
    public var current: UInt64 = 0
    /// `max`: hard limit.
    public var maximum: UInt64 = 0

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: current = try reader.u64(key)
            case 2: maximum = try reader.u64(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

extension ResourceLimit: EncodableImageMessage {
    /// Writes the model as CRIU writes `rlimit_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: current)
        writer.write(2, varint: maximum)
    }
}
