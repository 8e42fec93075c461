import Checkpoint
import Testing
import TestSupport

/// The raw network images of a dumped namespace (CRIU-FORMAT.md 1.6), built byte by byte.
@Suite struct NetworkConfigurationTests {
    @Test func readsAddressesRoutesRulesAndFirewallText() {
        let (ifaddr, route, rule) = NetlinkDump.sample()
        let c = NetworkConfiguration.parse(ifaddr: ifaddr, route: route, route6: nil, rule: rule,
                                           iptables: Array("*filter\n-A INPUT -j DROP\nCOMMIT\n".utf8), ip6tables: [], nftables: nil, id: 9)
        #expect(c.problems.isEmpty, "\(c.problems)")
        #expect(c.addresses.map(\.address) == ["127.0.0.1", "10.88.0.5", "::1"])
        #expect(c.addresses.map(\.label) == ["lo", "eth0", nil])
        #expect(c.addresses.map(\.prefixLength) == [8, 16, 128] && c.addresses.map(\.scope) == [254, 0, 254])
        #expect(c.addresses.allSatisfy { $0.peer == nil })
        #expect(c.routes.count == 2)
        #expect(c.routes[0].destination == nil && c.routes[0].gateway == "10.88.0.1" && c.routes[0].outputInterface == 2 && c.routes[0].table == 254)
        #expect(c.routes[1].destination == "10.88.0.0" && c.routes[1].destinationLength == 16 && c.routes[1].preferredSource == "10.88.0.5")
        #expect(c.rules.map(\.priority) == [0, 32766] && c.rules.map(\.table) == [255, 254])
        #expect(c.iptables == "*filter\n-A INPUT -j DROP\nCOMMIT\n" && c.ip6tables == "" && c.nftables == nil)
    }

    @Test func emptyDumpsAndDamage() {
        // A route file of just the magic: no routes (CRIU-FORMAT.md 1.6).
        let empty = NetworkConfiguration.parse(ifaddr: nil, route: NetlinkDump(magic: NetlinkDump.routeMagic).bytes, route6: nil, rule: nil,
                                               iptables: nil, ip6tables: nil, nftables: nil, id: 3)
        #expect(empty.routes.isEmpty && empty.problems.isEmpty)
        // A wrong magic and a message longer than the file are named with the image and byte offset
        // (the first message: 16 bytes of nlmsghdr, 8 of ifaddrmsg, three attributes of 8 = 48).
        let (ifaddr, _, _) = NetlinkDump.sample()
        let bad = NetworkConfiguration.parse(ifaddr: Array(ifaddr.prefix(30)), route: [1, 2, 3, 4, 5], route6: nil, rule: nil,
                                             iptables: nil, ip6tables: nil, nftables: nil, id: 3)
        #expect(bad.addresses.isEmpty)
        #expect(bad.problems.contains("ifaddr-3.img: message 0 at byte 4: length 48 does not fit the 26 bytes left"), "\(bad.problems)")
        #expect(bad.problems.contains("route-3.img: magic 0x4030201 at byte 0, not iproute2's 0x45311224"), "\(bad.problems)")
    }
}
