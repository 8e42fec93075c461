/// A fanotify instance. Mirrors `fanotify_file_entry`.
public struct Fanotify: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "fanotify_file_entry"

    /// `id`: File id.
    public var id: UInt32 = 0
    /// `flags`: File flags.
    public var flags: UInt32 = 0
    /// `fown`: Owner.
    public var owner: FileOwner = FileOwner()
    /// `faflags`: fanotify_init flags.
    public var initFlags: UInt32 = 0
    /// `evflags`: event_f_flags.
    public var eventFlags: UInt32 = 0
    /// `mark`: Marks.
    public var marks: [FanotifyMark] = []

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: id = try reader.u32(key)
            case 2: flags = try reader.u32(key)
            case 3: owner = try reader.message(key)
            case 4: initFlags = try reader.u32(key)
            case 5: eventFlags = try reader.u32(key)
            case 6: try reader.appendMessage(key, to: &marks)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

/// A fanotify mark on an inode or a mount. Mirrors `fanotify_mark_entry`.
public struct FanotifyMark: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "fanotify_mark_entry"

    /// `id`: The fanotify file id.
    public var id: UInt32 = 0
    /// `type`: Inode or mount mark.
    public var type: FanotifyMarkType = FanotifyMarkType(rawValue: 0)
    /// `mflags`: Mark flags.
    public var flags: UInt32 = 0
    /// `mask`: Mask.
    public var mask: UInt32 = 0
    /// `ignored_mask`: Ignored mask.
    public var ignoredMask: UInt32 = 0
    /// `s_dev`: st_dev (kernel encoding).
    public var device: UInt32 = 0
    /// `ie`: Inode mark details.
    public var inodeMark: FanotifyInodeMark?
    /// `me`: Mount mark details.
    public var mountMark: FanotifyMountMark?

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: id = try reader.u32(key)
            case 2: type = FanotifyMarkType(rawValue: try reader.u32(key))
            case 3: flags = try reader.u32(key)
            case 4: mask = try reader.u32(key)
            case 5: ignoredMask = try reader.u32(key)
            case 6: device = try reader.u32(key)
            case 7: inodeMark = try reader.message(key)
            case 8: mountMark = try reader.message(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

/// What a fanotify mark is attached to. Mirrors enum `mark_type`.
public enum FanotifyMarkType: Hashable, Sendable, RawRepresentable {
    /// `INODE` (1).
    case inode
    /// `MOUNT` (2).
    case mount
    /// A value this library does not know.
    case unknown(UInt32)

    /// Maps a stored number to a case; numbers this library does not know become `unknown`.
    public init(rawValue: UInt32) {
        switch rawValue {
        case 1: self = .inode
        case 2: self = .mount
        default: self = .unknown(rawValue)
        }
    }

    /// The number as stored in the image.
    public var rawValue: UInt32 {
        switch self {
        case .inode: 1
        case .mount: 2
        case .unknown(let value): value
        }
    }
}

/// The inode of a fanotify inode mark. Mirrors `fanotify_inode_mark_entry`.
public struct FanotifyInodeMark: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "fanotify_inode_mark_entry"

    /// `i_ino`: Inode.
    public var inode: UInt64 = 0
    /// `f_handle`: File handle.
    public var handle: FileHandle = FileHandle()

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: inode = try reader.u64(key)
            case 2: handle = try reader.message(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

/// The mount of a fanotify mount mark. Mirrors `fanotify_mount_mark_entry`.
public struct FanotifyMountMark: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "fanotify_mount_mark_entry"

    /// `mnt_id`: Mount id.
    public var mountID: UInt32 = 0
    /// `path`: Mount path.
    public var path: LinuxName?

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: mountID = try reader.u32(key)
            case 2: path = try reader.name(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

extension Fanotify: EncodableImageMessage {
    /// Writes the model as CRIU writes `fanotify_file_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(id))
        writer.write(2, varint: UInt64(flags))
        try writer.write(3, message: owner)
        writer.write(4, varint: UInt64(initFlags))
        writer.write(5, varint: UInt64(eventFlags))
        for v in marks { try writer.write(6, message: v) }
    }
}

extension FanotifyMark: EncodableImageMessage {
    /// Writes the model as CRIU writes `fanotify_mark_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(id))
        writer.write(2, signed: Int64(Int32(truncatingIfNeeded: type.rawValue)))
        writer.write(3, varint: UInt64(flags))
        writer.write(4, varint: UInt64(mask))
        writer.write(5, varint: UInt64(ignoredMask))
        writer.write(6, varint: UInt64(device))
        if let v = inodeMark { try writer.write(7, message: v) }
        if let v = mountMark { try writer.write(8, message: v) }
    }
}

extension FanotifyInodeMark: EncodableImageMessage {
    /// Writes the model as CRIU writes `fanotify_inode_mark_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: inode)
        try writer.write(2, message: handle)
    }
}

extension FanotifyMountMark: EncodableImageMessage {
    /// Writes the model as CRIU writes `fanotify_mount_mark_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(mountID))
        if let v = path { writer.write(2, bytes: v.bytes) }
    }
}
