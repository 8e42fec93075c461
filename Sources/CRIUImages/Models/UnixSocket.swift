/// A unix-domain socket. Mirrors `unix_sk_entry`.
public struct UnixSocket: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "unix_sk_entry"

    /// `id`: File id.
    public var id: UInt32 = 0
    /// `ino`: Socket inode number (peers reference it).
    public var inode: UInt32 = 0
    /// `type`: SOCK_STREAM 1, SOCK_DGRAM 2, SOCK_SEQPACKET 5.
    public var type: UInt32 = 0
    /// `state`: TCP-style state: ESTABLISHED 1, CLOSE 7, LISTEN 10.
    public var state: UInt32 = 0
    /// `flags`: File flags (O_NONBLOCK...).
    public var flags: UInt32 = 0
    /// `uflags`: CRIU flags: EXTERN 1, SERVICE 2, CALLBACK 4, INHERIT 8.
    public var criuFlags: UInt32 = 0
    /// `backlog`: Listen backlog.
    public var backlog: UInt32 = 0
    /// `peer`: Inode of the peer (0 = none).
    public var peer: UInt32 = 0
    /// `fown`: Owner.
    public var owner: FileOwner = FileOwner()
    /// `opts`: Socket options.
    public var options: SocketOptions = SocketOptions()
    /// `name`: Bound address bytes: a path, or a leading NUL for an abstract name; may be empty.
    public var name: [UInt8] = []
    /// `shutdown`: Shutdown state.
    public var shutdown: SocketShutdown?
    /// `file_perms`: Mode and owner of a bound path socket's file.
    public var filePermissions: FilePermissions?
    /// `name_dir`: Directory a relative name is relative to.
    public var nameDirectory: LinuxName?
    /// `deleted`: The bound path no longer exists.
    public var isDeleted: Bool?
    /// `ns_id`: Network namespace id.
    public var netNamespaceID: UInt32?
    /// `mnt_id`: Mount id of the socket's path; -1 (the proto2 default) when not recorded.
    public var mountID: Int32 = -1

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: id = try reader.u32(key)
            case 2: inode = try reader.u32(key)
            case 3: type = try reader.u32(key)
            case 4: state = try reader.u32(key)
            case 5: flags = try reader.u32(key)
            case 6: criuFlags = try reader.u32(key)
            case 7: backlog = try reader.u32(key)
            case 8: peer = try reader.u32(key)
            case 9: owner = try reader.message(key)
            case 10: options = try reader.message(key)
            case 11: name = try reader.bytes(key)
            case 12: shutdown = SocketShutdown(rawValue: try reader.u32(key))
            case 13: filePermissions = try reader.message(key)
            case 14: nameDirectory = try reader.name(key)
            case 15: isDeleted = try reader.bool(key)
            case 16: netNamespaceID = try reader.u32(key)
            case 17: mountID = try reader.s32(key)
            default: try reader.skip(key.wireType)
            }
        }
    }

    /// True for an abstract name (leading NUL byte).
    public var isAbstract: Bool { name.first == 0 }

    /// The bound name as a path (abstract names without their leading NUL, trailing NULs dropped).
    public var path: LinuxName {
        var bytes = name
        if bytes.first == 0 { bytes.removeFirst() }
        while bytes.last == 0 { bytes.removeLast() }
        return LinuxName(bytes: bytes)
    }
}

/// Mode and owner of a unix socket's file. Mirrors `file_perms_entry`.
public struct FilePermissions: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "file_perms_entry"

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

extension UnixSocket: EncodableImageMessage {
    /// Writes the model as CRIU writes `unix_sk_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(id))
        writer.write(2, varint: UInt64(inode))
        writer.write(3, varint: UInt64(type))
        writer.write(4, varint: UInt64(state))
        writer.write(5, varint: UInt64(flags))
        writer.write(6, varint: UInt64(criuFlags))
        writer.write(7, varint: UInt64(backlog))
        writer.write(8, varint: UInt64(peer))
        try writer.write(9, message: owner)
        try writer.write(10, message: options)
        writer.write(11, bytes: name)
        if let v = shutdown { writer.write(12, signed: Int64(Int32(truncatingIfNeeded: v.rawValue))) }
        if let v = filePermissions { try writer.write(13, message: v) }
        if let v = nameDirectory { writer.write(14, bytes: v.bytes) }
        if let v = isDeleted { writer.write(15, bool: v) }
        if let v = netNamespaceID { writer.write(16, varint: UInt64(v)) }
        if mountID != -1 { writer.write(17, sint32: mountID) }
    }
}

extension FilePermissions: EncodableImageMessage {
    /// Writes the model as CRIU writes `file_perms_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(mode))
        writer.write(2, varint: UInt64(uid))
        writer.write(3, varint: UInt64(gid))
    }
}
