/// A memfd's inode (`memfd.img`); its contents are in `pagemap-shmem-<shmid>.img`. Mirrors `memfd_inode_entry`.
public struct MemFDInode: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "memfd_inode_entry"

    /// `name`: memfd name without the "memfd:" prefix.
    public var name: LinuxName = LinuxName(bytes: [])
    /// `uid`: Owner uid.
    public var uid: UInt32 = 0
    /// `gid`: Owner gid.
    public var gid: UInt32 = 0
    /// `size`: Size.
    public var size: UInt64 = 0
    /// `shmid`: shmem id of the contents.
    public var shmid: UInt32 = 0
    /// `seals`: F_SEAL_* bits.
    public var seals: Seals = []
    /// `inode_id`: Id referenced by ``MemFDFile/inodeID``.
    public var inodeID: UInt64 = 0
    /// `hugetlb_flag`: MFD_HUGETLB and size bits.
    public var hugeTLBFlags: UInt32?
    /// `mode`: st_mode.
    public var mode: UInt32?

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: name = try reader.name(key)
            case 2: uid = try reader.u32(key)
            case 3: gid = try reader.u32(key)
            case 4: size = try reader.u64(key)
            case 5: shmid = try reader.u32(key)
            case 6: seals = Seals(rawValue: try reader.u32(key))
            case 7: inodeID = try reader.u64(key)
            case 8: hugeTLBFlags = try reader.u32(key)
            case 9: mode = try reader.u32(key)
            default: try reader.skip(key.wireType)
            }
        }
    }

    /// F_SEAL_* bits.
    public struct Seals: OptionSet, Hashable, Sendable {
        /// The bits as stored in the image.
        public var rawValue: UInt32
        /// A set from stored bits.
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// F_SEAL_SEAL.
        public static let seal = Seals(rawValue: 0x1)
        /// F_SEAL_SHRINK.
        public static let shrink = Seals(rawValue: 0x2)
        /// F_SEAL_GROW.
        public static let grow = Seals(rawValue: 0x4)
        /// F_SEAL_WRITE.
        public static let write = Seals(rawValue: 0x8)
        /// F_SEAL_FUTURE_WRITE.
        public static let futureWrite = Seals(rawValue: 0x10)
    }
}

extension MemFDInode: EncodableImageMessage {
    /// Writes the model as CRIU writes `memfd_inode_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, bytes: name.bytes)
        writer.write(2, varint: UInt64(uid))
        writer.write(3, varint: UInt64(gid))
        writer.write(4, varint: size)
        writer.write(5, varint: UInt64(shmid))
        writer.write(6, varint: UInt64(seals.rawValue))
        writer.write(7, varint: inodeID)
        if let v = hugeTLBFlags { writer.write(8, varint: UInt64(v)) }
        if let v = mode { writer.write(9, varint: UInt64(v)) }
    }
}
