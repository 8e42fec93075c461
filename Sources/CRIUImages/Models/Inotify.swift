/// An inotify instance. Mirrors `inotify_file_entry`.
public struct Inotify: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "inotify_file_entry"

    /// `id`: File id.
    public var id: UInt32 = 0
    /// `flags`: File flags.
    public var flags: UInt32 = 0
    /// `fown`: Owner.
    public var owner: FileOwner = FileOwner()
    /// `wd`: Watches.
    public var watches: [InotifyWatch] = []

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: id = try reader.u32(key)
            case 2: flags = try reader.u32(key)
            case 4: owner = try reader.message(key)
            case 5: try reader.appendMessage(key, to: &watches)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

/// An inotify watch. Mirrors `inotify_wd_entry`.
public struct InotifyWatch: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "inotify_wd_entry"

    /// `id`: The inotify file id.
    public var id: UInt32 = 0
    /// `i_ino`: Watched inode.
    public var inode: UInt64 = 0
    /// `mask`: IN_* mask.
    public var mask: UInt32 = 0
    /// `ignored_mask`: Ignored mask.
    public var ignoredMask: UInt32 = 0
    /// `s_dev`: st_dev (kernel encoding major<<20|minor).
    public var device: UInt32 = 0
    /// `wd`: Watch descriptor.
    public var watchDescriptor: UInt32 = 0
    /// `f_handle`: File handle of the inode.
    public var handle: FileHandle = FileHandle()

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: id = try reader.u32(key)
            case 2: inode = try reader.u64(key)
            case 3: mask = try reader.u32(key)
            case 4: ignoredMask = try reader.u32(key)
            case 5: device = try reader.u32(key)
            case 6: watchDescriptor = try reader.u32(key)
            case 7: handle = try reader.message(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

extension Inotify: EncodableImageMessage {
    /// Writes the model as CRIU writes `inotify_file_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(id))
        writer.write(2, varint: UInt64(flags))
        try writer.write(4, message: owner)
        for v in watches { try writer.write(5, message: v) }
    }
}

extension InotifyWatch: EncodableImageMessage {
    /// Writes the model as CRIU writes `inotify_wd_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(id))
        writer.write(2, varint: inode)
        writer.write(3, varint: UInt64(mask))
        writer.write(4, varint: UInt64(ignoredMask))
        writer.write(5, varint: UInt64(device))
        writer.write(6, varint: UInt64(watchDescriptor))
        try writer.write(7, message: handle)
    }
}
