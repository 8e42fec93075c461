/// A small ordered JSON value for the engine files and the manifest.
public indirect enum JSON: Sendable {
    case object([(String, JSON)])
    case array([JSON])
    case string(String)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case bool(Bool)
    case null

    public func serialized(indent: Int = 0, pretty: Bool = true) -> String {
        var out = ""
        write(into: &out, level: 0, pretty: pretty)
        return out
    }

    func write(into out: inout String, level: Int, pretty: Bool) {
        let nl = pretty ? "\n" : ""
        let pad = { (n: Int) in pretty ? String(repeating: "  ", count: n) : "" }
        switch self {
        case .object(let pairs):
            if pairs.isEmpty { out += "{}"; return }
            out += "{" + nl
            for (k, (key, value)) in pairs.enumerated() {
                out += pad(level + 1) + JSON.quote(key) + (pretty ? ": " : ":")
                value.write(into: &out, level: level + 1, pretty: pretty)
                out += (k + 1 < pairs.count ? "," : "") + nl
            }
            out += pad(level) + "}"
        case .array(let values):
            if values.isEmpty { out += "[]"; return }
            // Arrays of scalars stay on one line.
            let scalars = values.allSatisfy { if case .object = $0 { return false }; if case .array = $0 { return false }; return true }
            if scalars || !pretty {
                out += "["
                for (k, v) in values.enumerated() {
                    v.write(into: &out, level: level + 1, pretty: false)
                    if k + 1 < values.count { out += pretty ? ", " : "," }
                }
                out += "]"
                return
            }
            out += "[" + nl
            for (k, v) in values.enumerated() {
                out += pad(level + 1)
                v.write(into: &out, level: level + 1, pretty: pretty)
                out += (k + 1 < values.count ? "," : "") + nl
            }
            out += pad(level) + "]"
        case .string(let s): out += JSON.quote(s)
        case .int(let v): out += String(v)
        case .uint(let v): out += String(v)
        case .double(let v): out += v.isFinite ? String(v) : "null"
        case .bool(let v): out += v ? "true" : "false"
        case .null: out += "null"
        }
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if u.value < 0x20 {
                    let h = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}

extension JSON {
    static func strings(_ values: [String]) -> JSON { .array(values.map { .string($0) }) }
}
