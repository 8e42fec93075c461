/// A signal handler. Mirrors `sa_entry`.
public struct SignalAction: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "sa_entry"

    /// `sigaction`: handler address (SIG_DFL = 0, SIG_IGN = 1).
    public var handler: UInt64 = 0
    /// `flags`: SA_* flags (dumping architecture's values).
    public var flags: UInt64 = 0
    /// `restorer`: sa_restorer address.
    public var restorer: UInt64 = 0
    /// `mask`: signals blocked while the handler runs (1..64).
    public var mask: UInt64 = 0
    /// `compat_sigaction`: installed by a 32-bit compat task.
    public var isCompat: Bool?
    /// `mask_extended`: upper 64 signals (MIPS).
    public var maskExtended: UInt64?

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: handler = try reader.u64(key)
            case 2: flags = try reader.u64(key)
            case 3: restorer = try reader.u64(key)
            case 4: mask = try reader.u64(key)
            case 5: isCompat = try reader.bool(key)
            case 6: maskExtended = try reader.u64(key)
            default: try reader.skip(key.wireType)
            }
        }
    }

    /// True for SIG_DFL.
    public var isDefault: Bool { handler == 0 }
    /// True for SIG_IGN.
    public var isIgnored: Bool { handler == 1 }
}

extension SignalAction: EncodableImageMessage {
    /// Writes the model as CRIU writes `sa_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: handler)
        writer.write(2, varint: flags)
        writer.write(3, varint: restorer)
        writer.write(4, varint: mask)
        if let v = isCompat { writer.write(5, bool: v) }
        if let v = maskExtended { writer.write(6, varint: v) }
    }
}
