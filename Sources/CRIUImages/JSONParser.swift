extension JSONValue {
    /// Objects nested deeper than this are rejected (``ImageError/Code/invalidJSON``).
    public static let maximumParsingDepth = 512

    /// Parses JSON text (RFC 8259, UTF-8): objects keep their member order (and any repeated key),
    /// numbers keep their text.
    ///
    /// Throws ``ImageError/Code/invalidJSON`` with the byte offset of the fault in `text`.
    public init(parsing text: [UInt8]) throws(ImageError) {
        var parser = JSONParser(text)
        parser.skipSpace()
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.position == text.count else { throw parser.error("unexpected text after the JSON value") }
        self = value
    }

    /// Parses JSON text; see ``init(parsing:)-([UInt8])``.
    public init(parsing text: String) throws(ImageError) {
        try self.init(parsing: Array(text.utf8))
    }
}

struct JSONParser {
    let text: [UInt8]
    var position = 0

    init(_ text: [UInt8]) { self.text = text }

    func error(_ detail: String, at offset: Int? = nil) -> ImageError {
        ImageError(.invalidJSON, offset: offset ?? position, detail: detail)
    }

    mutating func skipSpace() {
        while position < text.count, text[position] == 0x20 || text[position] == 0x0A || text[position] == 0x0D || text[position] == 0x09 {
            position += 1
        }
    }

    mutating func expect(_ byte: UInt8) throws(ImageError) {
        guard position < text.count, text[position] == byte else {
            throw error("expected '\(String(UnicodeScalar(byte)))'")
        }
        position += 1
    }

    mutating func value(depth: Int) throws(ImageError) -> JSONValue {
        guard position < text.count else { throw error("the text ends where a value is expected") }
        switch text[position] {
        case UInt8(ascii: "{"):
            guard depth < JSONValue.maximumParsingDepth else { throw error("nested deeper than \(JSONValue.maximumParsingDepth) levels") }
            position += 1
            var members: [(String, JSONValue)] = []
            skipSpace()
            if position < text.count, text[position] == UInt8(ascii: "}") {
                position += 1
                return .object(members)
            }
            while true {
                skipSpace()
                guard position < text.count, text[position] == UInt8(ascii: "\"") else { throw error("expected a string key") }
                let key = try string()
                skipSpace()
                try expect(UInt8(ascii: ":"))
                skipSpace()
                members.append((key, try value(depth: depth + 1)))
                skipSpace()
                guard position < text.count else { throw error("the text ends inside an object") }
                if text[position] == UInt8(ascii: ",") { position += 1; continue }
                try expect(UInt8(ascii: "}"))
                return .object(members)
            }
        case UInt8(ascii: "["):
            guard depth < JSONValue.maximumParsingDepth else { throw error("nested deeper than \(JSONValue.maximumParsingDepth) levels") }
            position += 1
            var items: [JSONValue] = []
            skipSpace()
            if position < text.count, text[position] == UInt8(ascii: "]") {
                position += 1
                return .array(items)
            }
            while true {
                skipSpace()
                items.append(try value(depth: depth + 1))
                skipSpace()
                guard position < text.count else { throw error("the text ends inside an array") }
                if text[position] == UInt8(ascii: ",") { position += 1; continue }
                try expect(UInt8(ascii: "]"))
                return .array(items)
            }
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default:
            return .number(try number())
        }
    }

    mutating func literal(_ word: String) throws(ImageError) {
        let bytes = Array(word.utf8)
        guard text.count - position >= bytes.count, Array(text[position..<(position + bytes.count)]) == bytes else {
            throw error("expected a value")
        }
        position += bytes.count
    }

    mutating func number() throws(ImageError) -> String {
        let start = position
        func digits(_ p: inout Int) -> Int {
            let s = p
            while p < text.count, text[p] >= 0x30, text[p] <= 0x39 { p += 1 }
            return p - s
        }
        var p = position
        if p < text.count, text[p] == UInt8(ascii: "-") { p += 1 }
        guard p < text.count, text[p] >= 0x30, text[p] <= 0x39 else { throw error("expected a value", at: start) }
        if text[p] == 0x30 { p += 1 } else { _ = digits(&p) }
        if p < text.count, text[p] == UInt8(ascii: ".") {
            p += 1
            guard digits(&p) > 0 else { throw error("a digit must follow the decimal point", at: p) }
        }
        if p < text.count, text[p] == UInt8(ascii: "e") || text[p] == UInt8(ascii: "E") {
            p += 1
            if p < text.count, text[p] == UInt8(ascii: "+") || text[p] == UInt8(ascii: "-") { p += 1 }
            guard digits(&p) > 0 else { throw error("a digit must follow the exponent", at: p) }
        }
        position = p
        return String(decoding: text[start..<p], as: UTF8.self)
    }

    /// A string, the opening quote at `position`.
    mutating func string() throws(ImageError) -> String {
        let start = position
        position += 1
        var out: [UInt8] = []
        var plainStart = position
        while true {
            guard position < text.count else { throw error("unterminated string", at: start) }
            let c = text[position]
            if c == UInt8(ascii: "\"") {
                out.append(contentsOf: text[plainStart..<position])
                position += 1
                break
            }
            if c < 0x20 { throw error("control character 0x\(String(c, radix: 16)) in a string") }
            if c != UInt8(ascii: "\\") {
                position += 1
                continue
            }
            out.append(contentsOf: text[plainStart..<position])
            position += 1
            guard position < text.count else { throw error("unterminated string", at: start) }
            let e = text[position]
            position += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    guard text.count - position >= 2, text[position] == UInt8(ascii: "\\"), text[position + 1] == UInt8(ascii: "u") else {
                        throw error("a high surrogate without its low half", at: position - 6)
                    }
                    position += 2
                    let low = try hex4()
                    guard low >= 0xDC00 && low < 0xE000 else { throw error("a high surrogate without its low half", at: position - 12) }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    throw error("a lone low surrogate", at: position - 6)
                }
                out.append(contentsOf: String(Character(UnicodeScalar(scalar)!)).utf8)
            default:
                throw error("invalid escape '\\\(String(UnicodeScalar(e)))'", at: position - 2)
            }
            plainStart = position
        }
        guard let s = String(validating: out, as: UTF8.self) else { throw error("a string that is not UTF-8", at: start) }
        return s
    }

    mutating func hex4() throws(ImageError) -> UInt32 {
        guard text.count - position >= 4 else { throw error("\\u needs four hex digits") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = text[position]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw error("\\u needs four hex digits")
            }
            v = v << 4 | d
            position += 1
        }
        return v
    }
}
