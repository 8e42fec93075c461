/// The protobuf wire types CRIU's images use.
public enum WireType: UInt8, Hashable, Sendable {
    /// Wire type 0: a base-128 varint.
    case varint = 0
    /// Wire type 1: eight little-endian bytes.
    case fixed64 = 1
    /// Wire type 2: a varint length, then that many bytes.
    case lengthDelimited = 2
    /// Wire type 5: four little-endian bytes.
    case fixed32 = 5
}

/// A field key read from the wire: field number and wire type, plus where the key starts.
public struct FieldKey: Hashable, Sendable {
    /// The field number.
    public var number: Int
    /// The wire type.
    public var wireType: WireType
    /// Absolute byte offset of the key.
    public var offset: Int

    /// A key from its field number, wire type and absolute offset.
    @inlinable public init(number: Int, wireType: WireType, offset: Int) {
        self.number = number
        self.wireType = wireType
        self.offset = offset
    }
}

/// Reads the protobuf wire format from borrowed bytes.
///
/// A reader covers a window of a buffer; every position it reports is absolute
/// (relative to the start of the file the buffer came from), so errors can name
/// the exact byte. Bounds are checked once per value, never trusted from input:
/// a length that points past the window is rejected before anything is allocated.
///
/// The reader borrows its buffer: use it only inside the `withUnsafeBytes` (or
/// similar) scope that produced the pointer.
public struct WireReader {
    @usableFromInline let buffer: UnsafeRawBufferPointer
    @usableFromInline var position: Int
    @usableFromInline let end: Int
    @usableFromInline let origin: Int

    /// A reader over all of `buffer`; `origin` is the absolute offset of `buffer[0]` in its file.
    public init(_ buffer: UnsafeRawBufferPointer, origin: Int = 0) {
        self.buffer = buffer
        self.position = 0
        self.end = buffer.count
        self.origin = origin
    }

    /// A reader over `range` of `buffer` (indices into `buffer`).
    public init(_ buffer: UnsafeRawBufferPointer, range: Range<Int>, origin: Int = 0) {
        precondition(range.lowerBound >= 0 && range.upperBound <= buffer.count)
        self.buffer = buffer
        self.position = range.lowerBound
        self.end = range.upperBound
        self.origin = origin
    }

    /// True when every byte of the window has been read.
    @inlinable public var isAtEnd: Bool { position >= end }
    /// The absolute offset of the next byte to be read.
    @inlinable public var offset: Int { origin + position }
    /// Bytes left in the window.
    @inlinable public var remaining: Int { end - position }
    /// The window's range of indices into the buffer that have not been read yet.
    @inlinable public var remainingRange: Range<Int> { position..<end }

    @inlinable
    func error(_ code: ImageError.Code, at index: Int, _ detail: String) -> ImageError {
        ImageError(code, offset: origin + index, detail: detail)
    }

    /// Reads the next field key, or returns nil at the end of the window.
    @inlinable
    public mutating func nextKey() throws(ImageError) -> FieldKey? {
        if position >= end { return nil }
        let start = position
        let raw = try readVarint()
        let number = raw >> 3
        guard let wireType = WireType(rawValue: UInt8(raw & 7)) else {
            throw error(.invalidWireType, at: start, "wire type \(raw & 7) in key 0x\(String(raw, radix: 16))")
        }
        guard number >= 1, number <= 0x1FFF_FFFF else {
            throw error(.invalidFieldNumber, at: start, "field number \(number)")
        }
        return FieldKey(number: Int(number), wireType: wireType, offset: origin + start)
    }

    /// Reads a base-128 varint of at most 10 bytes.
    @inlinable
    public mutating func readVarint() throws(ImageError) -> UInt64 {
        let start = position
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < end else {
                throw error(.truncated, at: start, "varint runs past the end")
            }
            let byte = buffer[position]
            position += 1
            if shift == 63 && byte > 1 {
                throw error(.malformedVarint, at: start, "varint overflows 64 bits")
            }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 {
                throw error(.malformedVarint, at: start, "varint longer than 10 bytes")
            }
        }
    }

    /// Reads a little-endian 32-bit word.
    @inlinable
    public mutating func readFixed32() throws(ImageError) -> UInt32 {
        guard end - position >= 4 else { throw error(.truncated, at: position, "fixed32 needs 4 bytes, \(end - position) left") }
        let value = buffer.loadUnaligned(fromByteOffset: position, as: UInt32.self)
        position += 4
        return UInt32(littleEndian: value)
    }

    /// Reads a little-endian 64-bit word.
    @inlinable
    public mutating func readFixed64() throws(ImageError) -> UInt64 {
        guard end - position >= 8 else { throw error(.truncated, at: position, "fixed64 needs 8 bytes, \(end - position) left") }
        let value = buffer.loadUnaligned(fromByteOffset: position, as: UInt64.self)
        position += 8
        return UInt64(littleEndian: value)
    }

    /// Reads a length prefix and returns the index range of the bytes it covers, advancing past them.
    @inlinable
    public mutating func readLengthDelimitedRange() throws(ImageError) -> Range<Int> {
        let start = position
        let length = try readVarint()
        guard length <= UInt64(end - position) else {
            throw error(.lengthOutOfBounds, at: start, "length \(length) exceeds the \(end - position) bytes left")
        }
        let range = position..<(position + Int(length))
        position = range.upperBound
        return range
    }

    /// Reads a length-delimited field and returns a reader over its contents.
    @inlinable
    public mutating func readSubmessage() throws(ImageError) -> WireReader {
        let range = try readLengthDelimitedRange()
        return WireReader(buffer, range: range, origin: origin)
    }

    /// Reads a length-delimited field as a copy of its bytes.
    @inlinable
    public mutating func readBytes() throws(ImageError) -> [UInt8] {
        let range = try readLengthDelimitedRange()
        return Array(UnsafeRawBufferPointer(rebasing: buffer[range]))
    }

    /// Reads a length-delimited field as text, repairing invalid UTF-8 (CRIU strings are raw Linux bytes).
    @inlinable
    public mutating func readString() throws(ImageError) -> String {
        let range = try readLengthDelimitedRange()
        return String(decoding: UnsafeRawBufferPointer(rebasing: buffer[range]), as: UTF8.self)
    }

    /// Skips the value of a field with the given wire type.
    @inlinable
    public mutating func skip(_ wireType: WireType) throws(ImageError) {
        switch wireType {
        case .varint: _ = try readVarint()
        case .fixed64: _ = try readFixed64()
        case .fixed32: _ = try readFixed32()
        case .lengthDelimited: _ = try readLengthDelimitedRange()
        }
    }

    /// Reads one scalar of a field whose declared type is varint-encoded, or the whole packed run when
    /// the field arrived length-delimited; calls `body` for each value.
    @inlinable
    public mutating func readVarints(_ key: FieldKey, _ body: (UInt64) -> Void) throws(ImageError) {
        switch key.wireType {
        case .varint:
            body(try readVarint())
        case .lengthDelimited:
            var packed = try readSubmessage()
            while !packed.isAtEnd { body(try packed.readVarint()) }
        default:
            throw ImageError(.wrongWireType, offset: key.offset, detail: "field \(key.number) expects a varint, found wire type \(key.wireType.rawValue)")
        }
    }

    /// Reads a varint-typed scalar field (not repeated).
    @inlinable
    public mutating func readVarintField(_ key: FieldKey) throws(ImageError) -> UInt64 {
        guard key.wireType == .varint else {
            throw ImageError(.wrongWireType, offset: key.offset, detail: "field \(key.number) expects a varint, found wire type \(key.wireType.rawValue)")
        }
        return try readVarint()
    }

    /// Requires the key to be length-delimited.
    @inlinable
    public func expectLengthDelimited(_ key: FieldKey) throws(ImageError) {
        guard key.wireType == .lengthDelimited else {
            throw ImageError(.wrongWireType, offset: key.offset, detail: "field \(key.number) expects length-delimited data, found wire type \(key.wireType.rawValue)")
        }
    }
}

extension WireReader {
    /// Reads to the end of the window and returns the last value of varint field `number`, if any
    /// (proto2: the last one wins). The framer reads payload lengths this way, and the writer checks them.
    mutating func lastVarint(_ number: Int) throws(ImageError) -> UInt64? {
        var found: UInt64?
        while let key = try nextKey() {
            if key.number == number && key.wireType == .varint {
                found = try readVarint()
            } else {
                try skip(key.wireType)
            }
        }
        return found
    }
}

extension UInt64 {
    /// Zig-zag decoding (`sint32`/`sint64`).
    @inlinable public var zigZagDecoded: Int64 { Int64(bitPattern: (self >> 1) ^ (0 &- (self & 1))) }
}

/// Runs `body` over the bytes of `array`, keeping the typed error (the standard library's
/// `withUnsafeBytes` rethrows untyped).
@inlinable
func withBytes<R>(_ array: [UInt8], _ body: (UnsafeRawBufferPointer) throws(ImageError) -> R) throws(ImageError) -> R {
    let result: Result<R, ImageError> = array.withUnsafeBytes { buffer in
        Result { () throws(ImageError) -> R in try body(buffer) }
    }
    return try result.get()
}
