/// An AF_PACKET socket. Mirrors `packet_sock_entry`.
public struct PacketSocket: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "packet_sock_entry"

    /// `id`: File id.
    public var id: UInt32 = 0
    /// `type`: SOCK_RAW or SOCK_DGRAM.
    public var type: UInt32 = 0
    /// `protocol`: Ethernet protocol number as passed to socket().
    public var protocolNumber: UInt32 = 0
    /// `flags`: File flags.
    public var flags: UInt32 = 0
    /// `ifindex`: Bound interface index.
    public var interfaceIndex: UInt32 = 0
    /// `fown`: Owner.
    public var owner: FileOwner = FileOwner()
    /// `opts`: Socket options.
    public var options: SocketOptions = SocketOptions()
    /// `version`: TPACKET version.
    public var version: UInt32 = 0
    /// `reserve`: PACKET_RESERVE.
    public var reserve: UInt32 = 0
    /// `aux_data`: PACKET_AUXDATA.
    public var auxData: Bool = false
    /// `orig_dev`: PACKET_ORIGDEV.
    public var originalDevice: Bool = false
    /// `vnet_hdr`: PACKET_VNET_HDR.
    public var vnetHeader: Bool = false
    /// `loss`: PACKET_LOSS.
    public var loss: Bool = false
    /// `timestamp`: PACKET_TIMESTAMP.
    public var timestamp: UInt32 = 0
    /// `copy_thresh`: PACKET_COPY_THRESH.
    public var copyThreshold: UInt32 = 0
    /// `mclist`: Multicast memberships.
    public var multicast: [PacketMulticast] = []
    /// `fanout`: Fanout; 0xffffffff (the proto2 default) = none.
    public var fanout: UInt32 = 0xffff_ffff
    /// `rx_ring`: RX ring geometry.
    public var receiveRing: PacketRing?
    /// `tx_ring`: TX ring geometry.
    public var transmitRing: PacketRing?
    /// `ns_id`: Network namespace id.
    public var netNamespaceID: UInt32?

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: id = try reader.u32(key)
            case 2: type = try reader.u32(key)
            case 3: protocolNumber = try reader.u32(key)
            case 4: flags = try reader.u32(key)
            case 5: interfaceIndex = try reader.u32(key)
            case 6: owner = try reader.message(key)
            case 7: options = try reader.message(key)
            case 8: version = try reader.u32(key)
            case 9: reserve = try reader.u32(key)
            case 10: auxData = try reader.bool(key)
            case 11: originalDevice = try reader.bool(key)
            case 12: vnetHeader = try reader.bool(key)
            case 13: loss = try reader.bool(key)
            case 14: timestamp = try reader.u32(key)
            case 15: copyThreshold = try reader.u32(key)
            case 16: try reader.appendMessage(key, to: &multicast)
            case 17: fanout = try reader.u32(key)
            case 18: receiveRing = try reader.message(key)
            case 19: transmitRing = try reader.message(key)
            case 20: netNamespaceID = try reader.u32(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

/// A packet socket's multicast membership. Mirrors `packet_mclist`.
public struct PacketMulticast: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "packet_mclist"

    /// `index`: Interface index.
    public var index: UInt32 = 0
    /// `type`: PACKET_MR_* type.
    public var type: UInt32 = 0
    /// `addr`: Address bytes.
    public var address: [UInt8] = []

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: index = try reader.u32(key)
            case 2: type = try reader.u32(key)
            case 3: address = try reader.bytes(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

/// A packet socket's ring geometry. Mirrors `packet_ring`.
public struct PacketRing: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "packet_ring"

    /// `block_size`: Block size.
    public var blockSize: UInt32 = 0
    /// `block_nr`: Number of blocks.
    public var blockCount: UInt32 = 0
    /// `frame_size`: Frame size.
    public var frameSize: UInt32 = 0
    /// `frame_nr`: Number of frames.
    public var frameCount: UInt32 = 0
    /// `retire_tmo`: Block retire timeout.
    public var retireTimeout: UInt32 = 0
    /// `sizeof_priv`: Private area size.
    public var privateSize: UInt32 = 0
    /// `features`: Feature request bits.
    public var features: UInt32 = 0

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: blockSize = try reader.u32(key)
            case 2: blockCount = try reader.u32(key)
            case 3: frameSize = try reader.u32(key)
            case 4: frameCount = try reader.u32(key)
            case 5: retireTimeout = try reader.u32(key)
            case 6: privateSize = try reader.u32(key)
            case 7: features = try reader.u32(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

extension PacketSocket: EncodableImageMessage {
    /// Writes the model as CRIU writes `packet_sock_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(id))
        writer.write(2, varint: UInt64(type))
        writer.write(3, varint: UInt64(protocolNumber))
        writer.write(4, varint: UInt64(flags))
        writer.write(5, varint: UInt64(interfaceIndex))
        try writer.write(6, message: owner)
        try writer.write(7, message: options)
        writer.write(8, varint: UInt64(version))
        writer.write(9, varint: UInt64(reserve))
        writer.write(10, bool: auxData)
        writer.write(11, bool: originalDevice)
        writer.write(12, bool: vnetHeader)
        writer.write(13, bool: loss)
        writer.write(14, varint: UInt64(timestamp))
        writer.write(15, varint: UInt64(copyThreshold))
        for v in multicast { try writer.write(16, message: v) }
        if fanout != 0xffff_ffff { writer.write(17, varint: UInt64(fanout)) }
        if let v = receiveRing { try writer.write(18, message: v) }
        if let v = transmitRing { try writer.write(19, message: v) }
        if let v = netNamespaceID { writer.write(20, varint: UInt64(v)) }
    }
}

extension PacketMulticast: EncodableImageMessage {
    /// Writes the model as CRIU writes `packet_mclist` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(index))
        writer.write(2, varint: UInt64(type))
        writer.write(3, bytes: address)
    }
}

extension PacketRing: EncodableImageMessage {
    /// Writes the model as CRIU writes `packet_ring` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(blockSize))
        writer.write(2, varint: UInt64(blockCount))
        writer.write(3, varint: UInt64(frameSize))
        writer.write(4, varint: UInt64(frameCount))
        writer.write(5, varint: UInt64(retireTimeout))
        writer.write(6, varint: UInt64(privateSize))
        writer.write(7, varint: UInt64(features))
    }
}
