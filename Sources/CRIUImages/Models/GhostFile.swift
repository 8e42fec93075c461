/// A deleted-but-open file's metadata (`ghost-file-<id>.img`); contents follow as chunks or raw. Mirrors `ghost_file_entry`.
public struct GhostFile: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "ghost_file_entry"

    /// `uid`: Owner.
    public var uid: UInt32 = 0
    /// `gid`: Group.
    public var gid: UInt32 = 0
    /// `mode`: st_mode.
    public var mode: UInt32 = 0
    /// `dev`: Original st_dev (kernel encoding).
    public var device: UInt32?
    /// `ino`: Original inode.
    public var inode: UInt64?
    /// `rdev`: Device of a char/block node (glibc encoding).
    public var rdev: UInt32?
    /// `atim`: atime.
    public var accessTime: Timeval?
    /// `mtim`: mtime.
    public var modificationTime: Timeval?
    /// `chunks`: Contents follow as chunk records; otherwise raw to the end of the file.
    public var isChunked: Bool?
    /// `size`: File size (chunked mode).
    public var size: UInt64?
    /// `symlnk_target`: Target of a ghost symlink.
    public var symlinkTarget: LinuxName?

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: uid = try reader.u32(key)
            case 2: gid = try reader.u32(key)
            case 3: mode = try reader.u32(key)
            case 4: device = try reader.u32(key)
            case 5: inode = try reader.u64(key)
            case 6: rdev = try reader.u32(key)
            case 7: accessTime = try reader.message(key)
            case 8: modificationTime = try reader.message(key)
            case 9: isChunked = try reader.bool(key)
            case 10: size = try reader.u64(key)
            case 11: symlinkTarget = try reader.name(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

/// One chunk of a ghost file's contents. Mirrors `ghost_chunk_entry`.
public struct GhostChunk: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "ghost_chunk_entry"

    /// `len`: Length of the data that follows.
    public var length: UInt64 = 0
    /// `off`: Offset of the data in the file.
    public var offset: UInt64 = 0

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: length = try reader.u64(key)
            case 2: offset = try reader.u64(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

/// Seconds and microseconds. Mirrors `timeval`.
public struct Timeval: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "timeval"

    /// `tv_sec`: Seconds.
    public var seconds: UInt64 = 0
    /// `tv_usec`: Microseconds.
    public var microseconds: UInt64 = 0

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: seconds = try reader.u64(key)
            case 2: microseconds = try reader.u64(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

extension GhostFile: EncodableImageMessage {
    /// Writes the model as CRIU writes `ghost_file_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(uid))
        writer.write(2, varint: UInt64(gid))
        writer.write(3, varint: UInt64(mode))
        if let v = device { writer.write(4, varint: UInt64(v)) }
        if let v = inode { writer.write(5, varint: v) }
        if let v = rdev { writer.write(6, varint: UInt64(v)) }
        if let v = accessTime { try writer.write(7, message: v) }
        if let v = modificationTime { try writer.write(8, message: v) }
        if let v = isChunked { writer.write(9, bool: v) }
        if let v = size { writer.write(10, varint: v) }
        if let v = symlinkTarget { writer.write(11, bytes: v.bytes) }
    }
}

extension GhostChunk: EncodableImageMessage {
    /// Writes the model as CRIU writes `ghost_chunk_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: length)
        writer.write(2, varint: offset)
    }
}

extension Timeval: EncodableImageMessage {
    /// Writes the model as CRIU writes `timeval` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: seconds)
        writer.write(2, varint: microseconds)
    }
}
