/// A network namespace's settings (`netns-<id>.img`); only ``externalKey`` for an engine-prepared (external) namespace. Mirrors `netns_entry`.
public struct NetNamespace: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "netns_entry"

    /// `def_conf`: Legacy IPv4 devconf integers (default).
    public var legacyDefaultConf: [Int32] = []
    /// `all_conf`: Legacy IPv4 devconf integers (all).
    public var legacyAllConf: [Int32] = []
    /// `def_conf4`: net.ipv4.conf.default.*, positional.
    public var defaultIPv4Conf: [Sysctl] = []
    /// `all_conf4`: net.ipv4.conf.all.*, positional.
    public var allIPv4Conf: [Sysctl] = []
    /// `def_conf6`: net.ipv6.conf.default.*, positional.
    public var defaultIPv6Conf: [Sysctl] = []
    /// `all_conf6`: net.ipv6.conf.all.*, positional.
    public var allIPv6Conf: [Sysctl] = []
    /// `nsids`: NETNSA_NSID ids this namespace assigned to other dumped namespaces.
    public var namespaceIDs: [NetNamespaceID] = []
    /// `ext_key`: External namespace key (`--external net[...]`).
    public var externalKey: LinuxName?
    /// `unix_conf`: net.unix.* values: [max_dgram_qlen].
    public var unixConf: [Sysctl] = []
    /// `ipv4_sysctl`: Other net.ipv4 sysctls: [ping_group_range] (4.1+).
    public var ipv4Sysctls: [Sysctl] = []

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: try reader.appendI32(key, to: &legacyDefaultConf)
            case 2: try reader.appendI32(key, to: &legacyAllConf)
            case 3: try reader.appendMessage(key, to: &defaultIPv4Conf)
            case 4: try reader.appendMessage(key, to: &allIPv4Conf)
            case 5: try reader.appendMessage(key, to: &defaultIPv6Conf)
            case 6: try reader.appendMessage(key, to: &allIPv6Conf)
            case 7: try reader.appendMessage(key, to: &namespaceIDs)
            case 8: externalKey = try reader.name(key)
            case 9: try reader.appendMessage(key, to: &unixConf)
            case 10: try reader.appendMessage(key, to: &ipv4Sysctls)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

/// An nsid a network namespace assigned to another. Mirrors `netns_id`.
public struct NetNamespaceID: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "netns_id"

    /// `target_ns_id`: CRIU id of the other namespace.
    public var targetNamespaceID: UInt32 = 0
    /// `netnsid_value`: The nsid value.
    public var value: Int32 = 0

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: targetNamespaceID = try reader.u32(key)
            case 2: value = try reader.i32(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

extension NetNamespace: EncodableImageMessage {
    /// Writes the model as CRIU writes `netns_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        for v in legacyDefaultConf { writer.write(1, signed: Int64(v)) }
        for v in legacyAllConf { writer.write(2, signed: Int64(v)) }
        for v in defaultIPv4Conf { try writer.write(3, message: v) }
        for v in allIPv4Conf { try writer.write(4, message: v) }
        for v in defaultIPv6Conf { try writer.write(5, message: v) }
        for v in allIPv6Conf { try writer.write(6, message: v) }
        for v in namespaceIDs { try writer.write(7, message: v) }
        if let v = externalKey { writer.write(8, bytes: v.bytes) }
        for v in unixConf { try writer.write(9, message: v) }
        for v in ipv4Sysctls { try writer.write(10, message: v) }
    }
}

extension NetNamespaceID: EncodableImageMessage {
    /// Writes the model as CRIU writes `netns_id` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(targetNamespaceID))
        writer.write(2, signed: Int64(value))
    }
}
