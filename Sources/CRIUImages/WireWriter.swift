/// Writes the protobuf wire format into a growing byte array: the inverse of ``WireReader``.
///
/// Values are written as protobuf-c (the runtime CRIU dumps with) writes them: minimal varints,
/// negative `int32`, `int64` and enum values sign-extended to ten bytes, `sint` zig-zag encoded,
/// fixed-width values little-endian.
public struct WireWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8] = []

    /// An empty writer.
    public init() {}

    /// Appends a base-128 varint.
    public mutating func writeVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// Appends a field key (`number << 3 | wireType`).
    public mutating func writeKey(_ number: Int, _ wireType: WireType) {
        writeVarint(UInt64(number) << 3 | UInt64(wireType.rawValue))
    }

    /// Appends a little-endian 32-bit word.
    public mutating func writeFixed32(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends a little-endian 64-bit word.
    public mutating func writeFixed64(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends a length prefix and then `data`.
    public mutating func writeLengthDelimited<C: Collection>(_ data: C) where C.Element == UInt8 {
        writeVarint(UInt64(data.count))
        bytes.append(contentsOf: data)
    }

    /// Appends bytes as they are (an already encoded field, a payload).
    public mutating func writeRaw<C: Collection>(_ data: C) where C.Element == UInt8 {
        bytes.append(contentsOf: data)
    }

    // MARK: Whole fields, for the typed models

    /// A varint field (`uint32`, `uint64`, `bool` as 0/1).
    public mutating func write(_ number: Int, varint value: UInt64) {
        writeKey(number, .varint)
        writeVarint(value)
    }

    /// An `int32`, `int64` or enum field: negative values take ten bytes, as protobuf writes them.
    public mutating func write(_ number: Int, signed value: Int64) {
        write(number, varint: UInt64(bitPattern: value))
    }

    /// A `sint32` field (zig-zag).
    public mutating func write(_ number: Int, sint32 value: Int32) {
        write(number, varint: UInt64(UInt32(bitPattern: (value << 1) ^ (value >> 31))))
    }

    /// A `sint64` field (zig-zag).
    public mutating func write(_ number: Int, sint64 value: Int64) {
        write(number, varint: UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    /// A `bool` field.
    public mutating func write(_ number: Int, bool value: Bool) {
        write(number, varint: value ? 1 : 0)
    }

    /// A `fixed64` field.
    public mutating func write(_ number: Int, fixed64 value: UInt64) {
        writeKey(number, .fixed64)
        writeFixed64(value)
    }

    /// A `fixed32` field.
    public mutating func write(_ number: Int, fixed32 value: UInt32) {
        writeKey(number, .fixed32)
        writeFixed32(value)
    }

    /// A `bytes` or `string` field.
    public mutating func write<C: Collection>(_ number: Int, bytes data: C) where C.Element == UInt8 {
        writeKey(number, .lengthDelimited)
        writeLengthDelimited(data)
    }

    /// A nested message field, written by `body` into a writer of its own.
    public mutating func writeMessage(_ number: Int, _ body: (inout WireWriter) -> Void) {
        var sub = WireWriter()
        body(&sub)
        write(number, bytes: sub.bytes)
    }
}

extension Int64 {
    /// Zig-zag encoding (`sint64`).
    var zigZagEncoded: UInt64 { UInt64(bitPattern: (self << 1) ^ (self >> 63)) }
}
