/// A timerfd. Mirrors `timerfd_entry`.
public struct TimerFD: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "timerfd_entry"

    /// `id`: File id.
    public var id: UInt32 = 0
    /// `flags`: File flags.
    public var flags: UInt32 = 0
    /// `fown`: Owner.
    public var owner: FileOwner = FileOwner()
    /// `clockid`: Clock (CLOCK_REALTIME 0, CLOCK_MONOTONIC 1...).
    public var clockID: UInt32 = 0
    /// `ticks`: Expirations not yet read.
    public var ticks: UInt64 = 0
    /// `settime_flags`: TFD_TIMER_ABSTIME etc.
    public var settimeFlags: UInt32 = 0
    /// `vsec`: Time to next expiry, seconds.
    public var valueSeconds: UInt64 = 0
    /// `vnsec`: Time to next expiry, nanoseconds.
    public var valueNanoseconds: UInt64 = 0
    /// `isec`: Interval, seconds.
    public var intervalSeconds: UInt64 = 0
    /// `insec`: Interval, nanoseconds.
    public var intervalNanoseconds: UInt64 = 0

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: id = try reader.u32(key)
            case 2: flags = try reader.u32(key)
            case 3: owner = try reader.message(key)
            case 4: clockID = try reader.u32(key)
            case 5: ticks = try reader.u64(key)
            case 6: settimeFlags = try reader.u32(key)
            case 7: valueSeconds = try reader.u64(key)
            case 8: valueNanoseconds = try reader.u64(key)
            case 9: intervalSeconds = try reader.u64(key)
            case 10: intervalNanoseconds = try reader.u64(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

extension TimerFD: EncodableImageMessage {
    /// Writes the model as CRIU writes `timerfd_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(id))
        writer.write(2, varint: UInt64(flags))
        try writer.write(3, message: owner)
        writer.write(4, varint: UInt64(clockID))
        writer.write(5, varint: ticks)
        writer.write(6, varint: UInt64(settimeFlags))
        writer.write(7, varint: valueSeconds)
        writer.write(8, varint: valueNanoseconds)
        writer.write(9, varint: intervalSeconds)
        writer.write(10, varint: intervalNanoseconds)
    }
}
