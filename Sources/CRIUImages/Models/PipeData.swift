/// Queued pipe or FIFO data (`pipes-data.img`, `fifo-data.img`); the bytes follow as the extra payload. Mirrors `pipe_data_entry`.
public struct PipeData: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "pipe_data_entry"

    /// `pipe_id`: Pipe inode number.
    public var pipeID: UInt32 = 0
    /// `bytes`: Length of the data that follows.
    public var byteCount: UInt32 = 0
    /// `size`: Pipe buffer size (F_GETPIPE_SZ).
    public var pipeSize: UInt32?

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: pipeID = try reader.u32(key)
            case 2: byteCount = try reader.u32(key)
            case 3: pipeSize = try reader.u32(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

extension PipeData: EncodableImageMessage {
    /// Writes the model as CRIU writes `pipe_data_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(pipeID))
        writer.write(2, varint: UInt64(byteCount))
        if let v = pipeSize { writer.write(3, varint: UInt64(v)) }
    }
}
