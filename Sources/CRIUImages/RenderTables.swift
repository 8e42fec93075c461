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

    /// The value a ``describe(_:)`` text stands for: names of the table and `0x...` items joined by
    /// `" | "`, in any order; "" is 0. Nil when an item is neither.
    public func value(of text: String) -> UInt64? {
        if text.isEmpty { return 0 }
        var value: UInt64 = 0
        for item in text.split(separator: "|", omittingEmptySubsequences: false) {
            let token = item.trimmingSpaces
            if let entry = entries.first(where: { $0.name == token }) {
                value |= entry.bit
            } else if let bits = HexText.unsigned(token) {
                value |= bits
            } else {
                return nil
            }
        }
        return value
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
        table(dict: dict, field: field, critCompatible: critCompatible)?[value]
    }

    /// The value a name stands for (the inverse of ``name(dict:field:value:critCompatible:)``).
    static func value(dict: String, field: String, name: String, critCompatible: Bool) -> UInt64? {
        table(dict: dict, field: field, critCompatible: critCompatible)?.first { $0.value == name }?.key
    }

    static func table(dict: String, field: String, critCompatible: Bool) -> [UInt64: String]? {
        switch (dict, field) {
        case ("gen", "task_state"):
            // crit labels 3 "Zombie" and 6 "Stopped"; CRIU stores 2 for a zombie and 3 for a stopped task.
            if critCompatible { return [1: "Alive", 3: "Zombie", 6: "Stopped"] }
            return [1: "Alive", 2: "Zombie", 3: "Stopped"]
        case ("sk", "family"):
            return [1: "UNIX", 2: "INET", 10: "INET6", 16: "NETLINK", 17: "PACKET"]
        case ("sk", "type"):
            return [1: "STREAM", 2: "DGRAM", 3: "RAW", 5: "SEQPACKET", 10: "PACKET"]
        case ("sk", "state"):
            return [1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECV", 4: "FIN_WAIT1", 5: "FIN_WAIT2", 6: "TIME_WAIT",
                    7: "CLOSE", 8: "CLOSE_WAIT", 9: "LAST_ACK", 10: "LISTEN"]
        case ("sk", "proto"):
            return [0: "IP", 6: "TCP", 17: "UDP", 136: "UDPLITE"]
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

    /// The words ``format(words:)`` makes `text` from: one for dotted IPv4, four for IPv6 (any valid
    /// form: `::` compression, a dotted IPv4 tail as Python 3.13 prints mapped addresses). Nil if invalid.
    public static func words(_ text: String) -> [UInt32]? {
        func word(_ b: ArraySlice<UInt8>) -> UInt32 {
            let i = b.startIndex
            return UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
        }
        if !text.contains(":") {
            guard let raw = ipv4(Substring(text)) else { return nil }
            return [word(raw[...])]
        }
        guard let raw = ipv6(text) else { return nil }
        return (0..<4).map { word(raw[(4 * $0)..<(4 * $0 + 4)]) }
    }

    static func ipv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var raw: [UInt8] = []
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy({ $0.isASCII && $0.isNumber }), let v = UInt8(p), p.count == 1 || p.first != "0" else { return nil }
            raw.append(v)
        }
        return raw
    }

    static func ipv6(_ text: String) -> [UInt8]? {
        var head: [UInt16] = [], tail: [UInt16] = []
        let bytes = Array(text.utf8)
        var halves: [String] = []
        var start = 0, i = 0
        while i + 1 < bytes.count {
            if bytes[i] == UInt8(ascii: ":") && bytes[i + 1] == UInt8(ascii: ":") {
                halves.append(String(decoding: bytes[start..<i], as: UTF8.self))
                i += 2
                start = i
            } else {
                i += 1
            }
        }
        halves.append(String(decoding: bytes[start...], as: UTF8.self))
        guard halves.count <= 2 else { return nil }
        let compressed = halves.count == 2
        func groups(_ part: String, _ out: inout [UInt16], allowIPv4: Bool) -> Bool {
            if part.isEmpty { return true }
            let items = part.split(separator: ":", omittingEmptySubsequences: false)
            for (i, item) in items.enumerated() {
                if allowIPv4 && i == items.count - 1 && item.contains(".") {
                    guard let v4 = ipv4(item) else { return false }
                    out.append(UInt16(v4[0]) << 8 | UInt16(v4[1]))
                    out.append(UInt16(v4[2]) << 8 | UInt16(v4[3]))
                    continue
                }
                guard !item.isEmpty, item.count <= 4, let v = UInt16(item, radix: 16) else { return false }
                out.append(v)
            }
            return true
        }
        guard groups(halves[0], &head, allowIPv4: !compressed) else { return nil }
        if compressed { guard groups(halves[1], &tail, allowIPv4: true) else { return nil } }
        let all: [UInt16]
        if compressed {
            guard head.count + tail.count < 8 else { return nil }
            all = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            guard head.count == 8 else { return nil }
            all = head
        }
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
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

    /// The bytes of a string field whose text is `text`: the bytes a Python bytes literal stands for
    /// when the text is exactly what ``stringField(_:)`` prints for bytes that are not UTF-8, otherwise
    /// the text's UTF-8. (A literal UTF-8 string that reads as such a repr is indistinguishable; crit's
    /// format has the same ambiguity.)
    static func stringBytes(_ text: String) -> [UInt8] {
        if text.hasPrefix("b"), let bytes = parseBytesRepr(text), String(validating: bytes, as: UTF8.self) == nil, bytesRepr(bytes) == text {
            return bytes
        }
        return Array(text.utf8)
    }

    /// Parses `b'...'` / `b"..."` with the escapes ``bytesRepr(_:)`` writes.
    static func parseBytesRepr(_ text: String) -> [UInt8]? {
        let s = Array(text.utf8)
        guard s.count >= 3, s[0] == UInt8(ascii: "b"), let quote = s.last, quote == s[1],
              quote == UInt8(ascii: "'") || quote == UInt8(ascii: "\"") else { return nil }
        var out: [UInt8] = []
        var i = 2
        let end = s.count - 1
        while i < end {
            let c = s[i]
            if c != UInt8(ascii: "\\") {
                out.append(c)
                i += 1
                continue
            }
            guard i + 1 < end else { return nil }
            switch s[i + 1] {
            case UInt8(ascii: "\\"), UInt8(ascii: "'"), UInt8(ascii: "\""): out.append(s[i + 1]); i += 2
            case UInt8(ascii: "t"): out.append(0x09); i += 2
            case UInt8(ascii: "n"): out.append(0x0A); i += 2
            case UInt8(ascii: "r"): out.append(0x0D); i += 2
            case UInt8(ascii: "x"):
                guard i + 3 < end, let v = UInt8(String(decoding: s[(i + 2)...(i + 3)], as: UTF8.self), radix: 16) else { return nil }
                out.append(v)
                i += 4
            default: return nil
            }
        }
        return out
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
    /// The inverse of ``encode(_:)``: `=XX` escapes, soft breaks (`=` before a newline) removed, the rest
    /// as it is. Nil for an `=` that starts neither.
    ///
    /// The encoder writes an input LF and an input CR LF as the same newline, so each newline is read
    /// back as the one that gives the same text when encoded again: the first as the mode says (CR LF
    /// when the text's first newline is CR LF), one after a literal CR as CR LF (a CR right before an
    /// LF would have joined it), one after a line that holds only the character a soft break was put
    /// before as CR LF (the encoder breaks a full line before a character only when no LF follows it),
    /// and the others as LF.
    static func decode(_ text: String) -> [UInt8]? {
        let s = Array(text.utf8)
        let crlf = s.firstIndex(of: 0x0A).map { $0 > 0 && s[$0 - 1] == 0x0D } ?? false
        func newline(at i: Int) -> Int {
            if i < s.count && s[i] == 0x0A { return 1 }
            if i + 1 < s.count && s[i] == 0x0D && s[i + 1] == 0x0A && (crlf || (i > 0 && s[i - 1] == UInt8(ascii: "="))) { return 2 }
            return 0
        }
        var out: [UInt8] = []
        out.reserveCapacity(s.count)
        var i = 0
        var firstBreak = true
        var afterSoftBreak = false
        var tokens = 0
        var lastCopied = false  // the last token was copied (or is whitespace the encoder escaped at the break)
        var lastCR = false
        while i < s.count {
            let n = newline(at: i)
            if n > 0 {
                let pair = firstBreak ? crlf : (lastCR || (afterSoftBreak && tokens == 1 && lastCopied))
                out += pair ? [0x0D, 0x0A] : [0x0A]
                i += n
                (firstBreak, afterSoftBreak, tokens, lastCR) = (false, false, 0, false)
                continue
            }
            let c = s[i]
            guard c == UInt8(ascii: "=") else {
                out.append(c)
                i += 1
                tokens += 1
                (lastCopied, lastCR) = (true, c == 0x0D)
                continue
            }
            let soft = newline(at: i + 1)
            if soft > 0 {
                i += 1 + soft
                (afterSoftBreak, tokens) = (true, 0)
                continue
            }
            guard i + 2 < s.count, let v = UInt8(String(decoding: s[(i + 1)...(i + 2)], as: UTF8.self), radix: 16) else { return nil }
            out.append(v)
            i += 3
            tokens += 1
            (lastCopied, lastCR) = (v == 0x20 || v == 0x09, false)
        }
        return out
    }

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
