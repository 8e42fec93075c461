/// A tiny protobuf (proto2) encoder: exactly what protobuf-c writes for CRIU's messages.
///
/// Fields are written in the order the caller appends them (protobuf-c writes them in field
/// number order; callers here do the same). Repeated scalars are unpacked, as CRIU writes them.
public struct ProtoWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init() { bytes.reserveCapacity(64) }

    @inline(__always)
    public mutating func rawVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    @inline(__always)
    mutating func key(_ field: Int, _ wireType: UInt64) {
        rawVarint(UInt64(field) << 3 | wireType)
    }

    /// uint32 / uint64 / enum / int32 (non-negative) field.
    public mutating func uint(_ field: Int, _ value: UInt64) {
        key(field, 0)
        rawVarint(value)
    }

    public mutating func uint(_ field: Int, _ value: UInt32) { uint(field, UInt64(value)) }
    public mutating func uint(_ field: Int, _ value: Int) { uint(field, UInt64(value)) }

    /// int32 / int64: negative values take 10 bytes, as in protobuf.
    public mutating func int(_ field: Int, _ value: Int64) {
        key(field, 0)
        rawVarint(UInt64(bitPattern: value))
    }

    /// sint32 / sint64 (zig-zag).
    public mutating func sint(_ field: Int, _ value: Int64) {
        key(field, 0)
        rawVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    public mutating func bool(_ field: Int, _ value: Bool) { uint(field, value ? 1 : 0) }

    public mutating func fixed64(_ field: Int, _ value: UInt64) {
        key(field, 1)
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func bytes(_ field: Int, _ value: [UInt8]) {
        key(field, 2)
        rawVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    public mutating func string(_ field: Int, _ value: String) { bytes(field, Array(value.utf8)) }

    /// A nested message, built by `body`.
    public mutating func message(_ field: Int, _ body: (inout ProtoWriter) -> Void) {
        var sub = ProtoWriter()
        body(&sub)
        bytes(field, sub.bytes)
    }

    /// Repeated unpacked uint.
    public mutating func repeatedUInt<S: Sequence>(_ field: Int, _ values: S) where S.Element: BinaryInteger {
        for v in values { uint(field, UInt64(v)) }
    }
}

/// Builds one message.
@inline(__always)
public func proto(_ body: (inout ProtoWriter) -> Void) -> [UInt8] {
    var w = ProtoWriter()
    body(&w)
    return w.bytes
}

/// CRIU magic words (CRIU-FORMAT.md section 2).
public enum Magic {
    public static let imgCommon: UInt32 = 0x5456_4319
    public static let imgService: UInt32 = 0x5510_5940
    public static let inventory: UInt32 = 0x5831_3116
    public static let pstree: UInt32 = 0x5027_3030
    public static let fdinfo: UInt32 = 0x5621_3732
    public static let pagemap: UInt32 = 0x5608_4025
    public static let core: UInt32 = 0x5505_3847
    public static let ids: UInt32 = 0x5443_2030
    public static let mm: UInt32 = 0x5749_2820
    public static let fs: UInt32 = 0x5140_3912
    public static let files: UInt32 = 0x5630_3138
    public static let mnts: UInt32 = 0x5556_3928
    public static let seccomp: UInt32 = 0x6441_3049
    public static let utsns: UInt32 = 0x5447_3203
    public static let ipcVar: UInt32 = 0x5311_5007
    public static let timens: UInt32 = 0x4311_4433
    public static let stats: UInt32 = 0x5709_3306
}

/// A framed CRIU protobuf image: magic word(s), then `u32 LE size + message` per entry.
public struct ImageBuilder: Sendable {
    public private(set) var bytes: [UInt8] = []

    /// A normal image: IMG_COMMON then `magic`.
    public init(magic: UInt32) {
        append32(Magic.imgCommon)
        append32(magic)
    }

    /// `inventory.img`: its magic only.
    public static func inventory() -> ImageBuilder {
        var b = ImageBuilder(words: [])
        b.append32(Magic.inventory)
        return b
    }

    /// `stats-dump`: IMG_SERVICE then STATS.
    public static func stats() -> ImageBuilder {
        var b = ImageBuilder(words: [])
        b.append32(Magic.imgService)
        b.append32(Magic.stats)
        return b
    }

    private init(words: [UInt32]) {}

    mutating func append32(_ v: UInt32) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func entry(_ message: [UInt8]) {
        append32(UInt32(message.count))
        bytes.append(contentsOf: message)
    }

    public mutating func entry(_ body: (inout ProtoWriter) -> Void) {
        entry(proto(body))
    }
}
