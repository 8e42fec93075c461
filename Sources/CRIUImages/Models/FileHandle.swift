/// A file handle (name_to_handle_at) with its resolved path. Mirrors `fh_entry`.
public struct FileHandle: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "fh_entry"

    /// `bytes`: Handle size.
    public var byteCount: UInt32 = 0
    /// `type`: Handle type.
    public var type: UInt32 = 0
    /// `handle`: Handle words.
    public var handle: [UInt64] = []
    /// `path`: Resolved path (irmap).
    public var path: LinuxName?
    /// `mnt_id`: Mount id.
    public var mountID: UInt32?

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: byteCount = try reader.u32(key)
            case 2: type = try reader.u32(key)
            case 3: try reader.appendU64(key, to: &handle)
            case 4: path = try reader.name(key)
            case 5: mountID = try reader.u32(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

extension FileHandle: EncodableImageMessage {
    /// Writes the model as CRIU writes `fh_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(byteCount))
        writer.write(2, varint: UInt64(type))
        for v in handle { writer.write(3, varint: v) }
        if let v = path { writer.write(4, bytes: v.bytes) }
        if let v = mountID { writer.write(5, varint: UInt64(v)) }
    }
}
