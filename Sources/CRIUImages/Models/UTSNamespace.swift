/// A UTS namespace (`utsns-<id>.img`). Mirrors `utsns_entry`.
public struct UTSNamespace: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "utsns_entry"

    /// `nodename`: Host name.
    public var hostName: LinuxName = LinuxName(bytes: [])
    /// `domainname`: NIS domain name.
    public var domainName: LinuxName = LinuxName(bytes: [])

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: hostName = try reader.name(key)
            case 2: domainName = try reader.name(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

extension UTSNamespace: EncodableImageMessage {
    /// Writes the model as CRIU writes `utsns_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, bytes: hostName.bytes)
        writer.write(2, bytes: domainName.bytes)
    }
}
