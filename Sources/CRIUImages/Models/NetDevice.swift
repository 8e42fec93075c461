/// A network interface (`netdev-<id>.img`). Mirrors `net_device_entry`.
public struct NetDevice: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "net_device_entry"

    /// `type`: Device type.
    public var type: NetDeviceType = NetDeviceType(rawValue: 0)
    /// `ifindex`: Interface index.
    public var index: UInt32 = 0
    /// `mtu`: MTU.
    public var mtu: UInt32 = 0
    /// `flags`: IFF_* flags.
    public var flags: UInt32 = 0
    /// `name`: Interface name.
    public var name: LinuxName = LinuxName(bytes: [])
    /// `tun`: tun/tap parameters.
    public var tun: TunLink?
    /// `address`: MAC address bytes.
    public var address: [UInt8]?
    /// `conf`: Legacy IPv4 devconf integers.
    public var legacyConf: [Int32] = []
    /// `conf4`: Per-device IPv4 sysctls, positional.
    public var ipv4Conf: [Sysctl] = []
    /// `conf6`: Per-device IPv6 sysctls, positional.
    public var ipv6Conf: [Sysctl] = []
    /// `macvlan`: macvlan parameters.
    public var macvlan: MacvlanLink?
    /// `peer_ifindex`: veth peer interface index.
    public var peerIndex: UInt32?
    /// `peer_nsid`: veth peer namespace nsid.
    public var peerNamespaceID: UInt32?
    /// `master`: Master (bridge) interface index.
    public var master: UInt32?
    /// `sit`: SIT tunnel parameters.
    public var sit: SITTunnel?

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: type = NetDeviceType(rawValue: try reader.u32(key))
            case 2: index = try reader.u32(key)
            case 3: mtu = try reader.u32(key)
            case 4: flags = try reader.u32(key)
            case 5: name = try reader.name(key)
            case 6: tun = try reader.message(key)
            case 7: address = try reader.bytes(key)
            case 8: try reader.appendI32(key, to: &legacyConf)
            case 9: try reader.appendMessage(key, to: &ipv4Conf)
            case 10: try reader.appendMessage(key, to: &ipv6Conf)
            case 11: macvlan = try reader.message(key)
            case 12: peerIndex = try reader.u32(key)
            case 13: peerNamespaceID = try reader.u32(key)
            case 14: master = try reader.u32(key)
            case 15: sit = try reader.message(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

/// The kind of a network interface. Mirrors enum `nd_type`.
public enum NetDeviceType: Hashable, Sendable, RawRepresentable {
    /// `LOOPBACK` (1).
    case loopback
    /// `VETH` (2).
    case veth
    /// `TUN` (3).
    case tun
    /// `EXTLINK` (4).
    case externalLink
    /// `VENET` (5).
    case venet
    /// `BRIDGE` (6).
    case bridge
    /// `MACVLAN` (7).
    case macvlan
    /// `SIT` (8).
    case sit
    /// A value this library does not know.
    case unknown(UInt32)

    /// Maps a stored number to a case; numbers this library does not know become `unknown`.
    public init(rawValue: UInt32) {
        switch rawValue {
        case 1: self = .loopback
        case 2: self = .veth
        case 3: self = .tun
        case 4: self = .externalLink
        case 5: self = .venet
        case 6: self = .bridge
        case 7: self = .macvlan
        case 8: self = .sit
        default: self = .unknown(rawValue)
        }
    }

    /// The number as stored in the image.
    public var rawValue: UInt32 {
        switch self {
        case .loopback: 1
        case .veth: 2
        case .tun: 3
        case .externalLink: 4
        case .venet: 5
        case .bridge: 6
        case .macvlan: 7
        case .sit: 8
        case .unknown(let value): value
        }
    }
}

/// tun/tap device parameters. Mirrors `tun_link_entry`.
public struct TunLink: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "tun_link_entry"

    /// `flags`: IFF_* flags.
    public var flags: UInt32 = 0
    /// `owner`: Owner uid (-1 = none).
    public var owner: Int32 = 0
    /// `group`: Owner gid (-1 = none).
    public var group: Int32 = 0
    /// `vnethdr`: vnet header size.
    public var vnetHeaderSize: UInt32 = 0
    /// `sndbuf`: Send buffer.
    public var sendBuffer: UInt32 = 0

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: flags = try reader.u32(key)
            case 2: owner = try reader.i32(key)
            case 3: group = try reader.i32(key)
            case 4: vnetHeaderSize = try reader.u32(key)
            case 5: sendBuffer = try reader.u32(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

/// macvlan device parameters. Mirrors `macvlan_link_entry`.
public struct MacvlanLink: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "macvlan_link_entry"

    /// `mode`: macvlan mode.
    public var mode: UInt32 = 0
    /// `flags`: Flags.
    public var flags: UInt32?

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: mode = try reader.u32(key)
            case 2: flags = try reader.u32(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

/// SIT tunnel parameters; addresses are stored like ``InetSocket``'s. Mirrors `sit_entry`.
public struct SITTunnel: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "sit_entry"

    /// `link`: Underlying link.
    public var link: UInt32?
    /// `local`: Local address words.
    public var localWords: [UInt32] = []
    /// `remote`: Remote address words.
    public var remoteWords: [UInt32] = []
    /// `ttl`: TTL.
    public var ttl: UInt32?
    /// `tos`: TOS.
    public var tos: UInt32?
    /// `pmtudisc`: Path MTU discovery.
    public var pathMTUDiscovery: Bool?
    /// `proto`: Protocol.
    public var protocolNumber: UInt32?
    /// `flags`: Flags.
    public var flags: UInt32?
    /// `encap_type`: Encapsulation type.
    public var encapsulationType: UInt32?
    /// `encap_flags`: Encapsulation flags.
    public var encapsulationFlags: UInt32?
    /// `encap_sport`: Encapsulation source port.
    public var encapsulationSourcePort: UInt32?
    /// `encap_dport`: Encapsulation destination port.
    public var encapsulationDestinationPort: UInt32?
    /// `rd_prefixlen`: 6rd prefix length.
    public var relayDomainPrefixLength: UInt32?
    /// `rd_prefix`: 6rd prefix words.
    public var relayDomainPrefixWords: [UInt32] = []
    /// `relay_prefixlen`: 6rd relay prefix length.
    public var relayPrefixLength: UInt32?
    /// `relay_prefix`: 6rd relay prefix words.
    public var relayPrefixWords: [UInt32] = []

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: link = try reader.u32(key)
            case 2: try reader.appendU32(key, to: &localWords)
            case 3: try reader.appendU32(key, to: &remoteWords)
            case 4: ttl = try reader.u32(key)
            case 5: tos = try reader.u32(key)
            case 6: pathMTUDiscovery = try reader.bool(key)
            case 7: protocolNumber = try reader.u32(key)
            case 8: flags = try reader.u32(key)
            case 9: encapsulationType = try reader.u32(key)
            case 10: encapsulationFlags = try reader.u32(key)
            case 11: encapsulationSourcePort = try reader.u32(key)
            case 12: encapsulationDestinationPort = try reader.u32(key)
            case 13: relayDomainPrefixLength = try reader.u32(key)
            case 14: try reader.appendU32(key, to: &relayDomainPrefixWords)
            case 15: relayPrefixLength = try reader.u32(key)
            case 16: try reader.appendU32(key, to: &relayPrefixWords)
            default: try reader.skip(key.wireType)
            }
        }
    }

    /// The local address (little-endian words).
    public var localAddress: InetAddress? { InetAddress(words: localWords) }
    /// The remote address (little-endian words).
    public var remoteAddress: InetAddress? { InetAddress(words: remoteWords) }
}

extension NetDevice: EncodableImageMessage {
    /// Writes the model as CRIU writes `net_device_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, signed: Int64(Int32(truncatingIfNeeded: type.rawValue)))
        writer.write(2, varint: UInt64(index))
        writer.write(3, varint: UInt64(mtu))
        writer.write(4, varint: UInt64(flags))
        writer.write(5, bytes: name.bytes)
        if let v = tun { try writer.write(6, message: v) }
        if let v = address { writer.write(7, bytes: v) }
        for v in legacyConf { writer.write(8, signed: Int64(v)) }
        for v in ipv4Conf { try writer.write(9, message: v) }
        for v in ipv6Conf { try writer.write(10, message: v) }
        if let v = macvlan { try writer.write(11, message: v) }
        if let v = peerIndex { writer.write(12, varint: UInt64(v)) }
        if let v = peerNamespaceID { writer.write(13, varint: UInt64(v)) }
        if let v = master { writer.write(14, varint: UInt64(v)) }
        if let v = sit { try writer.write(15, message: v) }
    }
}

extension TunLink: EncodableImageMessage {
    /// Writes the model as CRIU writes `tun_link_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(flags))
        writer.write(2, signed: Int64(owner))
        writer.write(3, signed: Int64(group))
        writer.write(4, varint: UInt64(vnetHeaderSize))
        writer.write(5, varint: UInt64(sendBuffer))
    }
}

extension MacvlanLink: EncodableImageMessage {
    /// Writes the model as CRIU writes `macvlan_link_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(mode))
        if let v = flags { writer.write(2, varint: UInt64(v)) }
    }
}

extension SITTunnel: EncodableImageMessage {
    /// Writes the model as CRIU writes `sit_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        if let v = link { writer.write(1, varint: UInt64(v)) }
        for v in localWords { writer.write(2, varint: UInt64(v)) }
        for v in remoteWords { writer.write(3, varint: UInt64(v)) }
        if let v = ttl { writer.write(4, varint: UInt64(v)) }
        if let v = tos { writer.write(5, varint: UInt64(v)) }
        if let v = pathMTUDiscovery { writer.write(6, bool: v) }
        if let v = protocolNumber { writer.write(7, varint: UInt64(v)) }
        if let v = flags { writer.write(8, varint: UInt64(v)) }
        if let v = encapsulationType { writer.write(9, varint: UInt64(v)) }
        if let v = encapsulationFlags { writer.write(10, varint: UInt64(v)) }
        if let v = encapsulationSourcePort { writer.write(11, varint: UInt64(v)) }
        if let v = encapsulationDestinationPort { writer.write(12, varint: UInt64(v)) }
        if let v = relayDomainPrefixLength { writer.write(13, varint: UInt64(v)) }
        for v in relayDomainPrefixWords { writer.write(14, varint: UInt64(v)) }
        if let v = relayPrefixLength { writer.write(15, varint: UInt64(v)) }
        for v in relayPrefixWords { writer.write(16, varint: UInt64(v)) }
    }
}
