/// A regular file, directory or device opened by path (also cwd, root, exe and mapped files). Mirrors `reg_file_entry`.
public struct RegularFile: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "reg_file_entry"

    /// `id`: File id.
    public var id: UInt32 = 0
    /// `flags`: open(2) flags (O_CLOEXEC stripped).
    public var flags: UInt32 = 0
    /// `pos`: File offset.
    public var position: UInt64 = 0
    /// `fown`: Owner settings.
    public var owner: FileOwner = FileOwner()
    /// `name`: Absolute path inside the mount namespace; for `ext` files the external key.
    public var name: LinuxName = LinuxName(bytes: [])
    /// `mnt_id`: Mount id of the mount the file lives on; -1 (the proto2 default) when not recorded.
    public var mountID: Int32 = -1
    /// `size`: File size at dump.
    public var size: UInt64?
    /// `ext`: External file (path is a `--external` key).
    public var isExternal: Bool?
    /// `mode`: st_mode.
    public var mode: UInt32?
    /// `build_id`: ELF build-id words.
    public var buildID: [UInt32] = []
    /// `checksum`: CRC32C of (part of) the file.
    public var checksum: UInt32?
    /// `checksum_config`: Which bytes were checksummed.
    public var checksumConfig: UInt32?
    /// `checksum_parameter`: Parameter of `checksum_config`.
    public var checksumParameter: UInt32?

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: id = try reader.u32(key)
            case 2: flags = try reader.u32(key)
            case 3: position = try reader.u64(key)
            case 5: owner = try reader.message(key)
            case 6: name = try reader.name(key)
            case 7: mountID = try reader.s32(key)
            case 8: size = try reader.u64(key)
            case 9: isExternal = try reader.bool(key)
            case 10: mode = try reader.u32(key)
            case 11: try reader.appendU32(key, to: &buildID)
            case 12: checksum = try reader.u32(key)
            case 13: checksumConfig = try reader.u32(key)
            case 14: checksumParameter = try reader.u32(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

extension RegularFile: EncodableImageMessage {
    /// Writes the model as CRIU writes `reg_file_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(id))
        writer.write(2, varint: UInt64(flags))
        writer.write(3, varint: position)
        try writer.write(5, message: owner)
        writer.write(6, bytes: name.bytes)
        if mountID != -1 { writer.write(7, sint32: mountID) }
        if let v = size { writer.write(8, varint: v) }
        if let v = isExternal { writer.write(9, bool: v) }
        if let v = mode { writer.write(10, varint: UInt64(v)) }
        for v in buildID { writer.write(11, varint: UInt64(v)) }
        if let v = checksum { writer.write(12, varint: UInt64(v)) }
        if let v = checksumConfig { writer.write(13, varint: UInt64(v)) }
        if let v = checksumParameter { writer.write(14, varint: UInt64(v)) }
    }
}
