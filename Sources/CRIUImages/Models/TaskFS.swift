/// A task's working directory, root and umask (`fs-<pid>.img`). Mirrors `fs_entry`.
public struct TaskFS: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "fs_entry"

    /// `cwd_id`: `files.img` id (REG) of the working directory.
    public var cwdID: UInt32 = 0
    /// `root_id`: `files.img` id (REG) of the root directory.
    public var rootID: UInt32 = 0
    /// `umask`.
    public var umask: UInt32?

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: cwdID = try reader.u32(key)
            case 2: rootID = try reader.u32(key)
            case 3: umask = try reader.u32(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

extension TaskFS: EncodableImageMessage {
    /// Writes the model as CRIU writes `fs_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(cwdID))
        writer.write(2, varint: UInt64(rootID))
        if let v = umask { writer.write(3, varint: UInt64(v)) }
    }
}
