/// A netlink socket. Mirrors `netlink_sk_entry`.
public struct NetlinkSocket: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "netlink_sk_entry"

    /// `id`: File id.
    public var id: UInt32 = 0
    /// `ino`: Inode.
    public var inode: UInt32 = 0
    /// `protocol`: NETLINK_* protocol.
    public var protocolNumber: UInt32 = 0
    /// `state`: Socket state.
    public var state: UInt32 = 0
    /// `flags`: File flags.
    public var flags: UInt32 = 0
    /// `portid`: Bound port id.
    public var portID: UInt32 = 0
    /// `groups`: Subscribed group bitmap words.
    public var groups: [UInt32] = []
    /// `dst_portid`: Connected peer port.
    public var destinationPortID: UInt32 = 0
    /// `dst_group`: Connected group.
    public var destinationGroup: UInt32 = 0
    /// `fown`: Owner.
    public var owner: FileOwner = FileOwner()
    /// `opts`: Socket options.
    public var options: SocketOptions = SocketOptions()
    /// `ns_id`: Network namespace id.
    public var netNamespaceID: UInt32?

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: id = try reader.u32(key)
            case 2: inode = try reader.u32(key)
            case 3: protocolNumber = try reader.u32(key)
            case 4: state = try reader.u32(key)
            case 6: flags = try reader.u32(key)
            case 7: portID = try reader.u32(key)
            case 8: try reader.appendU32(key, to: &groups)
            case 9: destinationPortID = try reader.u32(key)
            case 10: destinationGroup = try reader.u32(key)
            case 11: owner = try reader.message(key)
            case 12: options = try reader.message(key)
            case 13: netNamespaceID = try reader.u32(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

extension NetlinkSocket: EncodableImageMessage {
    /// Writes the model as CRIU writes `netlink_sk_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(id))
        writer.write(2, varint: UInt64(inode))
        writer.write(3, varint: UInt64(protocolNumber))
        writer.write(4, varint: UInt64(state))
        writer.write(6, varint: UInt64(flags))
        writer.write(7, varint: UInt64(portID))
        for v in groups { writer.write(8, varint: UInt64(v)) }
        writer.write(9, varint: UInt64(destinationPortID))
        writer.write(10, varint: UInt64(destinationGroup))
        try writer.write(11, message: owner)
        try writer.write(12, message: options)
        if let v = netNamespaceID { writer.write(13, varint: UInt64(v)) }
    }
}
