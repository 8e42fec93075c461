package import CRIUImages

/// A JSON reader that says where a document breaks the rules a Go writer's reader applies: the
/// byte offset of every fault, duplicate keys, data after the value, invalid UTF-8, nesting
/// deeper than a bound. Object members keep their order; numbers keep their text.
package enum StrictJSON {
    /// A fault that stops parsing.
    package struct Failure: Error, Hashable, Sendable {
        /// The byte offset of the fault.
        package var offset: Int
        /// What is wrong.
        package var message: String
    }

    /// Something wrong that does not stop parsing (the value is still read, as Go's
    /// `encoding/json` would read it).
    package struct Issue: Hashable, Sendable {
        /// The byte offset.
        package var offset: Int
        /// The path of the value (`containers[1].sha256`).
        package var path: String
        /// What is wrong.
        package var message: String
    }

    /// The deepest nesting read.
    package static let maxDepth = 64

    /// Parses one JSON value; duplicate keys (the last wins, as in Go), invalid UTF-8 (replaced)
    /// and data after the value are issues, syntax errors and nesting beyond ``maxDepth`` failures.
    package static func parse(_ bytes: [UInt8]) throws(Failure) -> (value: JSONValue, issues: [Issue]) {
        var parser = Parser(bytes: bytes)
        parser.skipSpace()
        let value = try parser.value(path: "", depth: 0)
        parser.skipSpace()
        if parser.position < bytes.count {
            parser.issues.append(Issue(offset: parser.position, path: "", message: "data after the JSON value"))
        }
        return (value, parser.issues)
    }

    private struct Parser {
        let bytes: [UInt8]
        var position = 0
        var issues: [Issue] = []

        init(bytes: [UInt8]) { self.bytes = bytes }

        func fail(_ message: String, at offset: Int? = nil) -> Failure {
            Failure(offset: offset ?? position, message: message)
        }

        mutating func skipSpace() {
            bytes.withUnsafeBufferPointer { b in
                while position < b.count {
                    switch b[position] {
                    case 0x20, 0x09, 0x0a, 0x0d: position += 1
                    default: return
                    }
                }
            }
        }

        mutating func value(path: String, depth: Int) throws(Failure) -> JSONValue {
            guard depth < StrictJSON.maxDepth else { throw fail("nested deeper than \(StrictJSON.maxDepth) levels") }
            guard position < bytes.count else { throw fail("unexpected end of the document") }
            switch bytes[position] {
            case UInt8(ascii: "{"):
                position += 1
                var members: [(String, JSONValue)] = []
                var seen: [String: Int] = [:]
                skipSpace()
                if position < bytes.count, bytes[position] == UInt8(ascii: "}") { position += 1; return .object([]) }
                while true {
                    skipSpace()
                    guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw fail("expected a member name") }
                    let keyOffset = position
                    let key = try string(path: path)
                    skipSpace()
                    guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                    position += 1
                    skipSpace()
                    let child = path.isEmpty ? key : path + "." + key
                    let v = try value(path: child, depth: depth + 1)
                    if let earlier = seen[key] {
                        issues.append(Issue(offset: keyOffset, path: child, message: "duplicate key \"\(key)\" (the last one is used)"))
                        members[earlier].1 = v
                    } else {
                        seen[key] = members.count
                        members.append((key, v))
                    }
                    skipSpace()
                    guard position < bytes.count else { throw fail("unexpected end inside an object") }
                    if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
                    if bytes[position] == UInt8(ascii: "}") { position += 1; return .object(members) }
                    throw fail("expected ',' or '}'")
                }
            case UInt8(ascii: "["):
                position += 1
                var items: [JSONValue] = []
                skipSpace()
                if position < bytes.count, bytes[position] == UInt8(ascii: "]") { position += 1; return .array([]) }
                while true {
                    skipSpace()
                    items.append(try value(path: "\(path)[\(items.count)]", depth: depth + 1))
                    skipSpace()
                    guard position < bytes.count else { throw fail("unexpected end inside an array") }
                    if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
                    if bytes[position] == UInt8(ascii: "]") { position += 1; return .array(items) }
                    throw fail("expected ',' or ']'")
                }
            case UInt8(ascii: "\""):
                return .string(try string(path: path))
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            default:
                return .number(try number())
            }
        }

        mutating func literal(_ word: String) throws(Failure) {
            let w = Array(word.utf8)
            guard position + w.count <= bytes.count, Array(bytes[position..<position + w.count]) == w else {
                throw fail("invalid literal")
            }
            position += w.count
        }

        mutating func number() throws(Failure) -> String {
            let start = position
            func digits() -> Int {
                let from = position
                while position < bytes.count, (0x30...0x39).contains(bytes[position]) { position += 1 }
                return position - from
            }
            if position < bytes.count, bytes[position] == UInt8(ascii: "-") { position += 1 }
            guard position < bytes.count, (0x30...0x39).contains(bytes[position]) else { throw fail("invalid value", at: start) }
            if bytes[position] == 0x30 { position += 1 } else { _ = digits() }
            if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
                position += 1
                guard digits() > 0 else { throw fail("invalid number", at: start) }
            }
            if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
                position += 1
                if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
                guard digits() > 0 else { throw fail("invalid number", at: start) }
            }
            return String(decoding: bytes[start..<position], as: UTF8.self)
        }

        mutating func string(path: String) throws(Failure) -> String {
            let start = position
            position += 1
            var out: [UInt8] = []
            while true {
                guard position < bytes.count else { throw fail("unterminated string", at: start) }
                let b = bytes[position]
                if b == UInt8(ascii: "\"") { position += 1; break }
                if b < 0x20 { throw fail("control character in a string") }
                if b != UInt8(ascii: "\\") { out.append(b); position += 1; continue }
                position += 1
                guard position < bytes.count else { throw fail("unterminated string", at: start) }
                let e = bytes[position]
                position += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0c)
                case UInt8(ascii: "n"): out.append(0x0a)
                case UInt8(ascii: "r"): out.append(0x0d)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xd800..<0xdc00).contains(scalar), position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") {
                        let save = position
                        position += 2
                        let low = try hex4()
                        if (0xdc00..<0xe000).contains(low) {
                            scalar = 0x10000 + ((scalar - 0xd800) << 10) + (low - 0xdc00)
                        } else {
                            position = save
                        }
                    }
                    let u = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                    out.append(contentsOf: Array(String(Character(u)).utf8))
                default:
                    throw fail("invalid escape \\\(String(decoding: [e], as: UTF8.self))", at: position - 2)
                }
            }
            if let text = String(validating: out, as: UTF8.self) { return text }
            issues.append(Issue(offset: start, path: path, message: "invalid UTF-8 in a string (replaced by U+FFFD)"))
            return String(decoding: out, as: UTF8.self)
        }

        mutating func hex4() throws(Failure) -> UInt32 {
            guard position + 4 <= bytes.count else { throw fail("truncated \\u escape") }
            var v: UInt32 = 0
            for b in bytes[position..<position + 4] {
                let d: UInt8
                switch b {
                case 0x30...0x39: d = b - 0x30
                case 0x41...0x46: d = b - 0x41 + 10
                case 0x61...0x66: d = b - 0x61 + 10
                default: throw fail("invalid \\u escape")
                }
                v = v << 4 | UInt32(d)
            }
            position += 4
            return v
        }
    }
}

extension JSONValue {
    /// The members of an object; nil for other values.
    package var members: [(String, JSONValue)]? {
        if case .object(let m) = self { return m }
        return nil
    }

    /// The items of an array; nil for other values.
    package var items: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The text of a string; nil for other values.
    package var text: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// An integer value (a number without fraction or exponent that fits); nil otherwise.
    package var integer: Int64? {
        if case .number(let n) = self { return Int64(n) }
        return nil
    }

    /// A boolean value; nil otherwise.
    package var boolean: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The JSON type's name (`object`, `string`, ...), for messages.
    package var typeName: String {
        switch self {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .number: "a number"
        case .bool: "a boolean"
        case .null: "null"
        }
    }
}
