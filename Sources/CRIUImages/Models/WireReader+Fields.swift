// Field-level helpers for the typed models: each checks the key's wire type and converts
// the value the way protoc's generated code does (uint32/int32 truncate, sint zig-zag).

extension WireReader {
    @inline(__always)
    static func wrongType(_ key: FieldKey, _ expected: String) -> ImageError {
        ImageError(.wrongWireType, offset: key.offset,
                   detail: "field \(key.number) expects \(expected), found wire type \(key.wireType.rawValue)")
    }

    mutating func u32(_ key: FieldKey) throws(ImageError) -> UInt32 {
        UInt32(truncatingIfNeeded: try readVarintField(key))
    }

    mutating func u64(_ key: FieldKey) throws(ImageError) -> UInt64 {
        try readVarintField(key)
    }

    mutating func i32(_ key: FieldKey) throws(ImageError) -> Int32 {
        Int32(truncatingIfNeeded: try readVarintField(key))
    }

    mutating func i64(_ key: FieldKey) throws(ImageError) -> Int64 {
        Int64(bitPattern: try readVarintField(key))
    }

    mutating func s32(_ key: FieldKey) throws(ImageError) -> Int32 {
        // Protobuf keeps the low 32 bits, then undoes the zig-zag (2^32 + 3 decodes as -2).
        let low = UInt32(truncatingIfNeeded: try readVarintField(key))
        return Int32(bitPattern: (low >> 1) ^ (0 &- (low & 1)))
    }

    mutating func s64(_ key: FieldKey) throws(ImageError) -> Int64 {
        try readVarintField(key).zigZagDecoded
    }

    mutating func bool(_ key: FieldKey) throws(ImageError) -> Bool {
        try readVarintField(key) != 0
    }

    mutating func bytes(_ key: FieldKey) throws(ImageError) -> [UInt8] {
        try expectLengthDelimited(key)
        return try readBytes()
    }

    mutating func name(_ key: FieldKey) throws(ImageError) -> LinuxName {
        LinuxName(bytes: try bytes(key))
    }

    mutating func text(_ key: FieldKey) throws(ImageError) -> String {
        try expectLengthDelimited(key)
        return try readString()
    }

    mutating func message<M: ImageMessage>(_ key: FieldKey, as type: M.Type = M.self) throws(ImageError) -> M {
        try expectLengthDelimited(key)
        var sub = try readSubmessage()
        return try M(from: &sub)
    }

    /// Appends one value of a repeated `uint32` field (or a packed run).
    mutating func appendU32(_ key: FieldKey, to array: inout [UInt32]) throws(ImageError) {
        try readVarints(key) { array.append(UInt32(truncatingIfNeeded: $0)) }
    }

    mutating func appendU64(_ key: FieldKey, to array: inout [UInt64]) throws(ImageError) {
        try readVarints(key) { array.append($0) }
    }

    mutating func appendI32(_ key: FieldKey, to array: inout [Int32]) throws(ImageError) {
        try readVarints(key) { array.append(Int32(truncatingIfNeeded: $0)) }
    }

    /// Appends one value of a repeated `fixed64` field (or a packed run).
    mutating func appendFixed64(_ key: FieldKey, to array: inout [UInt64]) throws(ImageError) {
        switch key.wireType {
        case .fixed64:
            array.append(try readFixed64())
        case .lengthDelimited:
            var packed = try readSubmessage()
            while !packed.isAtEnd { array.append(try packed.readFixed64()) }
        default:
            throw Self.wrongType(key, "fixed64")
        }
    }

    mutating func appendMessage<M: ImageMessage>(_ key: FieldKey, to array: inout [M]) throws(ImageError) {
        array.append(try message(key, as: M.self))
    }
}
