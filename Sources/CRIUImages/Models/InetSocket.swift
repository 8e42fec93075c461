/// An IPv4 or IPv6 socket (TCP, UDP, raw...). Mirrors `inet_sk_entry`.
public struct InetSocket: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "inet_sk_entry"

    /// `id`: File id.
    public var id: UInt32 = 0
    /// `ino`: Socket inode (names `tcp-stream-<ino hex>.img` for established TCP).
    public var inode: UInt32 = 0
    /// `family`: AF_INET 2, AF_INET6 10.
    public var family: UInt32 = 0
    /// `type`: SOCK_STREAM 1, SOCK_DGRAM 2, SOCK_RAW 3.
    public var type: UInt32 = 0
    /// `proto`: IPPROTO_TCP 6, IPPROTO_UDP 17...
    public var protocolNumber: UInt32 = 0
    /// `state`: TCP state: ESTABLISHED 1 ... LISTEN 10, CLOSE 7.
    public var state: UInt32 = 0
    /// `src_port`: Local port (host order).
    public var sourcePort: UInt32 = 0
    /// `dst_port`: Remote port.
    public var destinationPort: UInt32 = 0
    /// `flags`: File flags.
    public var flags: UInt32 = 0
    /// `backlog`: Listen backlog.
    public var backlog: UInt32 = 0
    /// `src_addr`: Local address as stored: 1 word (IPv4) or 4 (IPv6); see ``sourceAddress``.
    public var sourceAddressWords: [UInt32] = []
    /// `dst_addr`: Remote address as stored; see ``destinationAddress``.
    public var destinationAddressWords: [UInt32] = []
    /// `fown`: Owner.
    public var owner: FileOwner = FileOwner()
    /// `opts`: Generic socket options.
    public var options: SocketOptions = SocketOptions()
    /// `v6only`: IPV6_V6ONLY.
    public var v6Only: Bool?
    /// `ip_opts`: IP-level options.
    public var ipOptions: IPOptions?
    /// `ifname`: Bound interface name.
    public var interfaceName: LinuxName?
    /// `ns_id`: Network namespace id.
    public var netNamespaceID: UInt32?
    /// `shutdown`: Shutdown state.
    public var shutdown: SocketShutdown?
    /// `tcp_opts`: TCP options (4.0+).
    public var tcpOptions: TCPOptions?

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: id = try reader.u32(key)
            case 2: inode = try reader.u32(key)
            case 3: family = try reader.u32(key)
            case 4: type = try reader.u32(key)
            case 5: protocolNumber = try reader.u32(key)
            case 6: state = try reader.u32(key)
            case 7: sourcePort = try reader.u32(key)
            case 8: destinationPort = try reader.u32(key)
            case 9: flags = try reader.u32(key)
            case 10: backlog = try reader.u32(key)
            case 11: try reader.appendU32(key, to: &sourceAddressWords)
            case 12: try reader.appendU32(key, to: &destinationAddressWords)
            case 13: owner = try reader.message(key)
            case 14: options = try reader.message(key)
            case 15: v6Only = try reader.bool(key)
            case 16: ipOptions = try reader.message(key)
            case 17: interfaceName = try reader.name(key)
            case 18: netNamespaceID = try reader.u32(key)
            case 19: shutdown = SocketShutdown(rawValue: try reader.u32(key))
            case 20: tcpOptions = try reader.message(key)
            default: try reader.skip(key.wireType)
            }
        }
    }

    /// The local address, from little-endian words (x86_64, aarch64, ppc64le, riscv64 dumps).
    public var sourceAddress: InetAddress? { InetAddress(words: sourceAddressWords) }
    /// The remote address, from little-endian words.
    public var destinationAddress: InetAddress? { InetAddress(words: destinationAddressWords) }
    /// The local address for a dump made on a host of the given byte order.
    public func sourceAddress(byteOrder: ByteOrder) -> InetAddress? { InetAddress(words: sourceAddressWords, byteOrder: byteOrder) }
    /// The remote address for a dump made on a host of the given byte order.
    public func destinationAddress(byteOrder: ByteOrder) -> InetAddress? { InetAddress(words: destinationAddressWords, byteOrder: byteOrder) }
}

/// IP-level socket options. Mirrors `ip_opts_entry`.
public struct IPOptions: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "ip_opts_entry"

    /// `freebind`: IP_FREEBIND.
    public var freeBind: Bool?
    /// `raw`: Raw-socket options.
    public var raw: RawIPOptions?
    /// `pktinfo`: IP_PKTINFO / IPV6_RECVPKTINFO.
    public var packetInfo: Bool?
    /// `tos`: IP_TOS.
    public var typeOfService: UInt32?
    /// `ttl`: IP_TTL.
    public var timeToLive: UInt32?

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: freeBind = try reader.bool(key)
            case 4: raw = try reader.message(key)
            case 5: packetInfo = try reader.bool(key)
            case 6: typeOfService = try reader.u32(key)
            case 7: timeToLive = try reader.u32(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

/// Raw IP socket options. Mirrors `ip_opts_raw_entry`.
public struct RawIPOptions: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "ip_opts_raw_entry"

    /// `hdrincl`: IP_HDRINCL.
    public var headerIncluded: Bool?
    /// `nodefrag`: IP_NODEFRAG.
    public var noDefragment: Bool?
    /// `checksum`: IPV6_CHECKSUM.
    public var checksum: Bool?
    /// `icmpv_filter`: ICMP(v6) filter words.
    public var icmpFilter: [UInt32] = []

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: headerIncluded = try reader.bool(key)
            case 2: noDefragment = try reader.bool(key)
            case 3: checksum = try reader.bool(key)
            case 4: try reader.appendU32(key, to: &icmpFilter)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

/// TCP socket options (4.0+). Mirrors `tcp_opts_entry`.
public struct TCPOptions: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "tcp_opts_entry"

    /// `cork`: TCP_CORK.
    public var cork: Bool?
    /// `nodelay`: TCP_NODELAY.
    public var noDelay: Bool?
    /// `keepcnt`: TCP_KEEPCNT.
    public var keepCount: UInt32?
    /// `keepidle`: TCP_KEEPIDLE.
    public var keepIdle: UInt32?
    /// `keepintvl`: TCP_KEEPINTVL.
    public var keepInterval: UInt32?

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: cork = try reader.bool(key)
            case 2: noDelay = try reader.bool(key)
            case 3: keepCount = try reader.u32(key)
            case 4: keepIdle = try reader.u32(key)
            case 5: keepInterval = try reader.u32(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

extension InetSocket: EncodableImageMessage {
    /// Writes the model as CRIU writes `inet_sk_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(id))
        writer.write(2, varint: UInt64(inode))
        writer.write(3, varint: UInt64(family))
        writer.write(4, varint: UInt64(type))
        writer.write(5, varint: UInt64(protocolNumber))
        writer.write(6, varint: UInt64(state))
        writer.write(7, varint: UInt64(sourcePort))
        writer.write(8, varint: UInt64(destinationPort))
        writer.write(9, varint: UInt64(flags))
        writer.write(10, varint: UInt64(backlog))
        for v in sourceAddressWords { writer.write(11, varint: UInt64(v)) }
        for v in destinationAddressWords { writer.write(12, varint: UInt64(v)) }
        try writer.write(13, message: owner)
        try writer.write(14, message: options)
        if let v = v6Only { writer.write(15, bool: v) }
        if let v = ipOptions { try writer.write(16, message: v) }
        if let v = interfaceName { writer.write(17, bytes: v.bytes) }
        if let v = netNamespaceID { writer.write(18, varint: UInt64(v)) }
        if let v = shutdown { writer.write(19, signed: Int64(Int32(truncatingIfNeeded: v.rawValue))) }
        if let v = tcpOptions { try writer.write(20, message: v) }
    }
}

extension IPOptions: EncodableImageMessage {
    /// Writes the model as CRIU writes `ip_opts_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        if let v = freeBind { writer.write(1, bool: v) }
        if let v = raw { try writer.write(4, message: v) }
        if let v = packetInfo { writer.write(5, bool: v) }
        if let v = typeOfService { writer.write(6, varint: UInt64(v)) }
        if let v = timeToLive { writer.write(7, varint: UInt64(v)) }
    }
}

extension RawIPOptions: EncodableImageMessage {
    /// Writes the model as CRIU writes `ip_opts_raw_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        if let v = headerIncluded { writer.write(1, bool: v) }
        if let v = noDefragment { writer.write(2, bool: v) }
        if let v = checksum { writer.write(3, bool: v) }
        for v in icmpFilter { writer.write(4, varint: UInt64(v)) }
    }
}

extension TCPOptions: EncodableImageMessage {
    /// Writes the model as CRIU writes `tcp_opts_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        if let v = cork { writer.write(1, bool: v) }
        if let v = noDelay { writer.write(2, bool: v) }
        if let v = keepCount { writer.write(3, varint: UInt64(v)) }
        if let v = keepIdle { writer.write(4, varint: UInt64(v)) }
        if let v = keepInterval { writer.write(5, varint: UInt64(v)) }
    }
}
