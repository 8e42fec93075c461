/// A signalfd. Mirrors `signalfd_entry`.
public struct SignalFD: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "signalfd_entry"

    /// `id`: File id.
    public var id: UInt32 = 0
    /// `flags`: File flags.
    public var flags: UInt32 = 0
    /// `fown`: Owner.
    public var owner: FileOwner = FileOwner()
    /// `sigmask`: Signals 1..64 (bit n-1 = signal n).
    public var signalMask: UInt64 = 0

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: id = try reader.u32(key)
            case 2: flags = try reader.u32(key)
            case 3: owner = try reader.message(key)
            case 4: signalMask = try reader.u64(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

extension SignalFD: EncodableImageMessage {
    /// Writes the model as CRIU writes `signalfd_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(id))
        writer.write(2, varint: UInt64(flags))
        try writer.write(3, message: owner)
        writer.write(4, varint: signalMask)
    }
}
