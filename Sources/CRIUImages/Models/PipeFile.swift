/// One end of a pipe. Mirrors `pipe_entry`.
public struct PipeFile: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "pipe_entry"

    /// `id`: File id.
    public var id: UInt32 = 0
    /// `pipe_id`: Pipe inode number; both ends share it; keys `pipes-data.img`.
    public var pipeID: UInt32 = 0
    /// `flags`: open flags (O_RDONLY/O_WRONLY, O_NONBLOCK...).
    public var flags: UInt32 = 0
    /// `fown`: Owner.
    public var owner: FileOwner = FileOwner()

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: id = try reader.u32(key)
            case 2: pipeID = try reader.u32(key)
            case 3: flags = try reader.u32(key)
            case 4: owner = try reader.message(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

extension PipeFile: EncodableImageMessage {
    /// Writes the model as CRIU writes `pipe_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(id))
        writer.write(2, varint: UInt64(pipeID))
        writer.write(3, varint: UInt64(flags))
        try writer.write(4, message: owner)
    }
}
