/// An open terminal. Mirrors `tty_file_entry`.
public struct TTYFile: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "tty_file_entry"

    /// `id`: File id.
    public var id: UInt32 = 0
    /// `tty_info_id`: The `tty-info.img` id.
    public var ttyInfoID: UInt32 = 0
    /// `flags`: File flags.
    public var flags: UInt32 = 0
    /// `fown`: Owner.
    public var owner: FileOwner = FileOwner()
    /// `regf_id`: `files.img` REG id with the path.
    public var regularFileID: UInt32?

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: id = try reader.u32(key)
            case 2: ttyInfoID = try reader.u32(key)
            case 3: flags = try reader.u32(key)
            case 4: owner = try reader.message(key)
            case 6: regularFileID = try reader.u32(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

extension TTYFile: EncodableImageMessage {
    /// Writes the model as CRIU writes `tty_file_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(id))
        writer.write(2, varint: UInt64(ttyInfoID))
        writer.write(3, varint: UInt64(flags))
        try writer.write(4, message: owner)
        if let v = regularFileID { writer.write(6, varint: UInt64(v)) }
    }
}
