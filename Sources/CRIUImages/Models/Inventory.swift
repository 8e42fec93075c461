/// The image set's header, `inventory.img`. Mirrors `inventory_entry`.
public struct Inventory: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "inventory_entry"

    /// Image-set format version (`img_version`): 2 for current images, 1 ancient, 0 in pre-dump directories.
    public var imageVersion: UInt32 = 0
    /// `fdinfo_per_id`: fdinfo images are named by files id (always true in supported images).
    public var fdinfoPerID: Bool?
    /// `root_ids`: namespace and kernel-object ids of CRIU itself at dump time.
    public var rootIDs: KernelObjectIDs?
    /// `ns_per_id`: namespace images are named by namespace id.
    public var namespacesPerID: Bool?
    /// `root_cg_set`: the cgroup set id of CRIU itself.
    public var rootCgroupSet: UInt32?
    /// `lsmtype`: the host LSM at dump time.
    public var lsmType: LSMType?
    /// `dump_uptime`: host uptime in microseconds at dump (memory tracking only).
    public var dumpUptime: UInt64?
    /// `pre_dump_mode`: 1 = splice, 2 = read.
    public var preDumpMode: UInt32?
    /// `tcp_close`: dumped with `--tcp-close`.
    public var tcpClose: Bool?
    /// `network_lock_method`: 0 iptables, 1 nftables, 2 skip.
    public var networkLockMethod: UInt32?
    /// `plugins_entry.plugins`: names of the CRIU plugins active at dump (4.1+); nil when not recorded.
    public var plugins: [String]?
    /// `dump_criu_run_id`: random run id of the dumping CRIU (4.1+).
    public var dumpRunID: String?
    /// `allow_uprobes`: dumped with `--allow-uprobes` (4.2+).
    public var allowUprobes: Bool?

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: imageVersion = try reader.u32(key)
            case 2: fdinfoPerID = try reader.bool(key)
            case 3: rootIDs = try reader.message(key)
            case 4: namespacesPerID = try reader.bool(key)
            case 5: rootCgroupSet = try reader.u32(key)
            case 6: lsmType = LSMType(rawValue: try reader.u32(key))
            case 8: dumpUptime = try reader.u64(key)
            case 9: preDumpMode = try reader.u32(key)
            case 10: tcpClose = try reader.bool(key)
            case 11: networkLockMethod = try reader.u32(key)
            case 12:
                let entry: PluginsEntry = try reader.message(key)
                plugins = (plugins ?? []) + entry.plugins
            case 13: dumpRunID = try reader.text(key)
            case 14: allowUprobes = try reader.bool(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

/// The plugin list of ``Inventory/plugins``. Mirrors `plugins_entry` (whose one field is number 12).
struct PluginsEntry: ImageMessage {
    static let messageName = "plugins_entry"
    var plugins: [String] = []

    init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            if key.number == 12 { plugins.append(try reader.text(key)) } else { try reader.skip(key.wireType) }
        }
    }
}

/// The Linux security module of the dumping host. Mirrors enum `lsmtype`.
public enum LSMType: Hashable, Sendable, RawRepresentable {
    /// `NO_LSM` (0).
    case none
    /// `SELINUX` (1).
    case selinux
    /// `APPARMOR` (2).
    case apparmor
    /// A value this library does not know.
    case unknown(UInt32)

    /// Maps a stored number to a case; numbers this library does not know become `unknown`.
    public init(rawValue: UInt32) {
        switch rawValue {
        case 0: self = .none
        case 1: self = .selinux
        case 2: self = .apparmor
        default: self = .unknown(rawValue)
        }
    }

    /// The number as stored in the image.
    public var rawValue: UInt32 {
        switch self {
        case .none: 0
        case .selinux: 1
        case .apparmor: 2
        case .unknown(let value): value
        }
    }
}

extension Inventory: EncodableImageMessage {
    /// Writes the model as CRIU writes `inventory_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(imageVersion))
        if let v = fdinfoPerID { writer.write(2, bool: v) }
        if let v = rootIDs { try writer.write(3, message: v) }
        if let v = namespacesPerID { writer.write(4, bool: v) }
        if let v = rootCgroupSet { writer.write(5, varint: UInt64(v)) }
        if let v = lsmType { writer.write(6, signed: Int64(Int32(truncatingIfNeeded: v.rawValue))) }
        if let v = dumpUptime { writer.write(8, varint: v) }
        if let v = preDumpMode { writer.write(9, varint: UInt64(v)) }
        if let v = tcpClose { writer.write(10, bool: v) }
        if let v = networkLockMethod { writer.write(11, varint: UInt64(v)) }
        if let v = plugins { writer.writeMessage(12) { w in for p in v { w.write(12, bytes: Array(p.utf8)) } } }
        if let v = dumpRunID { writer.write(13, bytes: Array(v.utf8)) }
        if let v = allowUprobes { writer.write(14, bool: v) }
    }
}
