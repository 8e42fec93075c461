import CRIUImages

/// What a dumped network namespace was configured with, from CRIU's raw images (CRIU-FORMAT.md
/// 1.6): `ifaddr-<id>.img` (`ip addr save`), `route-<id>.img` / `route6-<id>.img` (`ip route
/// save`), `rule-<id>.img` (`ip rule save`), and the text of `iptables-<id>.img`,
/// `ip6tables-<id>.img` and `nftables-<id>.img`.
///
/// The iproute2 dumps are a 4-byte magic then rtnetlink messages as the kernel sent them, each
/// framed by an `nlmsghdr`, in the dumping host's byte order (told by the magic).
public struct NetworkConfiguration: Hashable, Sendable {
    /// One interface address (`RTM_NEWADDR`, `struct ifaddrmsg` + `IFA_*` attributes).
    public struct Address: Hashable, Sendable {
        /// `ifa_index`: the interface (``NetDevice/index``).
        public var interfaceIndex: UInt32
        /// `ifa_family`: 2 (IPv4) or 10 (IPv6).
        public var family: UInt8
        /// `ifa_prefixlen`.
        public var prefixLength: UInt8
        /// `ifa_scope`: 0 global, 253 link, 254 host.
        public var scope: UInt8
        /// `IFA_LOCAL`, else `IFA_ADDRESS`: the interface's own address.
        public var address: String?
        /// `IFA_ADDRESS` when it differs from `IFA_LOCAL` (the peer of a point-to-point link).
        public var peer: String?
        /// `IFA_LABEL` (`eth0`, `lo`).
        public var label: String?
    }

    /// One route (`RTM_NEWROUTE`, `struct rtmsg` + `RTA_*` attributes).
    public struct Route: Hashable, Sendable {
        /// `rtm_family`.
        public var family: UInt8
        /// `RTA_DST`; nil for the default route.
        public var destination: String?
        /// `rtm_dst_len`.
        public var destinationLength: UInt8
        /// `RTA_GATEWAY`.
        public var gateway: String?
        /// `RTA_OIF`: the output interface index.
        public var outputInterface: UInt32?
        /// `RTA_PREFSRC`.
        public var preferredSource: String?
        /// `RTA_TABLE`, else `rtm_table` (254 main, 255 local).
        public var table: UInt32
        /// `rtm_protocol` (2 kernel, 3 boot, 4 static).
        public var protocolNumber: UInt8
        /// `rtm_scope` (0 universe, 253 link, 254 host).
        public var scope: UInt8
        /// `rtm_type` (1 unicast, 2 local, 3 broadcast, ...).
        public var type: UInt8
        /// `RTA_PRIORITY` (the metric).
        public var priority: UInt32?
    }

    /// One policy-routing rule (`RTM_NEWRULE`, `struct fib_rule_hdr` + `FRA_*` attributes).
    public struct Rule: Hashable, Sendable {
        /// `family`.
        public var family: UInt8
        /// `FRA_PRIORITY`.
        public var priority: UInt32?
        /// `FRA_SRC`.
        public var source: String?
        /// `src_len`.
        public var sourceLength: UInt8
        /// `FRA_DST`.
        public var destination: String?
        /// `dst_len`.
        public var destinationLength: UInt8
        /// `FRA_TABLE`, else `table`.
        public var table: UInt32
        /// `action` (1 to table, 6 blackhole, ...).
        public var action: UInt8
    }

    /// Addresses, from `ifaddr-<id>.img`.
    public var addresses: [Address] = []
    /// IPv4 and IPv6 routes, from `route-<id>.img` and `route6-<id>.img`.
    public var routes: [Route] = []
    /// Rules, from `rule-<id>.img`.
    public var rules: [Rule] = []
    /// `iptables-save` output (`iptables-<id>.img`); nil when the image is absent.
    public var iptables: String?
    /// `ip6tables-save` output.
    public var ip6tables: String?
    /// `nft list ruleset` output.
    public var nftables: String?
    /// What could not be read, image by image (a bad magic, a message running past the end).
    public var problems: [String] = []

    /// An empty configuration.
    public init() {}

    /// True when none of the images was there.
    public var isEmpty: Bool {
        addresses.isEmpty && routes.isEmpty && rules.isEmpty && iptables == nil && ip6tables == nil && nftables == nil && problems.isEmpty
    }

    /// The magic words iproute2 writes first, as read in the dumping host's byte order.
    static let addressMagic: UInt32 = 0x4736_1222
    static let routeMagic: UInt32 = 0x4531_1224
    static let ruleMagic: UInt32 = 0x7170_6986

    /// Reads the configuration from the raw images' bytes (nil: image absent).
    public static func parse(ifaddr: [UInt8]?, route: [UInt8]?, route6: [UInt8]?, rule: [UInt8]?,
                             iptables: [UInt8]?, ip6tables: [UInt8]?, nftables: [UInt8]?, id: UInt32) -> NetworkConfiguration {
        var c = NetworkConfiguration()
        var problems: [String] = []
        var addresses: [Address] = [], routes: [Route] = [], rules: [Rule] = []
        func text(_ bytes: [UInt8]?) -> String? { bytes.map { String(decoding: $0, as: UTF8.self) } }
        c.iptables = text(iptables)
        c.ip6tables = text(ip6tables)
        c.nftables = text(nftables)
        if let ifaddr {
            each(ifaddr, magic: addressMagic, name: "ifaddr-\(id).img", type: 20, header: 8, problems: &problems) { reader, h, attributes in
                var a = Address(interfaceIndex: reader.u32(h + 4), family: reader.u8(h), prefixLength: reader.u8(h + 1), scope: reader.u8(h + 3))
                let address = attributes[1].map { Self.ip($0, family: a.family) }, local = attributes[2].map { Self.ip($0, family: a.family) }
                a.address = local ?? address
                if let local, let address, local != address { a.peer = address }
                a.label = attributes[3].map { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                addresses.append(a)
            }
        }
        for (bytes, name) in [(route, "route-\(id).img"), (route6, "route6-\(id).img")] {
            guard let bytes else { continue }
            each(bytes, magic: routeMagic, name: name, type: 24, header: 12, problems: &problems) { reader, h, attributes in
                let family = reader.u8(h)
                var r = Route(family: family, destination: attributes[1].map { Self.ip($0, family: family) }, destinationLength: reader.u8(h + 1),
                              table: UInt32(reader.u8(h + 4)), protocolNumber: reader.u8(h + 5), scope: reader.u8(h + 6), type: reader.u8(h + 7))
                r.gateway = attributes[5].map { Self.ip($0, family: family) }
                r.outputInterface = attributes[4].flatMap { reader.word($0) }
                r.priority = attributes[6].flatMap { reader.word($0) }
                r.preferredSource = attributes[7].map { Self.ip($0, family: family) }
                if let table = attributes[15].flatMap({ reader.word($0) }) { r.table = table }
                routes.append(r)
            }
        }
        if let rule {
            each(rule, magic: ruleMagic, name: "rule-\(id).img", type: 32, header: 12, problems: &problems) { reader, h, attributes in
                let family = reader.u8(h)
                var r = Rule(family: family, priority: attributes[6].flatMap { reader.word($0) },
                             source: attributes[2].map { Self.ip($0, family: family) }, sourceLength: reader.u8(h + 2),
                             destination: attributes[1].map { Self.ip($0, family: family) }, destinationLength: reader.u8(h + 1),
                             table: UInt32(reader.u8(h + 4)), action: reader.u8(h + 7))
                if let table = attributes[15].flatMap({ reader.word($0) }) { r.table = table }
                rules.append(r)
            }
        }
        (c.addresses, c.routes, c.rules, c.problems) = (addresses, routes, rules, problems)
        return c
    }

    /// Bytes in the dumping host's byte order.
    struct Reader {
        let bytes: [UInt8]
        let bigEndian: Bool

        func u8(_ at: Int) -> UInt8 { at < bytes.count ? bytes[at] : 0 }
        func u16(_ at: Int) -> UInt16 {
            guard at + 2 <= bytes.count else { return 0 }
            let (a, b) = (UInt16(bytes[at]), UInt16(bytes[at + 1]))
            return bigEndian ? a << 8 | b : b << 8 | a
        }
        func u32(_ at: Int) -> UInt32 {
            guard at + 4 <= bytes.count else { return 0 }
            let w = (0..<4).map { UInt32(bytes[at + $0]) }
            return bigEndian ? w[0] << 24 | w[1] << 16 | w[2] << 8 | w[3] : w[3] << 24 | w[2] << 16 | w[1] << 8 | w[0]
        }
        /// A 32-bit attribute value.
        func word(_ value: [UInt8]) -> UInt32? {
            guard value.count >= 4 else { return nil }
            return Reader(bytes: value, bigEndian: bigEndian).u32(0)
        }
    }

    /// Calls `body` with each message of `type` in a dump: its family header's offset and its
    /// attributes by type. Stops, with a problem noted, at the first message that does not fit.
    static func each(_ bytes: [UInt8], magic: UInt32, name: String, type: UInt16, header: Int, problems: inout [String],
                     _ body: (Reader, Int, [UInt16: [UInt8]]) -> Void) {
        guard bytes.count >= 4 else {
            problems.append("\(name): \(bytes.count) bytes, too short for the iproute2 magic")
            return
        }
        var reader = Reader(bytes: bytes, bigEndian: false)
        if reader.u32(0) != magic {
            reader = Reader(bytes: bytes, bigEndian: true)
            guard reader.u32(0) == magic else {
                problems.append("\(name): magic 0x\(String(Reader(bytes: bytes, bigEndian: false).u32(0), radix: 16)) at byte 0, not iproute2's 0x\(String(magic, radix: 16))")
                return
            }
        }
        var offset = 4
        var index = 0
        while offset < bytes.count {
            let length = Int(reader.u32(offset))
            guard length >= 16, offset + length <= bytes.count else {
                problems.append("\(name): message \(index) at byte \(offset): length \(length) does not fit the \(bytes.count - offset) bytes left")
                return
            }
            let messageType = reader.u16(offset + 4)
            let payload = offset + 16
            if messageType == type, length >= 16 + header {
                var attributes: [UInt16: [UInt8]] = [:]
                var at = payload + (header + 3) & ~3
                while at + 4 <= offset + length {
                    let attributeLength = Int(reader.u16(at))
                    guard attributeLength >= 4, at + attributeLength <= offset + length else { break }
                    let attributeType = reader.u16(at + 2) & 0x3FFF
                    if attributes[attributeType] == nil { attributes[attributeType] = Array(bytes[(at + 4)..<(at + attributeLength)]) }
                    at += (attributeLength + 3) & ~3
                }
                body(reader, payload, attributes)
            }
            offset += (length + 3) & ~3
            index += 1
        }
    }

    /// An address attribute as text: 4 bytes IPv4, 16 bytes IPv6, else hex.
    static func ip(_ bytes: [UInt8], family: UInt8) -> String {
        switch bytes.count {
        case 4: bytes.map(String.init).joined(separator: ".")
        case 16: IPAddress.formatIPv6(bytes)
        default: bytes.map { String($0, radix: 16) }.joined(separator: ":")
        }
    }
}
