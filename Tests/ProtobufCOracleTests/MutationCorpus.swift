import CRIUImages

/// SplitMix64: a tiny, fully specified PRNG, so the corpus is the same on every machine.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
}

/// One mutated entry: the message type, the bytes, and how they were made.
struct OracleCase: Hashable {
    var message: String
    var bytes: [UInt8]
    var strategy: String
}

/// Deterministic mutations of the fixture entries: truncations, byte and bit flips, inserted
/// varints and fields, duplicated and removed fields, packed re-encodings, wrong wire types,
/// extreme and non-canonical varints, edited length prefixes, random bytes, and the same
/// mutations applied inside nested messages (with the enclosing length prefixes fixed up).
///
/// The corpus depends only on the fixtures, the schema and the seed. Its output is committed as
/// Fixtures/oracle/mutations.tar.zst (Scripts/generate-oracle-corpus.sh); the oracle runs over
/// that file, and `committedCorpusIsCurrent` checks that it is exactly what this generator makes.
struct MutationCorpus {
    static let strategies = [
        "truncate", "flip-byte", "flip-bit", "insert-varint", "insert-field", "duplicate-field",
        "remove-field", "random-bytes", "nested", "pack-repeated", "wrong-wire-type",
        "extreme-varint", "edit-length", "splice", "overlong-encoding",
    ]

    let schema: Schema
    var rng: SplitMix64
    /// Fixture entries grouped by message type (for splicing and picking a type).
    let byType: [String: [[UInt8]]]
    let types: [String]

    init(entries: [(message: String, bytes: [UInt8])], seed: UInt64, schema: Schema = .criu) {
        self.schema = schema
        self.rng = SplitMix64(seed: seed)
        var grouped: [String: [[UInt8]]] = [:]
        var seen = Set<[UInt8]>()
        for e in entries {
            var key = Array(e.message.utf8)
            key.append(0)
            key += e.bytes
            if seen.insert(key).inserted { grouped[e.message, default: []].append(e.bytes) }
        }
        self.byType = grouped
        self.types = grouped.keys.sorted()
    }

    /// `count` cases; each picks a message type uniformly, then one of its entries.
    mutating func generate(count: Int) -> [OracleCase] {
        var cases: [OracleCase] = []
        cases.reserveCapacity(count)
        while cases.count < count {
            let type = types[rng.below(types.count)]
            let pool = byType[type]!
            let base = pool[rng.below(pool.count)]
            // A third of the cases mutate inside a nested message, where most fields live.
            let strategy = rng.chance(33) ? "nested" : Self.strategies[rng.below(Self.strategies.count)]
            let bytes = mutate(base, type: type, strategy: strategy, depth: 0)
            cases.append(OracleCase(message: type, bytes: bytes, strategy: strategy))
        }
        return cases
    }

    // MARK: - Wire helpers

    struct RawField {
        var number: Int
        var wireType: WireType
        /// The whole field: key, length prefix and value.
        var range: Range<Int>
        /// The key bytes.
        var keyRange: Range<Int>
        /// For length-delimited fields, the contents.
        var content: Range<Int>?
    }

    /// The top-level fields of well-formed bytes, or nil.
    static func fields(_ bytes: [UInt8]) -> [RawField]? {
        bytes.withUnsafeBytes { buffer -> [RawField]? in
            var reader = WireReader(buffer)
            var result: [RawField] = []
            while true {
                let next: FieldKey?
                do { next = try reader.nextKey() } catch { return nil }
                guard let key = next else { return result }
                let valueStart = reader.offset
                var content: Range<Int>?
                if key.wireType == .lengthDelimited {
                    guard let r = try? reader.readLengthDelimitedRange() else { return nil }
                    content = r
                } else {
                    guard (try? reader.skip(key.wireType)) != nil else { return nil }
                }
                result.append(RawField(number: key.number, wireType: key.wireType, range: key.offset..<reader.offset,
                                       keyRange: key.offset..<valueStart, content: content))
            }
        }
    }

    static func varint(_ value: UInt64) -> [UInt8] {
        var v = value
        var out: [UInt8] = []
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
        return out
    }

    static func key(_ number: Int, _ wireType: UInt8) -> [UInt8] {
        varint(UInt64(number) << 3 | UInt64(wireType))
    }

    mutating func randomVarintValue() -> UInt64 {
        let specials: [UInt64] = [0, 1, 2, 0x7F, 0x80, 0x3FFF, 0x4000, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF,
                                  0x1_0000_0000, 0x1_FFFF_FFFF, UInt64(Int64.max), UInt64.max, UInt64.max - 1]
        switch rng.below(3) {
        case 0: return specials[rng.below(specials.count)]
        case 1: return rng.next() >> UInt64(rng.below(64))
        default: return UInt64(rng.below(300))
        }
    }

    /// A varint, sometimes non-canonical: zero-padded, or 10 bytes with a last byte above 1.
    mutating func randomVarintBytes() -> [UInt8] {
        switch rng.below(10) {
        case 0:
            var bytes = Self.varint(randomVarintValue())
            let pad = 1 + rng.below(10 - min(bytes.count, 9))
            bytes[bytes.count - 1] |= 0x80
            bytes += Array(repeating: 0x80, count: pad - 1) + [0]
            return Array(bytes.prefix(11))
        case 1:
            return Array(repeating: 0xFF, count: 9) + [UInt8(2 + rng.below(126))]
        default:
            return Self.varint(randomVarintValue())
        }
    }

    mutating func randomBytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    }

    /// A plausible value for a field of the given wire type.
    mutating func randomValue(wireType: UInt8, field: FieldDescriptor?) -> [UInt8] {
        switch wireType {
        case 0: return randomVarintBytes()
        case 1: return randomBytes(8)
        case 5: return randomBytes(4)
        case 2:
            var content: [UInt8]
            if let field, field.type == .message, let t = field.typeName, let pool = byType[t], rng.chance(70) {
                content = pool[rng.below(pool.count)]
                if rng.chance(30) { content = mutate(content, type: t, strategy: Self.strategies[rng.below(Self.strategies.count)], depth: 1) }
            } else if let field, field.type.isPackable, rng.chance(60) {
                content = []
                for _ in 0..<rng.below(6) { content += randomValue(wireType: field.type.wireType.rawValue, field: nil) }
            } else {
                content = randomBytes(rng.below(24))
            }
            return Self.varint(UInt64(content.count)) + content
        default:
            return randomBytes(rng.below(4))
        }
    }

    // MARK: - Mutations

    mutating func mutate(_ base: [UInt8], type: String, strategy: String, depth: Int) -> [UInt8] {
        var bytes = base
        let descriptor = schema.message(type)
        let fields = Self.fields(base) ?? []
        switch strategy {
        case "truncate":
            guard !bytes.isEmpty else { return randomBytes(1 + rng.below(8)) }
            bytes.removeLast(1 + rng.below(bytes.count))
        case "flip-byte":
            guard !bytes.isEmpty else { return [UInt8(rng.below(256))] }
            bytes[rng.below(bytes.count)] ^= UInt8(1 + rng.below(255))
        case "flip-bit":
            guard !bytes.isEmpty else { return [UInt8(1 << rng.below(8))] }
            bytes[rng.below(bytes.count)] ^= UInt8(1 << rng.below(8))
        case "insert-varint":
            let at = fields.isEmpty || rng.chance(30) ? rng.below(bytes.count + 1) : fields[rng.below(fields.count)].range.lowerBound
            bytes.insert(contentsOf: randomVarintBytes(), at: at)
        case "insert-field":
            var number: Int
            var field: FieldDescriptor?
            if let descriptor, !descriptor.fields.isEmpty, rng.chance(80) {
                field = descriptor.fields[rng.below(descriptor.fields.count)]
                number = field!.number
            } else {
                number = [1, 15, 16, 99, 2047, 2048, 50555, 0x1FFF_FFFF, 1 + rng.below(200)][rng.below(9)]
            }
            let wireType: UInt8
            if let field, rng.chance(75) {
                wireType = field.isRepeated && field.type.isPackable && rng.chance(30) ? 2 : field.type.wireType.rawValue
            } else {
                wireType = [0, 1, 2, 5, 3, 4, 6, 7][rng.below(rng.chance(85) ? 4 : 8)]
            }
            let at = fields.isEmpty ? bytes.count : (rng.chance(50) ? bytes.count : fields[rng.below(fields.count)].range.lowerBound)
            bytes.insert(contentsOf: Self.key(number, wireType) + randomValue(wireType: wireType, field: field), at: at)
        case "duplicate-field":
            guard !fields.isEmpty else { return mutate(base, type: type, strategy: "insert-field", depth: depth) }
            let f = fields[rng.below(fields.count)]
            let copy = Array(base[f.range])
            if rng.chance(50) { bytes += copy } else { bytes.insert(contentsOf: copy, at: f.range.upperBound) }
            // Sometimes a different value for the copy: last one wins, or messages merge.
            if rng.chance(30), let content = f.content, let d = descriptor?.field(f.number), d.type == .message, let t = d.typeName {
                let other = byType[t].map { $0[rng.below($0.count)] } ?? Array(base[content])
                bytes += Array(base[f.keyRange]) + Self.varint(UInt64(other.count)) + other
            }
        case "remove-field":
            guard !fields.isEmpty else { return mutate(base, type: type, strategy: "random-bytes", depth: depth) }
            bytes.removeSubrange(fields[rng.below(fields.count)].range)
        case "random-bytes":
            bytes = randomBytes(rng.below(rng.chance(50) ? 16 : 96))
        case "nested":
            let candidates = fields.filter { f in
                guard f.content != nil, let d = descriptor?.field(f.number) else { return false }
                return d.type == .message
            }
            guard depth < 6, !candidates.isEmpty else {
                return mutate(base, type: type, strategy: Self.strategies[rng.below(8)], depth: depth)
            }
            let f = candidates[rng.below(candidates.count)]
            let d = descriptor!.field(f.number)!
            let inner = Array(base[f.content!])
            let innerStrategy = rng.chance(25) ? "nested" : Self.strategies.filter { $0 != "nested" }[rng.below(Self.strategies.count - 1)]
            let mutated = mutate(inner, type: d.typeName!, strategy: innerStrategy, depth: depth + 1)
            bytes.replaceSubrange(f.range, with: Array(base[f.keyRange]) + Self.varint(UInt64(mutated.count)) + mutated)
        case "pack-repeated":
            // Re-encode every occurrence of one repeated scalar field as a single packed run
            // (sometimes split into two runs, sometimes an empty run added).
            let repeatedNumbers = Set(fields.compactMap { f -> Int? in
                guard let d = descriptor?.field(f.number), d.isRepeated, d.type.isPackable, f.wireType != .lengthDelimited else { return nil }
                return f.number
            })
            let numbers = repeatedNumbers.sorted()
            guard !numbers.isEmpty else {
                return mutate(base, type: type, strategy: "nested", depth: depth)
            }
            let number = numbers[rng.below(numbers.count)]
            let occurrences = fields.filter { $0.number == number && $0.wireType != .lengthDelimited }
            var payload: [UInt8] = []
            for f in occurrences { payload += base[f.keyRange.upperBound..<f.range.upperBound] }
            let key = Self.key(number, 2)
            var packed: [UInt8]
            if rng.chance(20), payload.count > 1 {
                let cut = occurrences[0].range.upperBound - occurrences[0].keyRange.upperBound
                let a = Array(payload[..<cut]), b = Array(payload[cut...])
                packed = key + Self.varint(UInt64(a.count)) + a + key + Self.varint(UInt64(b.count)) + b
            } else {
                packed = key + Self.varint(UInt64(payload.count)) + payload
            }
            if rng.chance(15) { packed += key + [0] }
            for f in occurrences.reversed() { bytes.removeSubrange(f.range) }
            bytes.insert(contentsOf: packed, at: min(occurrences[0].range.lowerBound, bytes.count))
        case "wrong-wire-type":
            guard !fields.isEmpty else { return mutate(base, type: type, strategy: "insert-field", depth: depth) }
            let f = fields[rng.below(fields.count)]
            var wireType = UInt8(rng.below(8))
            if wireType == f.wireType.rawValue { wireType = (wireType + 1) % 8 }
            bytes.replaceSubrange(f.keyRange, with: Self.key(f.number, wireType))
        case "extreme-varint":
            let varints = fields.filter { $0.wireType == .varint }
            guard !varints.isEmpty else { return mutate(base, type: type, strategy: "insert-varint", depth: depth) }
            let f = varints[rng.below(varints.count)]
            bytes.replaceSubrange(f.keyRange.upperBound..<f.range.upperBound, with: randomVarintBytes())
        case "edit-length":
            let delimited = fields.filter { $0.content != nil }
            guard !delimited.isEmpty else { return mutate(base, type: type, strategy: "flip-byte", depth: depth) }
            let f = delimited[rng.below(delimited.count)]
            let old = UInt64(f.content!.count)
            let new: UInt64 = [old &+ 1, old &- 1, 0, old &+ UInt64(1 + rng.below(8)), 0x7FFF_FFFF, 0x1_0000_0000 | old, UInt64.max >> 1][rng.below(7)]
            var encoded = Self.varint(new)
            if rng.chance(20), encoded.count < 10 { encoded[encoded.count - 1] |= 0x80; encoded.append(0) }
            bytes.replaceSubrange(f.keyRange.upperBound..<f.content!.lowerBound, with: encoded)
        case "splice":
            guard let pool = byType[type], !fields.isEmpty else { return mutate(base, type: type, strategy: "truncate", depth: depth) }
            let other = pool[rng.below(pool.count)]
            guard let otherFields = Self.fields(other), !otherFields.isEmpty else { return bytes }
            let f = otherFields[rng.below(otherFields.count)]
            bytes.insert(contentsOf: other[f.range], at: fields[rng.below(fields.count)].range.lowerBound)
        case "overlong-encoding":
            // Zero-pad a key or a length prefix into a longer (non-canonical) varint.
            guard !fields.isEmpty else { return mutate(base, type: type, strategy: "insert-varint", depth: depth) }
            let f = fields[rng.below(fields.count)]
            let target = f.content != nil && rng.chance(50) ? f.keyRange.upperBound..<f.content!.lowerBound : f.keyRange
            var encoded = Array(base[target])
            let extra = 1 + rng.below(min(5, 11 - encoded.count))
            encoded[encoded.count - 1] |= 0x80
            encoded += Array(repeating: 0x80, count: extra - 1) + [0]
            bytes.replaceSubrange(target, with: encoded)
        default:
            break
        }
        return bytes
    }
}
