/// A pidfd (4.1+). Mirrors `pidfd_entry`.
public struct PidFD: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "pidfd_entry"

    /// `id`: File id.
    public var id: UInt32 = 0
    /// `ino`: pidfs inode.
    public var inode: UInt32 = 0
    /// `flags`: File flags.
    public var flags: UInt32 = 0
    /// `nspid`: Target pid in the dumped pid namespace; -1 when it is dead.
    public var pid: Int32 = 0
    /// `fown`: Owner.
    public var owner: FileOwner = FileOwner()

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: id = try reader.u32(key)
            case 2: inode = try reader.u32(key)
            case 3: flags = try reader.u32(key)
            case 4: pid = try reader.i32(key)
            case 5: owner = try reader.message(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

extension PidFD: EncodableImageMessage {
    /// Writes the model as CRIU writes `pidfd_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(id))
        writer.write(2, varint: UInt64(inode))
        writer.write(3, varint: UInt64(flags))
        writer.write(4, signed: Int64(pid))
        try writer.write(5, message: owner)
    }
}
