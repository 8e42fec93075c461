/// An IPv4 or IPv6 address decoded from CRIU's u32 words (CRIU-FORMAT.md 5.1).
///
/// CRIU copies the address bytes from network-order memory into `uint32` words, so each word
/// must be serialised in the dumping host's byte order (little-endian on x86_64, aarch64,
/// ppc64le, riscv64; big-endian on s390x) to get the bytes back: 127.0.0.1 is stored as
/// 0x0100007F on x86_64. One word is IPv4, four are IPv6.
public struct InetAddress: Hashable, Sendable, CustomStringConvertible {
    /// The address bytes in network order: 4 (IPv4) or 16 (IPv6).
    public var bytes: [UInt8]

    /// An address from its network-order bytes; nil unless there are 4 or 16.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// An address from CRIU's words; nil unless there are 1 or 4 words.
    public init?(words: [UInt32], byteOrder: ByteOrder = .littleEndian) {
        guard words.count == 1 || words.count == 4 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(words.count * 4)
        for word in words {
            let ordered = byteOrder == .littleEndian ? word.littleEndian : word.bigEndian
            withUnsafeBytes(of: ordered) { bytes.append(contentsOf: $0) }
        }
        self.bytes = bytes
    }

    /// True for a 4-byte address.
    public var isIPv4: Bool { bytes.count == 4 }

    /// Dotted quad for IPv4; RFC 5952 text for IPv6 (lower-case, longest zero run as `::`,
    /// IPv4-mapped addresses as `::ffff:a.b.c.d`).
    public var description: String {
        if isIPv4 {
            return bytes.map(String.init).joined(separator: ".")
        }
        var groups: [UInt16] = []
        for i in stride(from: 0, to: 16, by: 2) {
            groups.append(UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1]))
        }
        if groups[0..<5].allSatisfy({ $0 == 0 }) && groups[5] == 0xffff {
            return "::ffff:" + bytes[12..<16].map(String.init).joined(separator: ".")
        }
        // Longest run of at least two zero groups (first one wins a tie).
        var bestStart = -1, bestLength = 0, i = 0
        while i < 8 {
            if groups[i] == 0 {
                var j = i
                while j < 8 && groups[j] == 0 { j += 1 }
                if j - i > bestLength && j - i >= 2 { bestStart = i; bestLength = j - i }
                i = j
            } else {
                i += 1
            }
        }
        func hex(_ range: Range<Int>) -> String {
            groups[range].map { String($0, radix: 16) }.joined(separator: ":")
        }
        if bestStart < 0 { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }
}
