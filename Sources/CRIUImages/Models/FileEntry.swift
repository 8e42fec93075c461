/// One open file description of `files.img`: its type, id and the type's own message.
/// Mirrors `file_entry`.
///
/// `files.img` ids are unique across all types; fdinfo entries refer to them.
public struct FileEntry: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "file_entry"

    /// `type`: which sub-message is set (fd_types).
    public var type: FileDescriptorType = .unknown(0)
    /// `id`: the file-description id (the same as the sub-message's id).
    public var id: UInt32 = 0
    /// The sub-message selected by ``type``.
    public var file: FileDescription = .missing

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        var present: [Int: FileDescription] = [:]
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: type = FileDescriptorType(rawValue: try reader.u32(key))
            case 2: id = try reader.u32(key)
            case 3: present[3] = .regular(try reader.message(key))
            case 4: present[4] = .inetSocket(try reader.message(key))
            case 5: present[5] = .namespace(try reader.message(key))
            case 6: present[6] = .packetSocket(try reader.message(key))
            case 7: present[7] = .netlinkSocket(try reader.message(key))
            case 8: present[8] = .eventfd(try reader.message(key))
            case 9: present[9] = .eventpoll(try reader.message(key))
            case 10: present[10] = .signalfd(try reader.message(key))
            case 11: present[11] = .tun(try reader.message(key))
            case 12: present[12] = .timerfd(try reader.message(key))
            case 13: present[13] = .inotify(try reader.message(key))
            case 14: present[14] = .fanotify(try reader.message(key))
            case 15: present[15] = .external(try reader.message(key))
            case 16: present[16] = .unixSocket(try reader.message(key))
            case 17: present[17] = .fifo(try reader.message(key))
            case 18: present[18] = .pipe(try reader.message(key))
            case 19: present[19] = .tty(try reader.message(key))
            case 20: present[20] = .memfd(try reader.message(key))
            case 21: present[21] = .bpfMap(try reader.message(key))
            case 22: present[22] = .pidfd(try reader.message(key))
            default: try reader.skip(key.wireType)
            }
        }
        if let field = FileDescription.field(for: type) {
            file = present[field] ?? .missing
        } else {
            file = .unknown(type: type.rawValue)
        }
    }
}

/// The object behind an open file description, one case per fd type of CRIU-FORMAT.md 3.10-3.12.
public indirect enum FileDescription: Hashable, Sendable {
    /// REG: `reg_file_entry`.
    case regular(RegularFile)
    /// PIPE: `pipe_entry`.
    case pipe(PipeFile)
    /// FIFO: `fifo_entry`.
    case fifo(FIFOFile)
    /// INETSK: `inet_sk_entry`.
    case inetSocket(InetSocket)
    /// UNIXSK: `unix_sk_entry`.
    case unixSocket(UnixSocket)
    /// PACKETSK: `packet_sock_entry`.
    case packetSocket(PacketSocket)
    /// NETLINKSK: `netlink_sk_entry`.
    case netlinkSocket(NetlinkSocket)
    /// EVENTFD: `eventfd_file_entry`.
    case eventfd(EventFD)
    /// EVENTPOLL: `eventpoll_file_entry`.
    case eventpoll(EventPoll)
    /// SIGNALFD: `signalfd_entry`.
    case signalfd(SignalFD)
    /// INOTIFY: `inotify_file_entry`.
    case inotify(Inotify)
    /// FANOTIFY: `fanotify_file_entry`.
    case fanotify(Fanotify)
    /// TIMERFD: `timerfd_entry`.
    case timerfd(TimerFD)
    /// TTY: `tty_file_entry`.
    case tty(TTYFile)
    /// MEMFD: `memfd_file_entry`.
    case memfd(MemFDFile)
    /// TUNF: `tunfile_entry`.
    case tun(TunFile)
    /// BPFMAP: `bpfmap_file_entry`.
    case bpfMap(BPFMapFile)
    /// PIDFD: `pidfd_entry`.
    case pidfd(PidFD)
    /// NS: `ns_file_entry`.
    case namespace(NamespaceFile)
    /// EXT: `ext_file_entry`.
    case external(ExternalFile)
    /// The type is known but its sub-message is absent (or the type is UND, CTL_TTY or AUTOFS_PIPE, which carry none).
    case missing
    /// A type number this library does not know; the raw number is kept.
    case unknown(type: UInt32)

    /// The `file_entry` field number that carries the sub-message of `type`, or nil for unknown types.
    public static func field(for type: FileDescriptorType) -> Int? {
        switch type {
        case .regular: 3
        case .inetSocket: 4
        case .namespace: 5
        case .packetSocket: 6
        case .netlinkSocket: 7
        case .eventfd: 8
        case .eventpoll: 9
        case .signalfd: 10
        case .tun: 11
        case .timerfd: 12
        case .inotify: 13
        case .fanotify: 14
        case .external: 15
        case .unixSocket: 16
        case .fifo: 17
        case .pipe: 18
        case .tty: 19
        case .memfd: 20
        case .bpfMap: 21
        case .pidfd: 22
        case .undefined, .controllingTTY, .autofsPipe: 0
        case .unknown: nil
        }
    }

    /// The file id stored in the sub-message, when there is one.
    public var id: UInt32? {
        switch self {
        case .regular(let f): f.id
        case .pipe(let f): f.id
        case .fifo(let f): f.id
        case .inetSocket(let f): f.id
        case .unixSocket(let f): f.id
        case .packetSocket(let f): f.id
        case .netlinkSocket(let f): f.id
        case .eventfd(let f): f.id
        case .eventpoll(let f): f.id
        case .signalfd(let f): f.id
        case .inotify(let f): f.id
        case .fanotify(let f): f.id
        case .timerfd(let f): f.id
        case .tty(let f): f.id
        case .memfd(let f): f.id
        case .tun(let f): f.id
        case .bpfMap(let f): f.id
        case .pidfd(let f): f.id
        case .namespace(let f): f.id
        case .external(let f): f.id
        case .missing, .unknown: nil
        }
    }
}

extension FileEntry: EncodableImageMessage {
    /// Writes the model as CRIU writes `file_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, signed: Int64(Int32(truncatingIfNeeded: type.rawValue)))
        writer.write(2, varint: UInt64(id))
        try file.encode(to: &writer)
    }
}

extension FileDescription {
    /// Writes the description as the `file_entry` field its type uses (nothing for ``missing`` and ``unknown(type:)``).
    func encode(to writer: inout WireWriter) throws(ImageError) {
        switch self {
        case .regular(let f): try writer.write(3, message: f)
        case .inetSocket(let f): try writer.write(4, message: f)
        case .namespace(let f): try writer.write(5, message: f)
        case .packetSocket(let f): try writer.write(6, message: f)
        case .netlinkSocket(let f): try writer.write(7, message: f)
        case .eventfd(let f): try writer.write(8, message: f)
        case .eventpoll(let f): try writer.write(9, message: f)
        case .signalfd(let f): try writer.write(10, message: f)
        case .tun(let f): try writer.write(11, message: f)
        case .timerfd(let f): try writer.write(12, message: f)
        case .inotify(let f): try writer.write(13, message: f)
        case .fanotify(let f): try writer.write(14, message: f)
        case .external(let f): try writer.write(15, message: f)
        case .unixSocket(let f): try writer.write(16, message: f)
        case .fifo(let f): try writer.write(17, message: f)
        case .pipe(let f): try writer.write(18, message: f)
        case .tty(let f): try writer.write(19, message: f)
        case .memfd(let f): try writer.write(20, message: f)
        case .bpfMap(let f): try writer.write(21, message: f)
        case .pidfd(let f): try writer.write(22, message: f)
        case .missing, .unknown: break
        }
    }
}
