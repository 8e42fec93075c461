/// The cgroup image (`cgroup.img`): membership sets and dumped hierarchies. Mirrors `cgroup_entry`.
public struct Cgroups: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "cgroup_entry"

    /// `sets`: cgroup sets, one per distinct membership.
    public var sets: [CgroupSet] = []
    /// `controllers`: Controller hierarchies with dumped directory trees.
    public var controllers: [CgroupController] = []

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: try reader.appendMessage(key, to: &sets)
            case 2: try reader.appendMessage(key, to: &controllers)
            default: try reader.skip(key.wireType)
            }
        }
    }

    /// The set with this id (``ThreadCore/cgroupSet``, ``TaskCore/cgroupSet``, ``Inventory/rootCgroupSet``).
    public func set(id: UInt32) -> CgroupSet? { sets.first { $0.id == id } }
}

/// A set of cgroup memberships shared by tasks. Mirrors `cg_set_entry`.
public struct CgroupSet: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "cg_set_entry"

    /// `id`: Set id.
    public var id: UInt32 = 0
    /// `ctls`: One membership per controller hierarchy.
    public var members: [CgroupMember] = []

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: id = try reader.u32(key)
            case 2: try reader.appendMessage(key, to: &members)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

/// A membership in one controller hierarchy. Mirrors `cg_member_entry`.
public struct CgroupMember: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "cg_member_entry"

    /// `name`: Controller name(s), e.g. "cpu,cpuacct", "name=systemd", or "" for cgroup v2.
    public var controllers: LinuxName = LinuxName(bytes: [])
    /// `path`: Path inside the hierarchy.
    public var path: LinuxName = LinuxName(bytes: [])
    /// `cgns_prefix`: Length of the cgroup-namespace root prefix in ``path``.
    public var namespacePrefixLength: UInt32?

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: controllers = try reader.name(key)
            case 2: path = try reader.name(key)
            case 3: namespacePrefixLength = try reader.u32(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

/// A controller hierarchy and its dumped directories. Mirrors `cg_controller_entry`.
public struct CgroupController: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "cg_controller_entry"

    /// `cnames`: Controller names.
    public var names: [LinuxName] = []
    /// `dirs`: Directory tree.
    public var directories: [CgroupDirectory] = []
    /// `is_threaded`: cgroup v2 threaded mode.
    public var isThreaded: Bool?

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: names.append(try reader.name(key))
            case 2: try reader.appendMessage(key, to: &directories)
            case 3: isThreaded = try reader.bool(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

/// A dumped cgroup directory. Mirrors `cgroup_dir_entry`.
public struct CgroupDirectory: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "cgroup_dir_entry"

    /// `dir_name`: Directory name.
    public var name: LinuxName = LinuxName(bytes: [])
    /// `children`: Sub-directories.
    public var children: [CgroupDirectory] = []
    /// `properties`: Saved control files.
    public var properties: [CgroupProperty] = []
    /// `dir_perms`: Directory mode and owner.
    public var permissions: CgroupPermissions?

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        try self.init(from: &reader, depth: 0)
    }

    /// Directories nest; the depth is bounded like the generic decoder's so hostile input cannot exhaust the stack.
    init(from reader: inout WireReader, depth: Int) throws(ImageError) {
        guard depth < GenericDecoder.maximumDepth else {
            throw ImageError(.nestingTooDeep, offset: reader.offset, detail: "cgroup directories nested more than \(GenericDecoder.maximumDepth) levels")
        }
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: name = try reader.name(key)
            case 2:
                try reader.expectLengthDelimited(key)
                var sub = try reader.readSubmessage()
                children.append(try CgroupDirectory(from: &sub, depth: depth + 1))
            case 3: try reader.appendMessage(key, to: &properties)
            case 4: permissions = try reader.message(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

/// A saved cgroup control file. Mirrors `cgroup_prop_entry`.
public struct CgroupProperty: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "cgroup_prop_entry"

    /// `name`: Control file name (e.g. "memory.max").
    public var name: LinuxName = LinuxName(bytes: [])
    /// `value`: Value.
    public var value: LinuxName = LinuxName(bytes: [])
    /// `perms`: File mode and owner.
    public var permissions: CgroupPermissions?

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: name = try reader.name(key)
            case 2: value = try reader.name(key)
            case 3: permissions = try reader.message(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

/// Mode and owner of a cgroup file or directory. Mirrors `cgroup_perms`.
public struct CgroupPermissions: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "cgroup_perms"

    /// `mode`: Mode.
    public var mode: UInt32 = 0
    /// `uid`: Owner uid.
    public var uid: UInt32 = 0
    /// `gid`: Owner gid.
    public var gid: UInt32 = 0

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: mode = try reader.u32(key)
            case 2: uid = try reader.u32(key)
            case 3: gid = try reader.u32(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

extension Cgroups: EncodableImageMessage {
    /// Writes the model as CRIU writes `cgroup_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        for v in sets { try writer.write(1, message: v) }
        for v in controllers { try writer.write(2, message: v) }
    }
}

extension CgroupSet: EncodableImageMessage {
    /// Writes the model as CRIU writes `cg_set_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(id))
        for v in members { try writer.write(2, message: v) }
    }
}

extension CgroupMember: EncodableImageMessage {
    /// Writes the model as CRIU writes `cg_member_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, bytes: controllers.bytes)
        writer.write(2, bytes: path.bytes)
        if let v = namespacePrefixLength { writer.write(3, varint: UInt64(v)) }
    }
}

extension CgroupController: EncodableImageMessage {
    /// Writes the model as CRIU writes `cg_controller_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        for v in names { writer.write(1, bytes: v.bytes) }
        for v in directories { try writer.write(2, message: v) }
        if let v = isThreaded { writer.write(3, bool: v) }
    }
}

extension CgroupProperty: EncodableImageMessage {
    /// Writes the model as CRIU writes `cgroup_prop_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, bytes: name.bytes)
        writer.write(2, bytes: value.bytes)
        if let v = permissions { try writer.write(3, message: v) }
    }
}

extension CgroupPermissions: EncodableImageMessage {
    /// Writes the model as CRIU writes `cgroup_perms` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(mode))
        writer.write(2, varint: UInt64(uid))
        writer.write(3, varint: UInt64(gid))
    }
}

extension CgroupDirectory: EncodableImageMessage {
    /// Writes the model as CRIU writes `cgroup_dir_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, bytes: name.bytes)
        for v in children { try writer.write(2, message: v) }
        for v in properties { try writer.write(3, message: v) }
        if let v = permissions { try writer.write(4, message: v) }
    }
}
