/// An open /proc/PID/ns/* file. Mirrors `ns_file_entry`.
public struct NamespaceFile: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "ns_file_entry"

    /// `id`: File id.
    public var id: UInt32 = 0
    /// `ns_id`: CRIU namespace id.
    public var namespaceID: UInt32 = 0
    /// `ns_cflag`: CLONE_NEW* flag of the namespace type.
    public var cloneFlag: UInt32 = 0
    /// `flags`: File flags.
    public var flags: UInt32 = 0

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: id = try reader.u32(key)
            case 2: namespaceID = try reader.u32(key)
            case 3: cloneFlag = try reader.u32(key)
            case 4: flags = try reader.u32(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

extension NamespaceFile: EncodableImageMessage {
    /// Writes the model as CRIU writes `ns_file_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(id))
        writer.write(2, varint: UInt64(namespaceID))
        writer.write(3, varint: UInt64(cloneFlag))
        writer.write(4, varint: UInt64(flags))
    }
}
