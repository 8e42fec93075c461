/// An epoll instance. Mirrors `eventpoll_file_entry`.
public struct EventPoll: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "eventpoll_file_entry"

    /// `id`: File id.
    public var id: UInt32 = 0
    /// `flags`: File flags.
    public var flags: UInt32 = 0
    /// `fown`: Owner.
    public var owner: FileOwner = FileOwner()
    /// `tfd`: Watched targets.
    public var targets: [EventPollTarget] = []

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: id = try reader.u32(key)
            case 2: flags = try reader.u32(key)
            case 3: owner = try reader.message(key)
            case 4: try reader.appendMessage(key, to: &targets)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

/// A file watched by an epoll instance. Mirrors `eventpoll_tfd_entry`.
public struct EventPollTarget: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "eventpoll_tfd_entry"

    /// `id`: The epoll file id this target belongs to.
    public var id: UInt32 = 0
    /// `tfd`: Target fd number in the owning task.
    public var fd: UInt32 = 0
    /// `events`: EPOLL* event mask.
    public var events: UInt32 = 0
    /// `data`: User data (epoll_data).
    public var data: UInt64 = 0
    /// `dev`: Target file's st_dev.
    public var device: UInt32?
    /// `inode`: Target inode.
    public var inode: UInt64?
    /// `pos`: Target file position.
    public var position: UInt64?

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: id = try reader.u32(key)
            case 2: fd = try reader.u32(key)
            case 3: events = try reader.u32(key)
            case 4: data = try reader.u64(key)
            case 5: device = try reader.u32(key)
            case 6: inode = try reader.u64(key)
            case 7: position = try reader.u64(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

extension EventPoll: EncodableImageMessage {
    /// Writes the model as CRIU writes `eventpoll_file_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(id))
        writer.write(2, varint: UInt64(flags))
        try writer.write(3, message: owner)
        for v in targets { try writer.write(4, message: v) }
    }
}

extension EventPollTarget: EncodableImageMessage {
    /// Writes the model as CRIU writes `eventpoll_tfd_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(id))
        writer.write(2, varint: UInt64(fd))
        writer.write(3, varint: UInt64(events))
        writer.write(4, varint: data)
        if let v = device { writer.write(5, varint: UInt64(v)) }
        if let v = inode { writer.write(6, varint: v) }
        if let v = position { writer.write(7, varint: v) }
    }
}
