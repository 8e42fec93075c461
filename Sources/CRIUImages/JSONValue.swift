/// A JSON document as crit writes it: objects keep their key order, numbers are integers kept as text.
public indirect enum JSONValue: Hashable, Sendable {
    case object([(String, JSONValue)])
    case array([JSONValue])
    case string(String)
    /// An integer in decimal, kept as text so the full 64-bit range survives.
    case number(String)
    case bool(Bool)
    case null

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.object(let x), .object(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case (.array(let x), .array(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.number(let x), .number(let y)): return x == y
        case (.bool(let x), .bool(let y)): return x == y
        case (.null, .null): return true
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .object(let pairs):
            hasher.combine(0)
            for (k, v) in pairs { hasher.combine(k); hasher.combine(v) }
        case .array(let items): hasher.combine(1); hasher.combine(items)
        case .string(let s): hasher.combine(2); hasher.combine(s)
        case .number(let n): hasher.combine(3); hasher.combine(n)
        case .bool(let b): hasher.combine(4); hasher.combine(b)
        case .null: hasher.combine(5)
        }
    }

    /// An integer value.
    public static func int<T: BinaryInteger>(_ value: T) -> JSONValue { .number(String(value)) }

    /// The value of a key of an object.
    public subscript(key: String) -> JSONValue? {
        if case .object(let pairs) = self { return pairs.first { $0.0 == key }?.1 }
        return nil
    }

    /// Serialises like Python's `json.dumps(value, indent=4)` when `pretty`, or with `", "` and `": "`
    /// separators on one line otherwise; non-ASCII is escaped (`ensure_ascii`).
    public func serialized(pretty: Bool = true) -> String {
        var out = ""
        write(to: &out, pretty: pretty, level: 0)
        return out
    }

    private func write(to out: inout String, pretty: Bool, level: Int) {
        switch self {
        case .object(let pairs):
            if pairs.isEmpty { out += "{}"; return }
            out += "{"
            for (i, (key, value)) in pairs.enumerated() {
                if i > 0 { out += pretty ? "," : ", " }
                if pretty { out += "\n" + String(repeating: " ", count: 4 * (level + 1)) }
                JSONValue.writeString(key, to: &out)
                out += ": "
                value.write(to: &out, pretty: pretty, level: level + 1)
            }
            if pretty { out += "\n" + String(repeating: " ", count: 4 * level) }
            out += "}"
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "["
            for (i, value) in items.enumerated() {
                if i > 0 { out += pretty ? "," : ", " }
                if pretty { out += "\n" + String(repeating: " ", count: 4 * (level + 1)) }
                value.write(to: &out, pretty: pretty, level: level + 1)
            }
            if pretty { out += "\n" + String(repeating: " ", count: 4 * level) }
            out += "]"
        case .string(let s): JSONValue.writeString(s, to: &out)
        case .number(let n): out += n
        case .bool(let b): out += b ? "true" : "false"
        case .null: out += "null"
        }
    }

    static let hexDigits: [Character] = Array("0123456789abcdef")

    /// Python `json` string escaping with `ensure_ascii`.
    static func writeString(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                let v = scalar.value
                if v < 0x20 || v >= 0x7F {
                    if v > 0xFFFF {
                        let u = v - 0x10000
                        appendU(0xD800 + (u >> 10), to: &out)
                        appendU(0xDC00 + (u & 0x3FF), to: &out)
                    } else {
                        appendU(v, to: &out)
                    }
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    private static func appendU(_ v: UInt32, to out: inout String) {
        out += "\\u"
        for shift in stride(from: 12, through: 0, by: -4) {
            out.append(hexDigits[Int((v >> UInt32(shift)) & 0xF)])
        }
    }
}
