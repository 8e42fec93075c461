import Foundation

/// A JSON value decoded strictly (booleans are not numbers), for schema checks.
indirect enum JSON: Decodable, Equatable {
    case null, bool(Bool), integer(Int64), number(Double), string(String), array([JSON]), object([String: JSON])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int64.self) { self = .integer(i) }
        else if let u = try? c.decode(UInt64.self) { self = .integer(Int64(truncatingIfNeeded: u)) }
        else if let d = try? c.decode(Double.self) { self = .number(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSON].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSON].self)) }
    }

    static func parse(_ text: String) throws -> JSON { try JSONDecoder().decode(JSON.self, from: Data(text.utf8)) }

    subscript(key: String) -> JSON? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .integer: "integer"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

/// A small JSON Schema validator for the keywords our schemas use: type, enum, const, properties,
/// required, additionalProperties, items, minItems, maxItems, anyOf, oneOf, pattern, and `$ref` to `#/$defs/...`.
struct JSONSchema {
    let root: JSON

    init(file: String) throws {
        root = try JSON.parse(String(contentsOfFile: file, encoding: .utf8))
    }

    /// Problems found, as paths with a reason; empty when valid.
    func validate(_ value: JSON) -> [String] {
        var errors: [String] = []
        check(value, root, "$", &errors)
        return errors
    }

    private func check(_ v: JSON, _ s: JSON, _ path: String, _ errors: inout [String]) {
        if case .string(let ref)? = s["$ref"], ref.hasPrefix("#/$defs/"), let target = root["$defs"]?[String(ref.dropFirst(8))] {
            check(v, target, path, &errors)
        }
        if case .array(let one)? = s["oneOf"] {
            let matching = one.filter { sub in
                var e: [String] = []
                check(v, sub, path, &e)
                return e.isEmpty
            }
            if matching.count != 1 { errors.append("\(path): matches \(matching.count) of oneOf, expected 1") }
        }
        if let t = s["type"] {
            var allowed: [String] = []
            if case .string(let one) = t { allowed = [one] }
            if case .array(let many) = t { allowed = many.compactMap { if case .string(let x) = $0 { x } else { nil } } }
            let actual = v.typeName
            if !allowed.contains(actual) && !(actual == "integer" && allowed.contains("number")) {
                errors.append("\(path): \(actual), expected \(allowed.joined(separator: "|"))")
                return
            }
        }
        if case .array(let options)? = s["enum"], !options.contains(v) { errors.append("\(path): \(v) not in enum") }
        if let c = s["const"], c != v { errors.append("\(path): \(v) is not \(c)") }
        if case .array(let any)? = s["anyOf"] {
            let ok = any.contains { sub in
                var e: [String] = []
                check(v, sub, path, &e)
                return e.isEmpty
            }
            if !ok { errors.append("\(path): matches none of anyOf") }
        }
        if case .string(let pattern)? = s["pattern"], case .string(let text) = v,
           let re = try? NSRegularExpression(pattern: pattern),
           re.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil {
            errors.append("\(path): \(text) does not match \(pattern)")
        }
        if case .object(let object) = v {
            if case .array(let required)? = s["required"] {
                for case .string(let key) in required where object[key] == nil { errors.append("\(path): missing \(key)") }
            }
            var properties: [String: JSON] = [:]
            if case .object(let p)? = s["properties"] { properties = p }
            for (key, value) in object {
                if let sub = properties[key] {
                    check(value, sub, path + "." + key, &errors)
                } else if let extra = s["additionalProperties"] {
                    if case .bool(let allowed) = extra {
                        if !allowed { errors.append("\(path): unexpected key \(key)") }
                    } else {
                        check(value, extra, path + "." + key, &errors)
                    }
                }
            }
        }
        if case .array(let array) = v {
            if case .integer(let min)? = s["minItems"], array.count < min { errors.append("\(path): fewer than \(min) items") }
            if case .integer(let max)? = s["maxItems"], array.count > max { errors.append("\(path): more than \(max) items") }
            if let items = s["items"] {
                for (i, item) in array.enumerated() { check(item, items, "\(path)[\(i)]", &errors) }
            }
        }
    }
}
