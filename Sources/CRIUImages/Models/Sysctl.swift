/// One sysctl value; names are positional (CRIU-FORMAT.md 3.15). Mirrors `sysctl_entry`.
public struct Sysctl: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "sysctl_entry"

    /// `type`: Integer or string.
    public var type: SysctlType = SysctlType(rawValue: 0)
    /// `iarg`: Integer value.
    public var integer: Int32?
    /// `sarg`: String value.
    public var string: LinuxName?

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: type = SysctlType(rawValue: try reader.u32(key))
            case 2: integer = try reader.i32(key)
            case 3: string = try reader.name(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

/// The type of a sysctl value. Mirrors enum `SysctlType`.
public enum SysctlType: Hashable, Sendable, RawRepresentable {
    /// CTL_STR (5).
    case string
    /// CTL_32 (6).
    case int32
    /// A value this library does not know.
    case unknown(UInt32)

    /// Maps a stored number to a case; numbers this library does not know become `unknown`.
    public init(rawValue: UInt32) {
        switch rawValue {
        case 5: self = .string
        case 6: self = .int32
        default: self = .unknown(rawValue)
        }
    }

    /// The number as stored in the image.
    public var rawValue: UInt32 {
        switch self {
        case .string: 5
        case .int32: 6
        case .unknown(let value): value
        }
    }
}

extension Sysctl: EncodableImageMessage {
    /// Writes the model as CRIU writes `sysctl_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, signed: Int64(Int32(truncatingIfNeeded: type.rawValue)))
        if let v = integer { writer.write(2, signed: Int64(v)) }
        if let v = string { writer.write(3, bytes: v.bytes) }
    }
}
