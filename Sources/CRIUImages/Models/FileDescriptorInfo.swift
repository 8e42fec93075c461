/// One descriptor of a task's fd table (`fdinfo-<files_id>.img`). Mirrors `fdinfo_entry`.
public struct FileDescriptorInfo: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "fdinfo_entry"

    /// `id`: the `files.img` id of the open file description.
    public var id: UInt32 = 0
    /// `flags`: fd flags (FD_CLOEXEC = 1).
    public var flags: UInt32 = 0
    /// `type`: the description's type (must match its `files.img` entry).
    public var type: FileDescriptorType = .unknown(0)
    /// `fd`: the descriptor number.
    public var fd: UInt32 = 0
    /// `xattr_security_selinux`: SELinux label of a socket fd.
    public var selinuxLabel: LinuxName?

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: id = try reader.u32(key)
            case 2: flags = try reader.u32(key)
            case 3: type = FileDescriptorType(rawValue: try reader.u32(key))
            case 4: fd = try reader.u32(key)
            case 5: selinuxLabel = try reader.name(key)
            default: try reader.skip(key.wireType)
            }
        }
    }

    /// True when FD_CLOEXEC is set.
    public var isCloseOnExec: Bool { flags & 1 != 0 }
}

/// The type of an open file description. Mirrors enum `fd_types`.
public enum FileDescriptorType: Hashable, Sendable, RawRepresentable, CustomStringConvertible {
    /// UND (0): undefined.
    case undefined
    /// `REG` (1).
    case regular
    /// `PIPE` (2).
    case pipe
    /// `FIFO` (3).
    case fifo
    /// `INETSK` (4).
    case inetSocket
    /// `UNIXSK` (5).
    case unixSocket
    /// `EVENTFD` (6).
    case eventfd
    /// `EVENTPOLL` (7).
    case eventpoll
    /// `INOTIFY` (8).
    case inotify
    /// `SIGNALFD` (9).
    case signalfd
    /// `PACKETSK` (10).
    case packetSocket
    /// `TTY` (11).
    case tty
    /// `FANOTIFY` (12).
    case fanotify
    /// `NETLINKSK` (13).
    case netlinkSocket
    /// `NS` (14).
    case namespace
    /// `TUNF` (15).
    case tun
    /// `EXT` (16).
    case external
    /// `TIMERFD` (17).
    case timerfd
    /// `MEMFD` (18).
    case memfd
    /// `BPFMAP` (19).
    case bpfMap
    /// `PIDFD` (20).
    case pidfd
    /// CTL_TTY (65534): internal, never stored.
    case controllingTTY
    /// AUTOFS_PIPE (65535): internal, never stored.
    case autofsPipe
    /// A type number this library does not know (a newer CRIU's).
    case unknown(UInt32)

    /// Maps a stored number to a case; numbers this library does not know become `unknown`.
    public init(rawValue: UInt32) {
        switch rawValue {
        case 0: self = .undefined
        case 1: self = .regular
        case 2: self = .pipe
        case 3: self = .fifo
        case 4: self = .inetSocket
        case 5: self = .unixSocket
        case 6: self = .eventfd
        case 7: self = .eventpoll
        case 8: self = .inotify
        case 9: self = .signalfd
        case 10: self = .packetSocket
        case 11: self = .tty
        case 12: self = .fanotify
        case 13: self = .netlinkSocket
        case 14: self = .namespace
        case 15: self = .tun
        case 16: self = .external
        case 17: self = .timerfd
        case 18: self = .memfd
        case 19: self = .bpfMap
        case 20: self = .pidfd
        case 65534: self = .controllingTTY
        case 65535: self = .autofsPipe
        default: self = .unknown(rawValue)
        }
    }

    /// The number as stored in the image.
    public var rawValue: UInt32 {
        switch self {
        case .undefined: 0
        case .regular: 1
        case .pipe: 2
        case .fifo: 3
        case .inetSocket: 4
        case .unixSocket: 5
        case .eventfd: 6
        case .eventpoll: 7
        case .inotify: 8
        case .signalfd: 9
        case .packetSocket: 10
        case .tty: 11
        case .fanotify: 12
        case .netlinkSocket: 13
        case .namespace: 14
        case .tun: 15
        case .external: 16
        case .timerfd: 17
        case .memfd: 18
        case .bpfMap: 19
        case .pidfd: 20
        case .controllingTTY: 65534
        case .autofsPipe: 65535
        case .unknown(let value): value
        }
    }

    /// CRIU's name (`REG`, `INETSK`...), or the number for unknown types.
    public var description: String {
        switch self {
        case .undefined: "UND"
        case .regular: "REG"
        case .pipe: "PIPE"
        case .fifo: "FIFO"
        case .inetSocket: "INETSK"
        case .unixSocket: "UNIXSK"
        case .eventfd: "EVENTFD"
        case .eventpoll: "EVENTPOLL"
        case .inotify: "INOTIFY"
        case .signalfd: "SIGNALFD"
        case .packetSocket: "PACKETSK"
        case .tty: "TTY"
        case .fanotify: "FANOTIFY"
        case .netlinkSocket: "NETLINKSK"
        case .namespace: "NS"
        case .tun: "TUNF"
        case .external: "EXT"
        case .timerfd: "TIMERFD"
        case .memfd: "MEMFD"
        case .bpfMap: "BPFMAP"
        case .pidfd: "PIDFD"
        case .controllingTTY: "CTL_TTY"
        case .autofsPipe: "AUTOFS_PIPE"
        case .unknown(let value): "\(value)"
        }
    }
}

extension FileDescriptorInfo: EncodableImageMessage {
    /// Writes the model as CRIU writes `fdinfo_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(id))
        writer.write(2, varint: UInt64(flags))
        writer.write(3, signed: Int64(Int32(truncatingIfNeeded: type.rawValue)))
        writer.write(4, varint: UInt64(fd))
        if let v = selinuxLabel { writer.write(5, bytes: v.bytes) }
    }
}
