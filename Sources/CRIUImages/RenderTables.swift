/// A table of named bits, rendered as crit does: names in table order joined by `" | "`, any bits no
/// entry covers appended as one hex item, and the empty string for 0 (CRIU-FORMAT.md 7.6).
public struct FlagTable: Sendable {
    /// The table's name, as a field's `flags` render option gives it (`mmap.prot`).
    public let name: String
    /// The named bits, in rendering order.
    public let entries: [(name: String, bit: UInt64)]

    /// Names the bits set in `value` as crit does (`PROT_READ | PROT_WRITE`), any bits left over as one
    /// `0x...` item; "" for 0.
    public func describe(_ value: UInt64) -> String {
        var names: [String] = []
        var rest = value
        for entry in entries where entry.bit != 0 && value & entry.bit == entry.bit {
            names.append(entry.name)
            rest &= ~entry.bit
        }
        if rest != 0 { names.append("0x" + String(rest, radix: 16)) }
        return names.joined(separator: " | ")
    }

    /// The table with this name, if the library has one.
    public static func named(_ name: String) -> FlagTable? {
        tables.first { $0.name == name }
    }

    static let tables: [FlagTable] = [
        FlagTable(name: "mmap.prot", entries: [("PROT_READ", 0x1), ("PROT_WRITE", 0x2), ("PROT_EXEC", 0x4)]),
        FlagTable(name: "mmap.flags", entries: [("MAP_SHARED", 0x1), ("MAP_PRIVATE", 0x2), ("MAP_DROPPABLE", 0x8), ("MAP_ANON", 0x20), ("MAP_GROWSDOWN", 0x100)]),
        FlagTable(name: "mmap.status", entries: [
            ("VMA_AREA_NONE", 0), ("VMA_AREA_REGULAR", 0x1), ("VMA_AREA_STACK", 0x2), ("VMA_AREA_VSYSCALL", 0x4),
            ("VMA_AREA_VDSO", 0x8), ("VMA_AREA_HEAP", 0x20), ("VMA_FILE_PRIVATE", 0x40), ("VMA_FILE_SHARED", 0x80),
            ("VMA_ANON_SHARED", 0x100), ("VMA_ANON_PRIVATE", 0x200), ("VMA_AREA_SYSVIPC", 0x400), ("VMA_AREA_SOCKET", 0x800),
            ("VMA_AREA_VVAR", 0x1000), ("VMA_AREA_AIORING", 0x2000), ("VMA_AREA_MEMFD", 0x4000), ("VMA_AREA_SHSTK", 0x8000),
            ("VMA_AREA_UPROBES", 0x20000), ("VMA_UNSUPP", 0x8000_0000),
        ]),
        FlagTable(name: "rfile.flags", entries: [
            ("O_WRONLY", 0o1), ("O_RDWR", 0o2), ("O_CREAT", 0o100), ("O_EXCL", 0o200), ("O_NOCTTY", 0o400),
            ("O_TRUNC", 0o1000), ("O_APPEND", 0o2000), ("O_NONBLOCK", 0o4000), ("O_DSYNC", 0o10000), ("FASYNC", 0o20000),
            ("O_DIRECT", 0o40000), ("O_LARGEFILE", 0o100000), ("O_DIRECTORY", 0o200000), ("O_NOFOLLOW", 0o400000),
            ("O_NOATIME", 0o1000000), ("O_CLOEXEC", 0o2000000),
        ]),
        FlagTable(name: "pmap.flags", entries: [("PE_PARENT", 0x1), ("PE_LAZY", 0x2), ("PE_PRESENT", 0x4)]),
        FlagTable(name: "seals.flags", entries: [("F_SEAL_SEAL", 0x1), ("F_SEAL_SHRINK", 0x2), ("F_SEAL_GROW", 0x4), ("F_SEAL_WRITE", 0x8), ("F_SEAL_FUTURE_WRITE", 0x10)]),
    ]
}

/// crit's number-to-name dictionaries (`dict=gen`, `dict=sk`), picked by field name.
enum NameTable {
    static func name(dict: String, field: String, value: UInt64, critCompatible: Bool) -> String? {
        switch (dict, field) {
        case ("gen", "task_state"):
            // crit labels 3 "Zombie" and 6 "Stopped"; CRIU stores 2 for a zombie and 3 for a stopped task.
            if critCompatible { return [1: "Alive", 3: "Zombie", 6: "Stopped"][value] }
            return [1: "Alive", 2: "Zombie", 3: "Stopped"][value]
        case ("sk", "family"):
            return [1: "UNIX", 2: "INET", 10: "INET6", 16: "NETLINK", 17: "PACKET"][value]
        case ("sk", "type"):
            return [1: "STREAM", 2: "DGRAM", 3: "RAW", 5: "SEQPACKET", 10: "PACKET"][value]
        case ("sk", "state"):
            return [1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECV", 4: "FIN_WAIT1", 5: "FIN_WAIT2", 6: "TIME_WAIT",
                    7: "CLOSE", 8: "CLOSE_WAIT", 9: "LAST_ACK", 10: "LISTEN"][value]
        case ("sk", "proto"):
            return [0: "IP", 6: "TCP", 17: "UDP", 136: "UDPLITE"][value]
        default:
            return nil
        }
    }
}

/// IP address text from CRIU's u32 words (CRIU-FORMAT.md 5.1, 7.6).
public enum IPAddress {
    /// One word gives IPv4; otherwise IPv6 from the first four words (missing words count as 0).
    /// Each word holds four address bytes as they sat in little-endian memory.
    public static func format(words: [UInt32]) -> String {
        func bytes(_ w: UInt32) -> [UInt8] { [UInt8(w & 0xFF), UInt8((w >> 8) & 0xFF), UInt8((w >> 16) & 0xFF), UInt8(w >> 24)] }
        if words.count == 1 {
            return bytes(words[0]).map(String.init).joined(separator: ".")
        }
        var raw: [UInt8] = []
        for i in 0..<4 { raw += bytes(i < words.count ? words[i] : 0) }
        return formatIPv6(raw)
    }

    /// RFC 5952 text as Python's `ipaddress` prints it (IPv4-mapped addresses stay hex, as Python 3.11).
    public static func formatIPv6(_ raw: [UInt8]) -> String {
        var groups: [UInt16] = []
        for i in 0..<8 { groups.append(UInt16(raw[2 * i]) << 8 | UInt16(raw[2 * i + 1])) }
        var bestStart = -1, bestLength = 0
        var i = 0
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
        let text = groups.map { String($0, radix: 16) }
        if bestStart < 0 { return text.joined(separator: ":") }
        let head = text[0..<bestStart].joined(separator: ":")
        let tail = text[(bestStart + bestLength)...].joined(separator: ":")
        return head + "::" + tail
    }
}

/// How crit turns string fields into text.
enum PythonText {
    /// Valid UTF-8 as text; anything else as Python's `repr` of the bytes (`b'...'`), as crit prints it.
    static func stringField(_ bytes: [UInt8]) -> String {
        if let s = String(validating: bytes, as: UTF8.self) { return s }
        return bytesRepr(bytes)
    }

    static func bytesRepr(_ bytes: [UInt8]) -> String {
        let quote: UInt8 = (bytes.contains(UInt8(ascii: "'")) && !bytes.contains(UInt8(ascii: "\""))) ? UInt8(ascii: "\"") : UInt8(ascii: "'")
        var out = "b" + String(UnicodeScalar(quote))
        for b in bytes {
            switch b {
            case UInt8(ascii: "\\"): out += "\\\\"
            case quote: out += "\\" + String(UnicodeScalar(quote))
            case 0x09: out += "\\t"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x20..<0x7F: out.unicodeScalars.append(UnicodeScalar(b))
            default:
                let h = String(b, radix: 16)
                out += "\\x" + (h.count == 1 ? "0" + h : h)
            }
        }
        out += String(UnicodeScalar(quote))
        return out
    }
}

/// Python's `quopri.encodestring` (binascii.b2a_qp, text mode, 76-char lines), crit's `unix_name` conversion.
enum QuotedPrintable {
    static func encode(_ data: [UInt8]) -> String {
        let hex: [UInt8] = Array("0123456789ABCDEF".utf8)
        var crlf = false
        if let lf = data.firstIndex(of: 0x0A), lf > 0, data[lf - 1] == 0x0D { crlf = true }
        var out: [UInt8] = []
        var lineLength = 0
        func newline() {
            if crlf { out.append(0x0D) }
            out.append(0x0A)
        }
        var i = 0
        let n = data.count
        while i < n {
            let c = data[i]
            let isLast = i == n - 1
            var escape = c >= 0x7F || c == UInt8(ascii: "=") || (c < 0x20 && c != 0x09 && c != 0x0A && c != 0x0D)
            if (c == 0x20 || c == 0x09) && isLast { escape = true }
            if c == UInt8(ascii: ".") && lineLength == 0 && (isLast || data[i + 1] == 0x0A || data[i + 1] == 0x0D || data[i + 1] == 0) {
                escape = true
            }
            if escape {
                if lineLength + 3 >= 76 {
                    out.append(UInt8(ascii: "="))
                    newline()
                    lineLength = 0
                }
                out.append(UInt8(ascii: "="))
                out.append(hex[Int(c >> 4)])
                out.append(hex[Int(c & 0xF)])
                lineLength += 3
                i += 1
                continue
            }
            if c == 0x0A || (c == 0x0D && !isLast && data[i + 1] == 0x0A) {
                if let last = out.last, last == 0x20 || last == 0x09, lineLength > 0 {
                    out.removeLast()
                    out.append(UInt8(ascii: "="))
                    out.append(hex[Int(last >> 4)])
                    out.append(hex[Int(last & 0xF)])
                }
                newline()
                lineLength = 0
                i += (c == 0x0D) ? 2 : 1
                continue
            }
            if !isLast && data[i + 1] != 0x0A && lineLength + 1 >= 76 {
                out.append(UInt8(ascii: "="))
                newline()
                lineLength = 0
            }
            out.append(c)
            lineLength += 1
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}
