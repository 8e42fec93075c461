// Builds CRIU's raw network images for tests (CRIU-FORMAT.md 1.6): what `ip addr save`,
// `ip route save` and `ip rule save` write, byte by byte, little-endian as on x86.

/// An iproute2 save file: the 4-byte magic, then rtnetlink messages, each an `nlmsghdr` and a
/// family header followed by `rtattr` attributes, all 4-byte aligned.
public struct NetlinkDump {
    public static let addressMagic: UInt32 = 0x4736_1222
    public static let routeMagic: UInt32 = 0x4531_1224
    public static let ruleMagic: UInt32 = 0x7170_6986

    public private(set) var bytes: [UInt8]

    public init(magic: UInt32) {
        bytes = Self.le(magic)
    }

    static func le(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)] }
    static func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
    static func pad(_ b: inout [UInt8]) { while b.count % 4 != 0 { b.append(0) } }

    /// Appends one message of `type` (20 RTM_NEWADDR, 24 RTM_NEWROUTE, 32 RTM_NEWRULE).
    public mutating func message(type: UInt16, header: [UInt8], attributes: [(UInt16, [UInt8])]) {
        var body = header
        Self.pad(&body)
        for (kind, value) in attributes {
            body += Self.le16(UInt16(4 + value.count)) + Self.le16(kind) + value
            Self.pad(&body)
        }
        bytes += Self.le(UInt32(16 + body.count)) + Self.le16(type) + Self.le16(2) + Self.le(1) + Self.le(0) + body
    }

    /// `struct ifaddrmsg` + IFA_ADDRESS, IFA_LOCAL, IFA_LABEL.
    public mutating func address(index: UInt32, family: UInt8, prefix: UInt8, scope: UInt8, address: [UInt8], label: String?) {
        var attributes: [(UInt16, [UInt8])] = [(1, address), (2, address)]
        if let label { attributes.append((3, Array(label.utf8) + [0])) }
        message(type: 20, header: [family, prefix, 0, scope] + Self.le(index), attributes: attributes)
    }

    /// `struct rtmsg` + RTA_DST, RTA_GATEWAY, RTA_OIF, RTA_PREFSRC, RTA_TABLE.
    public mutating func route(family: UInt8, destination: [UInt8]?, length: UInt8, gateway: [UInt8]?, oif: UInt32,
                               source: [UInt8]? = nil, table: UInt32 = 254, protocolNumber: UInt8, scope: UInt8, type: UInt8 = 1) {
        var attributes: [(UInt16, [UInt8])] = [(15, Self.le(table))]
        if let destination { attributes.append((1, destination)) }
        if let gateway { attributes.append((5, gateway)) }
        attributes.append((4, Self.le(oif)))
        if let source { attributes.append((7, source)) }
        message(type: 24, header: [family, length, 0, 0, UInt8(min(table, 255)), protocolNumber, scope, type] + Self.le(0), attributes: attributes)
    }

    /// `struct fib_rule_hdr` + FRA_PRIORITY, FRA_TABLE (action 1: to table).
    public mutating func rule(family: UInt8, priority: UInt32, table: UInt32) {
        message(type: 32, header: [family, 0, 0, 0, UInt8(min(table, 255)), 0, 0, 1] + Self.le(0),
                attributes: [(6, Self.le(priority)), (15, Self.le(table))])
    }
}

extension NetlinkDump {
    /// A namespace's raw images as the tests use them: `lo` 127.0.0.1/8 and ::1/128 (host scope),
    /// `eth0` 10.88.0.5/16; a default route via 10.88.0.1 and the eth0 subnet route; the local and
    /// main rules.
    public static func sample() -> (ifaddr: [UInt8], route: [UInt8], rule: [UInt8]) {
        var addresses = NetlinkDump(magic: addressMagic)
        addresses.address(index: 1, family: 2, prefix: 8, scope: 254, address: [127, 0, 0, 1], label: "lo")
        addresses.address(index: 2, family: 2, prefix: 16, scope: 0, address: [10, 88, 0, 5], label: "eth0")
        addresses.address(index: 1, family: 10, prefix: 128, scope: 254, address: [UInt8](repeating: 0, count: 15) + [1], label: nil)
        var routes = NetlinkDump(magic: routeMagic)
        routes.route(family: 2, destination: nil, length: 0, gateway: [10, 88, 0, 1], oif: 2, protocolNumber: 4, scope: 0)
        routes.route(family: 2, destination: [10, 88, 0, 0], length: 16, gateway: nil, oif: 2, source: [10, 88, 0, 5], protocolNumber: 2, scope: 253)
        var rules = NetlinkDump(magic: ruleMagic)
        rules.rule(family: 2, priority: 0, table: 255)
        rules.rule(family: 2, priority: 32766, table: 254)
        return (addresses.bytes, routes.bytes, rules.bytes)
    }
}
