/// Base64 in the standard alphabet, as crit writes bytes fields (MIME style: a newline after every 76
/// characters and at the end), and a lenient decoder that skips whitespace.
enum Base64 {
    static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Python's `base64.encodebytes`: lines of 76 characters, each ending in `\n`; empty input gives "".
    static func mime<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 4 / 3 + bytes.count / 57 + 4)
        var lineLength = 0
        var iterator = bytes.makeIterator()
        while let a = iterator.next() {
            let b = iterator.next()
            let c = iterator.next()
            let n = (UInt32(a) << 16) | (UInt32(b ?? 0) << 8) | UInt32(c ?? 0)
            out.append(alphabet[Int((n >> 18) & 63)])
            out.append(alphabet[Int((n >> 12) & 63)])
            out.append(b == nil ? UInt8(ascii: "=") : alphabet[Int((n >> 6) & 63)])
            out.append(c == nil ? UInt8(ascii: "=") : alphabet[Int(n & 63)])
            lineLength += 4
            if lineLength == 76 {
                out.append(UInt8(ascii: "\n"))
                lineLength = 0
            }
        }
        if lineLength > 0 { out.append(UInt8(ascii: "\n")) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes base64, ignoring whitespace; nil on any other invalid character, on text after the
    /// `=` padding, and on a dangling character.
    static func decode(_ text: String) -> [UInt8]? {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = UInt8(i) }
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        var padded = false
        for c in text.utf8 {
            if c == UInt8(ascii: "\n") || c == UInt8(ascii: "\r") || c == UInt8(ascii: " ") { continue }
            if c == UInt8(ascii: "=") { padded = true; continue }
            if padded { return nil }
            let v = table[Int(c)]
            if v == 0xFF { return nil }
            accumulator = (accumulator << 6) | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((accumulator >> UInt32(bits)) & 0xFF))
            }
        }
        if bits >= 6 { return nil }
        return out
    }
}
