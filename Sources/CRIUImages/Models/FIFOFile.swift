/// A FIFO opened by path. Mirrors `fifo_entry`.
public struct FIFOFile: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "fifo_entry"

    /// `id`: File id.
    public var id: UInt32 = 0
    /// `pipe_id`: Pipe inode number (keys `fifo-data.img`).
    public var pipeID: UInt32 = 0
    /// `regf_id`: `files.img` REG id carrying the FIFO's path.
    public var regularFileID: UInt32?

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: id = try reader.u32(key)
            case 2: pipeID = try reader.u32(key)
            case 3: regularFileID = try reader.u32(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

extension FIFOFile: EncodableImageMessage {
    /// Writes the model as CRIU writes `fifo_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(id))
        writer.write(2, varint: UInt64(pipeID))
        if let v = regularFileID { writer.write(3, varint: UInt64(v)) }
    }
}
