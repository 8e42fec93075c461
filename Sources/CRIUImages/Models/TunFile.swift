/// An open /dev/net/tun. Mirrors `tunfile_entry`.
public struct TunFile: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "tunfile_entry"

    /// `id`: File id.
    public var id: UInt32 = 0
    /// `netdev`: Attached tun/tap device name.
    public var device: LinuxName?
    /// `detached`: IFF_DETACH_QUEUE.
    public var isDetached: Bool?
    /// `ns_id`: Network namespace id.
    public var netNamespaceID: UInt32?

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: id = try reader.u32(key)
            case 2: device = try reader.name(key)
            case 3: isDetached = try reader.bool(key)
            case 4: netNamespaceID = try reader.u32(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

extension TunFile: EncodableImageMessage {
    /// Writes the model as CRIU writes `tunfile_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(id))
        if let v = device { writer.write(2, bytes: v.bytes) }
        if let v = isDetached { writer.write(3, bool: v) }
        if let v = netNamespaceID { writer.write(4, varint: UInt64(v)) }
    }
}
