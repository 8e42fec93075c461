/// A file handled by a plugin. Mirrors `ext_file_entry`.
public struct ExternalFile: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "ext_file_entry"

    /// `id`: File id.
    public var id: UInt32 = 0
    /// `fown`: Owner.
    public var owner: FileOwner = FileOwner()

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: id = try reader.u32(key)
            case 5: owner = try reader.message(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

extension ExternalFile: EncodableImageMessage {
    /// Writes the model as CRIU writes `ext_file_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(id))
        try writer.write(5, message: owner)
    }
}
