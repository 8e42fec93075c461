import CRIUImages

/// Runs our generic decoder and libprotobuf-c over the same bytes and judges the outcome.
///
/// Disagreements are only "explained" by the deliberate differences listed in docs/ORACLE.md,
/// and each explanation is checked against the bytes (not assumed):
///
/// 1. `missing-required`: protobuf-c rejects a message (or any one occurrence of a sub-message)
///    that lacks a `required` field without a default; our generic decoder accepts it and reports
///    the gap through `DecodedMessage.missingRequiredFields()`.
/// 2. `long-key`, `long-length`: protobuf-c reads a field key and a length prefix in at most
///    5 bytes; we accept the non-canonical (zero-padded) 6..10-byte forms as protobuf does.
/// 3. `packed-bool`: protobuf-c rejects packed bools with a byte above 1 (no repeated bool in
///    our schema, so unreachable today; the rule is kept for schema changes).
/// 4. `varint-overflow`: protobuf-c accepts a 10-byte varint whose last byte is above 1 (bits
///    past 64 are dropped); we reject it as `malformedVarint`.
/// 5. `field-number`: protobuf-c keeps numbers above 2^29-1, and field number 0 written in a
///    multi-byte key (`80 00`), as unknown fields; we reject them as `invalidFieldNumber`. (A
///    one-byte key of field 0 is rejected by both.)
/// 6. `bool-wire-type`: protobuf-c decodes a `bool` field whatever its wire type (it never checks
///    it, and for length-delimited data it even reads the length prefix as part of the value);
///    we reject the wrong wire type like every other field.
/// 7. `merge-required`: when a singular message field occurs more than once, both merge the
///    occurrences, but protobuf-c's merge_messages skips `required` sub-message fields (the last
///    occurrence wins whole instead of being merged), drops the earlier occurrences' unknown
///    fields, and lets an earlier non-empty `bytes` value survive a later empty one. We merge as
///    protobuf's specification says. Explained only for mismatches under such a merged path.
/// 8. `nul-in-string`: protobuf-c strings are C strings, so the comparison stops at the first
///    NUL of a `string` field (a limit of the oracle, not a disagreement).
struct OracleJudge {
    let schema: Schema
    let decoder: GenericDecoder

    init(schema: Schema = .criu) {
        self.schema = schema
        self.decoder = GenericDecoder(schema: schema)
    }

    enum Verdict: Hashable {
        case bothAccept
        case bothReject
        /// A documented difference, with its rule name and where it applies.
        case explained(rule: String, detail: String)
        case unexplained(String)

        var isUnexplained: Bool { if case .unexplained = self { true } else { false } }
        var rule: String? { if case .explained(let rule, _) = self { rule } else { nil } }
    }

    struct Mismatch: Error, CustomStringConvertible {
        enum Kind { case value, presence, unknownFields, schema }
        var kind: Kind
        var path: String
        var detail: String
        var description: String { "\(path): \(detail)" }
    }

    func judge(_ message: String, _ bytes: [UInt8]) -> Verdict {
        let ours: Result<DecodedMessage, ImageError> = Result { () throws(ImageError) in try decoder.decode(message, from: bytes) }
        let theirs = ProtobufC.unpack(message, bytes)
        switch (ours, theirs) {
        case (_, .unknownMessage):
            return .unexplained("protobuf-c has no descriptor for \(message)")
        case (.failure, .rejected):
            return .bothReject
        case (.success, .rejected):
            if let reason = protobufCRejection(message, bytes) { return .explained(rule: reason.rule, detail: reason.detail) }
            return .unexplained("protobuf-c rejects what we accept")
        case (.failure(let error), .accepted):
            if let rule = explainOurRejection(error, bytes) { return .explained(rule: rule, detail: "\(error)") }
            return .unexplained("we reject what protobuf-c accepts: \(error)")
        case (.success(let decoded), .accepted(let pc)):
            guard let mismatch = compare(decoded, pc, path: message) else { return .bothAccept }
            if mismatch.kind != .schema, let rule = explainMismatch(mismatch, message, bytes) {
                return .explained(rule: rule, detail: mismatch.description)
            }
            return .unexplained("values differ at \(mismatch)")
        }
    }

    // MARK: - Comparing decoded values

    /// Compares our message with protobuf-c's: every field we decoded must be present in
    /// protobuf-c with the same values; every field we lack must be absent there (or be a
    /// `required` field with a default, which protobuf-c fills in without enforcing).
    func compare(_ ours: DecodedMessage, _ pc: PCMessage, path: String) -> Mismatch? {
        for field in ours.fields where pc.field(field.number) == nil {
            return Mismatch(kind: .schema, path: path + "." + field.name, detail: "protobuf-c's descriptor has no field \(field.number)")
        }
        for pcField in pc.fields {
            let fieldPath = path + "." + pcField.name
            let values = ours.field(pcField.number)?.values ?? []
            if pcField.label == .repeated {
                guard values.count == pcField.values.count else {
                    return Mismatch(kind: .value, path: fieldPath, detail: "\(values.count) values, protobuf-c has \(pcField.values.count)")
                }
                for (i, (a, b)) in zip(values, pcField.values).enumerated() {
                    if let m = compare(a, b, path: "\(fieldPath)[\(i)]") { return m }
                }
                continue
            }
            guard let value = values.last else {
                if pcField.present && !(pcField.label == .required && pcField.hasDefault) {
                    return Mismatch(kind: .presence, path: fieldPath, detail: "absent here, present in protobuf-c")
                }
                continue
            }
            guard values.count == 1 else {
                return Mismatch(kind: .value, path: fieldPath, detail: "singular field with \(values.count) values")
            }
            guard pcField.present else {
                return Mismatch(kind: .presence, path: fieldPath, detail: "present here, absent in protobuf-c")
            }
            if let m = compare(value, pcField.values[0], path: fieldPath) { return m }
        }
        let ourUnknown = ours.unknownFields.map { PCMessage.UnknownKey(number: $0.number, wireType: Int($0.wireType.rawValue)) }
        if ourUnknown != pc.unknown {
            return Mismatch(kind: .unknownFields, path: path, detail: "unknown fields \(ourUnknown.map(\.number)) vs protobuf-c \(pc.unknown.map(\.number))")
        }
        return nil
    }

    func compare(_ a: DecodedValue, _ b: PCValue, path: String) -> Mismatch? {
        func differ(_ what: String) -> Mismatch { Mismatch(kind: .value, path: path, detail: what) }
        switch (a, b) {
        case (.unsigned(let x), .unsigned(let y)): return x == y ? nil : differ("\(x) vs protobuf-c \(y)")
        case (.signed(let x), .signed(let y)): return x == y ? nil : differ("\(x) vs protobuf-c \(y)")
        case (.bool(let x), .bool(let y)): return x == y ? nil : differ("\(x) vs protobuf-c \(y)")
        case (.enumeration(let x, _), .enumeration(let y)): return x == y ? nil : differ("enum \(x) vs protobuf-c \(y)")
        case (.floatingPoint(let x), .floatingPoint(let y)): return x.bitPattern == y.bitPattern ? nil : differ("\(x) vs protobuf-c \(y)")
        case (.bytes(let x), .bytes(let y)): return x == y ? nil : differ("bytes \(x.count) vs protobuf-c \(y.count)")
        case (.string(let x), .string(let y)):
            // Rule 8 (nul-in-string): a C string ends at the first NUL.
            guard let y else { return differ("string present here, NULL in protobuf-c") }
            let prefix = x.firstIndex(of: 0).map { Array(x[..<$0]) } ?? x
            return prefix == y ? nil : differ("string \(prefix.count) bytes vs protobuf-c \(y.count)")
        case (.message(let x), .message(let y)):
            guard let y else { return differ("message present here, NULL in protobuf-c") }
            return compare(x, y, path: path)
        default:
            return differ("kinds differ: \(a) vs \(b)")
        }
    }

    // MARK: - Explaining disagreements

    /// Why protobuf-c should reject bytes our decoder accepted (rules 1-3), from a walk over
    /// every occurrence of every message, or nil.
    func protobufCRejection(_ message: String, _ bytes: [UInt8]) -> (rule: String, detail: String)? {
        bytes.withUnsafeBytes { buffer in
            scanOccurrence(message, buffer, 0..<buffer.count, path: message)
        }
    }

    private func scanOccurrence(_ type: String, _ buffer: UnsafeRawBufferPointer, _ range: Range<Int>, path: String) -> (rule: String, detail: String)? {
        guard let descriptor = schema.message(type) else { return nil }
        var reader = WireReader(buffer, range: range)
        var seen = Set<Int>()
        var repeatCount: [Int: Int] = [:]
        var nested: [(String, Range<Int>, String)] = []
        while true {
            let keyStart = reader.offset
            let next: FieldKey?
            do { next = try reader.nextKey() } catch { return nil }
            guard let key = next else { break }
            if reader.offset - keyStart > 5 {
                return ("long-key", "\(path): field \(key.number) has a \(reader.offset - keyStart)-byte key")
            }
            seen.insert(key.number)
            let field = descriptor.field(key.number)
            guard key.wireType == .lengthDelimited else {
                guard (try? reader.skip(key.wireType)) != nil else { return nil }
                continue
            }
            let prefixStart = reader.offset
            guard let content = try? reader.readLengthDelimitedRange() else { return nil }
            if content.lowerBound - prefixStart > 5 {
                return ("long-length", "\(path): field \(key.number) has a \(content.lowerBound - prefixStart)-byte length prefix")
            }
            guard let field else { continue }
            var fieldPath = path + "." + field.name
            if field.isRepeated {
                let i = repeatCount[field.number, default: 0]
                repeatCount[field.number] = i + 1
                fieldPath += "[\(i)]"
            }
            if field.type == .message, let typeName = field.typeName {
                nested.append((typeName, content, fieldPath))
            } else if field.isRepeated && field.type == .bool && buffer[content].contains(where: { $0 > 1 }) {
                return ("packed-bool", "\(fieldPath): packed bool byte above 1")
            }
        }
        for f in descriptor.fields where f.label == .required && f.defaultValue == nil && !seen.contains(f.number) {
            return ("missing-required", "\(path): no \(f.name)")
        }
        for (type, content, fieldPath) in nested {
            if let reason = scanOccurrence(type, buffer, content, path: fieldPath) { return reason }
        }
        return nil
    }

    /// Why our decoder rejects bytes protobuf-c accepts (rules 4-6), checked against the bytes at
    /// the error's offset, or nil.
    func explainOurRejection(_ error: ImageError, _ bytes: [UInt8]) -> String? {
        let at = error.offset
        switch error.code {
        case .malformedVarint:
            // A 10-byte varint whose last byte is above 1.
            guard at + 10 <= bytes.count, bytes[at..<(at + 9)].allSatisfy({ $0 & 0x80 != 0 }), bytes[at + 9] > 1, bytes[at + 9] < 0x80 else { return nil }
            return "varint-overflow"
        case .invalidFieldNumber:
            guard let (raw, _) = Self.varint(bytes, at: at) else { return nil }
            let number = raw >> 3
            return number == 0 || number > 0x1FFF_FFFF ? "field-number" : nil
        case .wrongWireType:
            return error.detail.contains(" is bool,") ? "bool-wire-type" : nil
        default:
            return nil
        }
    }

    /// A varint at `at`: its value and length in bytes (up to 10).
    static func varint(_ bytes: [UInt8], at: Int) -> (UInt64, Int)? {
        var value: UInt64 = 0
        var i = at
        var shift: UInt64 = 0
        while i < bytes.count, i - at < 10 {
            let b = bytes[i]
            if shift < 64 { value |= UInt64(b & 0x7F) << shift }
            i += 1
            if b & 0x80 == 0 { return (value, i - at) }
            shift += 7
        }
        return nil
    }

    /// Rule 7 (merge-required): the mismatch lies under a singular message field that occurs more
    /// than once (so both decoders merge it), below one of its `required` message fields or at a
    /// `bytes` field, or in its unknown fields.
    func explainMismatch(_ mismatch: Mismatch, _ message: String, _ bytes: [UInt8]) -> String? {
        let merged = bytes.withUnsafeBytes { buffer in
            var result: [String: String] = [:]
            collectMerged(message, buffer, [0..<buffer.count], path: message, into: &result)
            return result
        }
        for (path, type) in merged {
            if mismatch.kind == .unknownFields && (mismatch.path == path || mismatch.path.hasPrefix(path + ".")) {
                return "merge-required"
            }
            guard mismatch.path.hasPrefix(path + "."), let descriptor = schema.message(type) else { continue }
            let rest = mismatch.path.dropFirst(path.count + 1)
            let name = rest.prefix { $0 != "." && $0 != "[" }
            guard let field = descriptor.field(named: String(name)) else { continue }
            if (field.label == .required && field.type == .message) || field.type == .bytes {
                return "merge-required"
            }
        }
        return nil
    }

    /// Paths (with their message type) of message instances built from two or more occurrences.
    private func collectMerged(_ type: String, _ buffer: UnsafeRawBufferPointer, _ occurrences: [Range<Int>], path: String, into result: inout [String: String]) {
        guard let descriptor = schema.message(type) else { return }
        if occurrences.count > 1 { result[path] = type }
        var singular: [Int: [Range<Int>]] = [:]
        var repeated: [Int: [Range<Int>]] = [:]
        for range in occurrences {
            var reader = WireReader(buffer, range: range)
            while true {
                let next: FieldKey?
                do { next = try reader.nextKey() } catch { return }
                guard let key = next else { break }
                guard key.wireType == .lengthDelimited else {
                    if (try? reader.skip(key.wireType)) == nil { return }
                    continue
                }
                guard let content = try? reader.readLengthDelimitedRange() else { return }
                guard let field = descriptor.field(key.number), field.type == .message else { continue }
                if field.isRepeated { repeated[field.number, default: []].append(content) } else { singular[field.number, default: []].append(content) }
            }
        }
        for (number, ranges) in singular {
            guard let field = descriptor.field(number), let typeName = field.typeName else { continue }
            collectMerged(typeName, buffer, ranges, path: path + "." + field.name, into: &result)
        }
        for (number, ranges) in repeated {
            guard let field = descriptor.field(number), let typeName = field.typeName else { continue }
            for (i, range) in ranges.enumerated() {
                collectMerged(typeName, buffer, [range], path: "\(path).\(field.name)[\(i)]", into: &result)
            }
        }
    }
}
