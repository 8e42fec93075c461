/// The F_SETOWN owner of an open file. Mirrors `fown_entry`.
public struct FileOwner: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "fown_entry"

    /// `uid`.
    public var uid: UInt32 = 0
    /// `euid`.
    public var euid: UInt32 = 0
    /// `signum`: F_SETSIG signal.
    public var signal: UInt32 = 0
    /// `pid_type`: F_OWNER_TID 0, F_OWNER_PID 1, F_OWNER_PGRP 2.
    public var pidType: UInt32 = 0
    /// `pid`: owner (0 = none).
    public var pid: UInt32 = 0

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: uid = try reader.u32(key)
            case 2: euid = try reader.u32(key)
            case 3: signal = try reader.u32(key)
            case 4: pidType = try reader.u32(key)
            case 5: pid = try reader.u32(key)
            default: try reader.skip(key.wireType)
            }
        }
    }

    init() {}
}

extension FileOwner: EncodableImageMessage {
    /// Writes the model as CRIU writes `fown_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(uid))
        writer.write(2, varint: UInt64(euid))
        writer.write(3, varint: UInt64(signal))
        writer.write(4, varint: UInt64(pidType))
        writer.write(5, varint: UInt64(pid))
    }
}
