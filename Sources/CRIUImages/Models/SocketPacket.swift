/// A queued socket message (`sk-queues.img`); its data follows as the entry's extra payload. Mirrors `sk_packet_entry`.
public struct SocketPacket: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "sk_packet_entry"

    /// `id_for`: File id of the socket whose queue holds this packet.
    public var socketID: UInt32 = 0
    /// `length`: Length of the data that follows.
    public var length: UInt32 = 0
    /// `scm`: Ancillary data (SCM_RIGHTS: file ids).
    public var controlMessages: [ControlMessage] = []

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: socketID = try reader.u32(key)
            case 2: length = try reader.u32(key)
            case 4: try reader.appendMessage(key, to: &controlMessages)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

/// Ancillary data of a queued socket message. Mirrors `scm_entry`.
public struct ControlMessage: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "scm_entry"

    /// `type`: SCM type (SCM_RIGHTS = 1).
    public var type: UInt32 = 0
    /// `rights`: `files.img` ids of passed descriptors.
    public var rights: [UInt32] = []

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: type = try reader.u32(key)
            case 2: try reader.appendU32(key, to: &rights)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

extension SocketPacket: EncodableImageMessage {
    /// Writes the model as CRIU writes `sk_packet_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(socketID))
        writer.write(2, varint: UInt64(length))
        for v in controlMessages { try writer.write(4, message: v) }
    }
}

extension ControlMessage: EncodableImageMessage {
    /// Writes the model as CRIU writes `scm_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(type))
        for v in rights { writer.write(2, varint: UInt64(v)) }
    }
}
