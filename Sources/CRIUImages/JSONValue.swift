/// A JSON document as crit writes it: objects keep their key order, numbers are integers kept as text.
public indirect enum JSONValue: Hashable, Sendable {
    /// An object, its members in the order they are written.
    case object([(String, JSONValue)])
    /// An array.
    case array([JSONValue])
    /// A string.
    case string(String)
    /// An integer in decimal, kept as text so the full 64-bit range survives.
    case number(String)
    /// `true` or `false`.
    case bool(Bool)
    /// `null`.
    case null

    /// Equal when both are the same case with equal contents; object members must also be in the same order.
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

    /// Hashes the case and the contents, object member order included.
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
        String(decoding: serializedBytes(pretty: pretty), as: UTF8.self)
    }

    /// ``serialized(pretty:)`` as UTF-8 bytes (ASCII only, as non-ASCII is escaped).
    ///
    /// - Parameter level: the nesting level the value is written at (pretty form: the indentation of
    ///   its inner lines), for writing parts of one document separately.
    public func serializedBytes(pretty: Bool = true, level: Int = 0) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(4096)
        write(to: &out, pretty: pretty, level: level)
        return out
    }

    /// An object serialised from members already serialised at level 1 (``serializedBytes(pretty:level:)``),
    /// identical to serialising the object whole.
    public static func objectBytes(_ members: [(key: String, value: [UInt8])], pretty: Bool = true) -> [UInt8] {
        if members.isEmpty { return [0x7B, 0x7D] }
        var out: [UInt8] = [0x7B]
        for (i, member) in members.enumerated() {
            if i > 0 { separate(&out, pretty: pretty) }
            if pretty { indent(&out, 1) }
            writeString(member.key, to: &out)
            out.append(contentsOf: [0x3A, 0x20])
            out.append(contentsOf: member.value)
        }
        if pretty { indent(&out, 0) }
        out.append(0x7D)
        return out
    }

    /// Writes ``serializedBytes(pretty:level:)`` to `sink` in pieces of about `chunk` bytes, so
    /// that a large document is never held whole as text beside its value.
    public func write(pretty: Bool = true, chunk: Int = 1 << 16, to sink: (UnsafeRawBufferPointer) -> Void) {
        withoutActuallyEscaping(sink) { sink in
            var writer = JSONStreamWriter(pretty: pretty, chunk: chunk, sink: sink)
            writer.value(self)
            writer.finish()
        }
    }

    /// Serialises into `out`; `step` is called between members and items (where the bytes written
    /// so far may be handed on).
    fileprivate func write(to out: inout [UInt8], pretty: Bool, level: Int, step: ((inout [UInt8]) -> Void)? = nil) {
        switch self {
        case .object(let pairs):
            if pairs.isEmpty { out.append(contentsOf: [0x7B, 0x7D]); return }
            out.append(0x7B)
            for (i, (key, value)) in pairs.enumerated() {
                if i > 0 { Self.separate(&out, pretty: pretty) }
                if pretty { Self.indent(&out, level + 1) }
                JSONValue.writeString(key, to: &out)
                out.append(contentsOf: [0x3A, 0x20])
                value.write(to: &out, pretty: pretty, level: level + 1, step: step)
                step?(&out)
            }
            if pretty { Self.indent(&out, level) }
            out.append(0x7D)
        case .array(let items):
            if items.isEmpty { out.append(contentsOf: [0x5B, 0x5D]); return }
            out.append(0x5B)
            for (i, value) in items.enumerated() {
                if i > 0 { Self.separate(&out, pretty: pretty) }
                if pretty { Self.indent(&out, level + 1) }
                value.write(to: &out, pretty: pretty, level: level + 1, step: step)
                step?(&out)
            }
            if pretty { Self.indent(&out, level) }
            out.append(0x5D)
        case .string(let s): JSONValue.writeString(s, to: &out)
        case .number(let n): out.append(contentsOf: n.utf8)
        case .bool(let b): out.append(contentsOf: b ? Array("true".utf8) : Array("false".utf8))
        case .null: out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
        }
    }

    /// `,` (pretty) or `, ` between items.
    fileprivate static func separate(_ out: inout [UInt8], pretty: Bool) {
        out.append(0x2C)
        if !pretty { out.append(0x20) }
    }

    /// A newline and four spaces a level.
    fileprivate static func indent(_ out: inout [UInt8], _ level: Int) {
        out.append(0x0A)
        out.append(contentsOf: repeatElement(UInt8(0x20), count: 4 * level))
    }

    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Python `json` string escaping with `ensure_ascii`.
    static func writeString(_ s: String, to out: inout [UInt8]) {
        out.append(0x22)
        var plain = true
        for byte in s.utf8 where byte < 0x20 || byte >= 0x7F || byte == 0x22 || byte == 0x5C {
            plain = false
            break
        }
        if plain {
            out.append(contentsOf: s.utf8)
            out.append(0x22)
            return
        }
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out.append(contentsOf: [0x5C, 0x22])
            case "\\": out.append(contentsOf: [0x5C, 0x5C])
            case "\n": out.append(contentsOf: [0x5C, 0x6E])
            case "\r": out.append(contentsOf: [0x5C, 0x72])
            case "\t": out.append(contentsOf: [0x5C, 0x74])
            case "\u{08}": out.append(contentsOf: [0x5C, 0x62])
            case "\u{0C}": out.append(contentsOf: [0x5C, 0x66])
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
                    out.append(UInt8(v))
                }
            }
        }
        out.append(0x22)
    }

    private static func appendU(_ v: UInt32, to out: inout [UInt8]) {
        out.append(contentsOf: [0x5C, 0x75])
        for shift in stride(from: 12, through: 0, by: -4) {
            out.append(hexDigits[Int((v >> UInt32(shift)) & 0xF)])
        }
    }
}

/// Writes one JSON document while its parts are still being made, byte for byte as
/// ``JSONValue/serialized(pretty:)`` writes the whole: members and items are handed over one at a
/// time and dropped once written, so a document of thousands of processes is never held whole,
/// as a value or as text.
///
/// ```swift
/// var w = JSONStreamWriter { bytes in write(1, bytes.baseAddress, bytes.count) }
/// w.beginObject()
/// w.value(.string("v1"), key: "schema")
/// w.beginArray(key: "processes")
/// for p in processes { w.value(describe(p)) }
/// w.end()
/// w.end()
/// w.finish()
/// ```
public struct JSONStreamWriter {
    private let pretty: Bool
    private let chunk: Int
    private let sink: (UnsafeRawBufferPointer) -> Void
    private var out: [UInt8] = []
    /// Per open object or array, from the outermost: the members or items written so far, and the closing byte.
    private var open: [(count: Int, close: UInt8)] = []

    /// A writer handing its bytes to `sink` in pieces of about `chunk` bytes.
    public init(pretty: Bool = true, chunk: Int = 1 << 16, sink: @escaping (UnsafeRawBufferPointer) -> Void) {
        self.pretty = pretty
        self.chunk = chunk
        self.sink = sink
        out.reserveCapacity(chunk + 4096)
    }

    /// What comes before a member (`key`, inside an object) or an item (inside an array).
    private mutating func place(_ key: String?) {
        if var top = open.last {
            if top.count > 0 { JSONValue.separate(&out, pretty: pretty) }
            if pretty { JSONValue.indent(&out, open.count) }
            top.count += 1
            open[open.count - 1] = top
        }
        if let key {
            JSONValue.writeString(key, to: &out)
            out.append(contentsOf: [0x3A, 0x20])
        }
    }

    /// Opens an object: the document, an item of the array being written, or member `key` of the object being written.
    public mutating func beginObject(key: String? = nil) {
        place(key)
        out.append(0x7B)
        open.append((0, 0x7D))
    }

    /// Opens an array, as ``beginObject(key:)`` opens an object.
    public mutating func beginArray(key: String? = nil) {
        place(key)
        out.append(0x5B)
        open.append((0, 0x5D))
    }

    /// Writes a whole value: the document, an item, or member `key`.
    public mutating func value(_ value: JSONValue, key: String? = nil) {
        place(key)
        // Handed on between the value's own members and items too: a large value is not held whole.
        let (chunk, sink) = (self.chunk, self.sink)
        value.write(to: &out, pretty: pretty, level: open.count) { buffer in
            guard buffer.count >= chunk else { return }
            buffer.withUnsafeBytes { sink($0) }
            buffer.removeAll(keepingCapacity: true)
        }
        flushIfFull()
    }

    /// Closes the innermost open object or array.
    public mutating func end() {
        guard let top = open.popLast() else { return }
        if top.count > 0, pretty { JSONValue.indent(&out, open.count) }
        out.append(top.close)
        flushIfFull()
    }

    /// Closes what is still open and hands over the rest.
    public mutating func finish() {
        while !open.isEmpty { end() }
        flush()
    }

    private mutating func flushIfFull() { if out.count >= chunk { flush() } }

    private mutating func flush() {
        guard !out.isEmpty else { return }
        out.withUnsafeBytes { sink($0) }
        out.removeAll(keepingCapacity: true)
    }
}
