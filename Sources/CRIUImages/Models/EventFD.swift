/// An eventfd. Mirrors `eventfd_file_entry`.
public struct EventFD: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "eventfd_file_entry"

    /// `id`: File id.
    public var id: UInt32 = 0
    /// `flags`: File flags.
    public var flags: UInt32 = 0
    /// `fown`: Owner.
    public var owner: FileOwner = FileOwner()
    /// `counter`: Current counter value.
    public var counter: UInt64 = 0

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: id = try reader.u32(key)
            case 2: flags = try reader.u32(key)
            case 3: owner = try reader.message(key)
            case 4: counter = try reader.u64(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

extension EventFD: EncodableImageMessage {
    /// Writes the model as CRIU writes `eventfd_file_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(id))
        writer.write(2, varint: UInt64(flags))
        try writer.write(3, message: owner)
        writer.write(4, varint: counter)
    }
}
