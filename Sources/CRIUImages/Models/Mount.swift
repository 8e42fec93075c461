/// One mount of a mount namespace (`mountpoints-<id>.img`). Mirrors `mnt_entry`.
public struct Mount: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "mnt_entry"

    /// `fstype`: Filesystem type (AUTO means see ``filesystemName``).
    public var filesystemType: FilesystemType = FilesystemType(rawValue: 0)
    /// `mnt_id`: Mount id as in /proc/PID/mountinfo.
    public var id: UInt32 = 0
    /// `root_dev`: Superblock st_dev, kernel encoding (major<<20|minor).
    public var rootDevice: UInt32 = 0
    /// `parent_mnt_id`: Parent mount id.
    public var parentID: UInt32 = 0
    /// `flags`: Per-mount MS_* flags.
    public var flags: UInt32 = 0
    /// `root`: Root of the mount inside its filesystem.
    public var root: LinuxName = LinuxName(bytes: [])
    /// `mountpoint`: Mount point inside the namespace.
    public var mountPoint: LinuxName = LinuxName(bytes: [])
    /// `source`: Mount source.
    public var source: LinuxName = LinuxName(bytes: [])
    /// `options`: Superblock options.
    public var options: LinuxName = LinuxName(bytes: [])
    /// `shared_id`: Peer group id (shared:N).
    public var sharedID: UInt32?
    /// `master_id`: Master peer group (master:N).
    public var masterID: UInt32?
    /// `with_plugin`: Restored by a plugin.
    public var withPlugin: Bool?
    /// `ext_mount`: External bind mount (obsolete; see ``externalKey``).
    public var isExternalMount: Bool?
    /// `fsname`: Filesystem name when the type is AUTO.
    public var filesystemName: LinuxName?
    /// `internal_sharing`: Sharing set up within the dumped tree.
    public var internalSharing: Bool?
    /// `deleted`: The mount root was deleted.
    public var isDeleted: Bool?
    /// `sb_flags`: Superblock MS_* flags.
    public var superblockFlags: UInt32?
    /// `ext_key`: Key of an external (`--external mnt[...]`) mount.
    public var externalKey: LinuxName?

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: filesystemType = FilesystemType(rawValue: try reader.u32(key))
            case 2: id = try reader.u32(key)
            case 3: rootDevice = try reader.u32(key)
            case 4: parentID = try reader.u32(key)
            case 5: flags = try reader.u32(key)
            case 6: root = try reader.name(key)
            case 7: mountPoint = try reader.name(key)
            case 8: source = try reader.name(key)
            case 9: options = try reader.name(key)
            case 10: sharedID = try reader.u32(key)
            case 11: masterID = try reader.u32(key)
            case 12: withPlugin = try reader.bool(key)
            case 13: isExternalMount = try reader.bool(key)
            case 14: filesystemName = try reader.name(key)
            case 15: internalSharing = try reader.bool(key)
            case 16: isDeleted = try reader.bool(key)
            case 17: superblockFlags = try reader.u32(key)
            case 18: externalKey = try reader.name(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

/// A mount's filesystem type. Mirrors enum `fstype` (stored as a uint32).
public enum FilesystemType: Hashable, Sendable, RawRepresentable {
    /// `UNSUPPORTED` (0).
    case unsupported
    /// `PROC` (1).
    case proc
    /// `SYSFS` (2).
    case sysfs
    /// `DEVTMPFS` (3).
    case devtmpfs
    /// `BINFMT_MISC` (4).
    case binfmtMisc
    /// `TMPFS` (5).
    case tmpfs
    /// `DEVPTS` (6).
    case devpts
    /// `SIMFS` (7).
    case simfs
    /// `PSTORE` (8).
    case pstore
    /// `SECURITYFS` (9).
    case securityfs
    /// `FUSECTL` (10).
    case fusectl
    /// `DEBUGFS` (11).
    case debugfs
    /// `CGROUP` (12).
    case cgroup
    /// `AUFS` (13).
    case aufs
    /// `MQUEUE` (14).
    case mqueue
    /// `FUSE` (15).
    case fuse
    /// `AUTO` (16).
    case auto
    /// `OVERLAYFS` (17).
    case overlayfs
    /// `AUTOFS` (18).
    case autofs
    /// `TRACEFS` (19).
    case tracefs
    /// `CGROUP2` (23).
    case cgroup2
    /// A value this library does not know.
    case unknown(UInt32)

    /// Maps a stored number to a case; numbers this library does not know become `unknown`.
    public init(rawValue: UInt32) {
        switch rawValue {
        case 0: self = .unsupported
        case 1: self = .proc
        case 2: self = .sysfs
        case 3: self = .devtmpfs
        case 4: self = .binfmtMisc
        case 5: self = .tmpfs
        case 6: self = .devpts
        case 7: self = .simfs
        case 8: self = .pstore
        case 9: self = .securityfs
        case 10: self = .fusectl
        case 11: self = .debugfs
        case 12: self = .cgroup
        case 13: self = .aufs
        case 14: self = .mqueue
        case 15: self = .fuse
        case 16: self = .auto
        case 17: self = .overlayfs
        case 18: self = .autofs
        case 19: self = .tracefs
        case 23: self = .cgroup2
        default: self = .unknown(rawValue)
        }
    }

    /// The number as stored in the image.
    public var rawValue: UInt32 {
        switch self {
        case .unsupported: 0
        case .proc: 1
        case .sysfs: 2
        case .devtmpfs: 3
        case .binfmtMisc: 4
        case .tmpfs: 5
        case .devpts: 6
        case .simfs: 7
        case .pstore: 8
        case .securityfs: 9
        case .fusectl: 10
        case .debugfs: 11
        case .cgroup: 12
        case .aufs: 13
        case .mqueue: 14
        case .fuse: 15
        case .auto: 16
        case .overlayfs: 17
        case .autofs: 18
        case .tracefs: 19
        case .cgroup2: 23
        case .unknown(let value): value
        }
    }
}

extension Mount: EncodableImageMessage {
    /// Writes the model as CRIU writes `mnt_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(filesystemType.rawValue))
        writer.write(2, varint: UInt64(id))
        writer.write(3, varint: UInt64(rootDevice))
        writer.write(4, varint: UInt64(parentID))
        writer.write(5, varint: UInt64(flags))
        writer.write(6, bytes: root.bytes)
        writer.write(7, bytes: mountPoint.bytes)
        writer.write(8, bytes: source.bytes)
        writer.write(9, bytes: options.bytes)
        if let v = sharedID { writer.write(10, varint: UInt64(v)) }
        if let v = masterID { writer.write(11, varint: UInt64(v)) }
        if let v = withPlugin { writer.write(12, bool: v) }
        if let v = isExternalMount { writer.write(13, bool: v) }
        if let v = filesystemName { writer.write(14, bytes: v.bytes) }
        if let v = internalSharing { writer.write(15, bool: v) }
        if let v = isDeleted { writer.write(16, bool: v) }
        if let v = superblockFlags { writer.write(17, varint: UInt64(v)) }
        if let v = externalKey { writer.write(18, bytes: v.bytes) }
    }
}
