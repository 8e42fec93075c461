/// An open memfd. Mirrors `memfd_file_entry`.
public struct MemFDFile: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "memfd_file_entry"

    /// `id`: File id.
    public var id: UInt32 = 0
    /// `flags`: open flags.
    public var flags: UInt32 = 0
    /// `pos`: Offset.
    public var position: UInt64 = 0
    /// `fown`: Owner.
    public var owner: FileOwner = FileOwner()
    /// `inode_id`: The `memfd.img` inode id (``MemFDInode/inodeID``).
    public var inodeID: UInt32 = 0

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: id = try reader.u32(key)
            case 2: flags = try reader.u32(key)
            case 3: position = try reader.u64(key)
            case 4: owner = try reader.message(key)
            case 5: inodeID = try reader.u32(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

extension MemFDFile: EncodableImageMessage {
    /// Writes the model as CRIU writes `memfd_file_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(id))
        writer.write(2, varint: UInt64(flags))
        writer.write(3, varint: position)
        try writer.write(4, message: owner)
        writer.write(5, varint: UInt64(inodeID))
    }
}
