/// The committed mutation corpus, `Fixtures/oracle/mutations.bin` (docs/ORACLE.md).
///
/// All integers are little-endian:
///
/// | bytes | field |
/// |---|---|
/// | 8 | magic `CKORACLE` |
/// | 2 | format version, 1 |
/// | 8 | the SplitMix64 seed the cases were generated with |
/// | 4 | number of records |
/// | ... | the records |
/// | 8 | FNV-1a 64 of the message names and payloads (``digest(_:)``), to check the decoding |
///
/// Each record: 1 byte name length, the message name (ASCII), 1 byte strategy length, the
/// strategy (ASCII), 4 bytes payload length, the payload (the mutated protobuf message).
enum OracleCorpusFile {
    static let magic: [UInt8] = Array("CKORACLE".utf8)
    static let version: UInt16 = 1

    struct Contents: Hashable {
        var seed: UInt64
        var cases: [OracleCase]
    }

    struct FormatError: Error, CustomStringConvertible {
        var offset: Int
        var problem: String
        var description: String { "mutation corpus, byte \(offset): \(problem)" }
    }

    /// FNV-1a 64 over each case's message name then payload bytes, in order. This is the digest
    /// docs/ORACLE.md quotes; it changes whenever the corpus does.
    static func digest(_ cases: [OracleCase]) -> UInt64 {
        var digest: UInt64 = 0xCBF2_9CE4_8422_2325
        for c in cases {
            for b in c.message.utf8 { digest = (digest ^ UInt64(b)) &* 0x100_0000_01B3 }
            for b in c.bytes { digest = (digest ^ UInt64(b)) &* 0x100_0000_01B3 }
        }
        return digest
    }

    static func encode(_ contents: Contents) -> [UInt8] {
        var out = magic
        func append<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.littleEndian) { out += $0 }
        }
        append(version)
        append(contents.seed)
        append(UInt32(contents.cases.count))
        for c in contents.cases {
            let name = Array(c.message.utf8), strategy = Array(c.strategy.utf8)
            precondition(name.count <= 255 && strategy.count <= 255 && c.bytes.count <= Int(UInt32.max))
            out.append(UInt8(name.count))
            out += name
            out.append(UInt8(strategy.count))
            out += strategy
            append(UInt32(c.bytes.count))
            out += c.bytes
        }
        append(digest(contents.cases))
        return out
    }

    static func decode(_ bytes: [UInt8]) throws(FormatError) -> Contents {
        var at = 0
        func take(_ n: Int, _ what: String) throws(FormatError) -> ArraySlice<UInt8> {
            guard n <= bytes.count - at else {
                throw FormatError(offset: at, problem: "\(what): needs \(n) bytes, \(bytes.count - at) left")
            }
            defer { at += n }
            return bytes[at..<at + n]
        }
        func integer<T: FixedWidthInteger>(_: T.Type, _ what: String) throws(FormatError) -> T {
            let slice = try take(MemoryLayout<T>.size, what)
            return slice.reversed().reduce(T(0)) { $0 << 8 | T($1) }
        }
        func ascii(_ what: String) throws(FormatError) -> String {
            let count = Int(try take(1, what + " length").first!)
            let text = try take(count, what)
            guard text.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else {
                throw FormatError(offset: at - count, problem: "\(what) is not printable ASCII")
            }
            return String(decoding: text, as: UTF8.self)
        }
        guard Array(try take(magic.count, "magic")) == magic else {
            throw FormatError(offset: 0, problem: "not a mutation corpus (bad magic)")
        }
        let fileVersion = try integer(UInt16.self, "version")
        guard fileVersion == version else {
            throw FormatError(offset: magic.count, problem: "version \(fileVersion), expected \(version)")
        }
        let seed = try integer(UInt64.self, "seed")
        let count = try integer(UInt32.self, "record count")
        var cases: [OracleCase] = []
        cases.reserveCapacity(Int(min(count, 1 << 20)))
        for _ in 0..<count {
            let message = try ascii("message name")
            let strategy = try ascii("strategy")
            let length = Int(try integer(UInt32.self, "payload length"))
            cases.append(OracleCase(message: message, bytes: Array(try take(length, "payload")), strategy: strategy))
        }
        let stored = try integer(UInt64.self, "digest")
        guard at == bytes.count else {
            throw FormatError(offset: at, problem: "\(bytes.count - at) bytes after the digest")
        }
        let computed = digest(cases)
        guard stored == computed else {
            throw FormatError(offset: at - 8, problem: "digest \(String(stored, radix: 16)) does not match the records (\(String(computed, radix: 16)))")
        }
        return Contents(seed: seed, cases: cases)
    }
}
