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
