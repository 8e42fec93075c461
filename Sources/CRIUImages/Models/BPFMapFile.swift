/// A BPF map fd. Mirrors `bpfmap_file_entry`.
public struct BPFMapFile: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "bpfmap_file_entry"

    /// `id`: File id.
    public var id: UInt32 = 0
    /// `flags`: File flags.
    public var flags: UInt32 = 0
    /// `pos`: Offset.
    public var position: UInt64 = 0
    /// `fown`: Owner.
    public var owner: FileOwner = FileOwner()
    /// `map_type`: BPF_MAP_TYPE_*.
    public var mapType: UInt32 = 0
    /// `key_size`: Key size.
    public var keySize: UInt32 = 0
    /// `value_size`: Value size.
    public var valueSize: UInt32 = 0
    /// `map_id`: Kernel map id (keys `bpfmap-data`).
    public var mapID: UInt32 = 0
    /// `max_entries`: Max entries.
    public var maxEntries: UInt32 = 0
    /// `map_flags`: Map flags.
    public var mapFlags: UInt32 = 0
    /// `memlock`: memlock bytes.
    public var memlock: UInt64 = 0
    /// `frozen`: Frozen.
    public var isFrozen: Bool = false
    /// `map_name`: Map name.
    public var mapName: LinuxName = LinuxName(bytes: [])
    /// `ifindex`: Offload interface index.
    public var interfaceIndex: UInt32 = 0
    /// `mnt_id`: Mount id; -1 (the proto2 default) when not recorded.
    public var mountID: Int32 = -1
    /// `map_extra`: map_extra.
    public var mapExtra: UInt64?

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: id = try reader.u32(key)
            case 2: flags = try reader.u32(key)
            case 3: position = try reader.u64(key)
            case 4: owner = try reader.message(key)
            case 5: mapType = try reader.u32(key)
            case 6: keySize = try reader.u32(key)
            case 7: valueSize = try reader.u32(key)
            case 8: mapID = try reader.u32(key)
            case 9: maxEntries = try reader.u32(key)
            case 10: mapFlags = try reader.u32(key)
            case 11: memlock = try reader.u64(key)
            case 12: isFrozen = try reader.bool(key)
            case 13: mapName = try reader.name(key)
            case 14: interfaceIndex = try reader.u32(key)
            case 15: mountID = try reader.s32(key)
            case 16: mapExtra = try reader.u64(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

extension BPFMapFile: EncodableImageMessage {
    /// Writes the model as CRIU writes `bpfmap_file_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(id))
        writer.write(2, varint: UInt64(flags))
        writer.write(3, varint: position)
        try writer.write(4, message: owner)
        writer.write(5, varint: UInt64(mapType))
        writer.write(6, varint: UInt64(keySize))
        writer.write(7, varint: UInt64(valueSize))
        writer.write(8, varint: UInt64(mapID))
        writer.write(9, varint: UInt64(maxEntries))
        writer.write(10, varint: UInt64(mapFlags))
        writer.write(11, varint: memlock)
        writer.write(12, bool: isFrozen)
        writer.write(13, bytes: mapName.bytes)
        writer.write(14, varint: UInt64(interfaceIndex))
        if mountID != -1 { writer.write(15, sint32: mountID) }
        if let v = mapExtra { writer.write(16, varint: v) }
    }
}
