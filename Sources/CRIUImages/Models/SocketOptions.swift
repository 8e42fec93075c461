/// Generic socket options. Mirrors `sk_opts_entry`.
public struct SocketOptions: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "sk_opts_entry"

    /// `so_sndbuf`: SO_SNDBUF as read back (twice what the application set).
    public var sendBuffer: UInt32 = 0
    /// `so_rcvbuf`.
    public var receiveBuffer: UInt32 = 0
    /// `so_snd_tmo_sec`.
    public var sendTimeoutSeconds: UInt64 = 0
    /// `so_snd_tmo_usec`.
    public var sendTimeoutMicroseconds: UInt64 = 0
    /// `so_rcv_tmo_sec`.
    public var receiveTimeoutSeconds: UInt64 = 0
    /// `so_rcv_tmo_usec`.
    public var receiveTimeoutMicroseconds: UInt64 = 0
    /// `reuseaddr`.
    public var reuseAddress: Bool?
    /// `so_priority`.
    public var priority: UInt32?
    /// `so_rcvlowat`.
    public var receiveLowWatermark: UInt32?
    /// `so_mark`.
    public var mark: UInt32?
    /// `so_passcred`.
    public var passCredentials: Bool?
    /// `so_passsec`.
    public var passSecurity: Bool?
    /// `so_dontroute`.
    public var dontRoute: Bool?
    /// `so_no_check`.
    public var noCheck: Bool?
    /// `so_bound_dev`: SO_BINDTODEVICE interface name.
    public var boundDevice: LinuxName?
    /// `so_filter`: attached classic BPF program, one word per `sock_filter` instruction.
    public var filter: [UInt64] = []
    /// `so_reuseport`.
    public var reusePort: Bool?
    /// `so_broadcast`.
    public var broadcast: Bool?
    /// `so_keepalive`.
    public var keepAlive: Bool?
    /// `tcp_keepcnt`: deprecated (see ``TCPOptions``).
    public var tcpKeepCount: UInt32?
    /// `tcp_keepidle`: deprecated.
    public var tcpKeepIdle: UInt32?
    /// `tcp_keepintvl`: deprecated.
    public var tcpKeepInterval: UInt32?
    /// `so_oobinline`.
    public var outOfBandInline: UInt32?
    /// `so_linger`: linger timeout in seconds, present only when lingering is on.
    public var linger: UInt32?
    /// `so_buf_lock`.
    public var bufferLock: UInt32?

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: sendBuffer = try reader.u32(key)
            case 2: receiveBuffer = try reader.u32(key)
            case 3: sendTimeoutSeconds = try reader.u64(key)
            case 4: sendTimeoutMicroseconds = try reader.u64(key)
            case 5: receiveTimeoutSeconds = try reader.u64(key)
            case 6: receiveTimeoutMicroseconds = try reader.u64(key)
            case 7: reuseAddress = try reader.bool(key)
            case 8: priority = try reader.u32(key)
            case 9: receiveLowWatermark = try reader.u32(key)
            case 10: mark = try reader.u32(key)
            case 11: passCredentials = try reader.bool(key)
            case 12: passSecurity = try reader.bool(key)
            case 13: dontRoute = try reader.bool(key)
            case 14: noCheck = try reader.bool(key)
            case 15: boundDevice = try reader.name(key)
            case 16: try reader.appendFixed64(key, to: &filter)
            case 17: reusePort = try reader.bool(key)
            case 18: broadcast = try reader.bool(key)
            case 19: keepAlive = try reader.bool(key)
            case 20: tcpKeepCount = try reader.u32(key)
            case 21: tcpKeepIdle = try reader.u32(key)
            case 22: tcpKeepInterval = try reader.u32(key)
            case 23: outOfBandInline = try reader.u32(key)
            case 24: linger = try reader.u32(key)
            case 25: bufferLock = try reader.u32(key)
            default: try reader.skip(key.wireType)
            }
        }
    }

    init() {}
}

/// The shutdown state of a socket. Mirrors enum `sk_shutdown`.
public enum SocketShutdown: Hashable, Sendable, RawRepresentable {
    /// `NONE` (0).
    case none
    /// `READ` (1).
    case read
    /// `WRITE` (2).
    case write
    /// `BOTH` (3).
    case both
    /// A value this library does not know.
    case unknown(UInt32)

    /// Maps a stored number to a case; numbers this library does not know become `unknown`.
    public init(rawValue: UInt32) {
        switch rawValue {
        case 0: self = .none
        case 1: self = .read
        case 2: self = .write
        case 3: self = .both
        default: self = .unknown(rawValue)
        }
    }

    /// The number as stored in the image.
    public var rawValue: UInt32 {
        switch self {
        case .none: 0
        case .read: 1
        case .write: 2
        case .both: 3
        case .unknown(let value): value
        }
    }
}

extension SocketOptions: EncodableImageMessage {
    /// Writes the model as CRIU writes `sk_opts_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(sendBuffer))
        writer.write(2, varint: UInt64(receiveBuffer))
        writer.write(3, varint: sendTimeoutSeconds)
        writer.write(4, varint: sendTimeoutMicroseconds)
        writer.write(5, varint: receiveTimeoutSeconds)
        writer.write(6, varint: receiveTimeoutMicroseconds)
        if let v = reuseAddress { writer.write(7, bool: v) }
        if let v = priority { writer.write(8, varint: UInt64(v)) }
        if let v = receiveLowWatermark { writer.write(9, varint: UInt64(v)) }
        if let v = mark { writer.write(10, varint: UInt64(v)) }
        if let v = passCredentials { writer.write(11, bool: v) }
        if let v = passSecurity { writer.write(12, bool: v) }
        if let v = dontRoute { writer.write(13, bool: v) }
        if let v = noCheck { writer.write(14, bool: v) }
        if let v = boundDevice { writer.write(15, bytes: v.bytes) }
        for v in filter { writer.write(16, fixed64: UInt64(truncatingIfNeeded: v)) }
        if let v = reusePort { writer.write(17, bool: v) }
        if let v = broadcast { writer.write(18, bool: v) }
        if let v = keepAlive { writer.write(19, bool: v) }
        if let v = tcpKeepCount { writer.write(20, varint: UInt64(v)) }
        if let v = tcpKeepIdle { writer.write(21, varint: UInt64(v)) }
        if let v = tcpKeepInterval { writer.write(22, varint: UInt64(v)) }
        if let v = outOfBandInline { writer.write(23, varint: UInt64(v)) }
        if let v = linger { writer.write(24, varint: UInt64(v)) }
        if let v = bufferLock { writer.write(25, varint: UInt64(v)) }
    }
}
