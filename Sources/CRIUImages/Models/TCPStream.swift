/// An established TCP connection's state (`tcp-stream-<ino>.img`); queue data follows as the extra payload. Mirrors `tcp_stream_entry`.
public struct TCPStream: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "tcp_stream_entry"

    /// `inq_len`: Bytes of receive-queue data following the entry.
    public var receiveQueueLength: UInt32 = 0
    /// `inq_seq`: rcv_nxt.
    public var receiveSequence: UInt32 = 0
    /// `outq_len`: Bytes of send-queue data following the receive queue.
    public var sendQueueLength: UInt32 = 0
    /// `outq_seq`: write_seq.
    public var sendSequence: UInt32 = 0
    /// `opt_mask`: TCPI_OPT_* bits (TIMESTAMPS 1, SACK 2, WSCALE 4, ECN 8).
    public var optionMask: UInt32 = 0
    /// `snd_wscale`: Send window scale.
    public var sendWindowScale: UInt32 = 0
    /// `mss_clamp`: MSS.
    public var mssClamp: UInt32 = 0
    /// `rcv_wscale`: Receive window scale.
    public var receiveWindowScale: UInt32?
    /// `timestamp`: TCP timestamp.
    public var timestamp: UInt32?
    /// `cork`: Deprecated; see ``InetSocket/tcpOptions``.
    public var cork: Bool?
    /// `nodelay`: Deprecated; see ``InetSocket/tcpOptions``.
    public var noDelay: Bool?
    /// `unsq_len`: Unsent part of the send queue.
    public var unsentLength: UInt32?
    /// `snd_wl1`: Window update sequence.
    public var sendWL1: UInt32?
    /// `snd_wnd`: Send window.
    public var sendWindow: UInt32?
    /// `max_window`: Max window.
    public var maxWindow: UInt32?
    /// `rcv_wnd`: Receive window.
    public var receiveWindow: UInt32?
    /// `rcv_wup`: rcv_wup.
    public var receiveWUP: UInt32?

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: receiveQueueLength = try reader.u32(key)
            case 2: receiveSequence = try reader.u32(key)
            case 3: sendQueueLength = try reader.u32(key)
            case 4: sendSequence = try reader.u32(key)
            case 5: optionMask = try reader.u32(key)
            case 6: sendWindowScale = try reader.u32(key)
            case 7: mssClamp = try reader.u32(key)
            case 8: receiveWindowScale = try reader.u32(key)
            case 9: timestamp = try reader.u32(key)
            case 10: cork = try reader.bool(key)
            case 11: noDelay = try reader.bool(key)
            case 12: unsentLength = try reader.u32(key)
            case 13: sendWL1 = try reader.u32(key)
            case 14: sendWindow = try reader.u32(key)
            case 15: maxWindow = try reader.u32(key)
            case 16: receiveWindow = try reader.u32(key)
            case 17: receiveWUP = try reader.u32(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

extension TCPStream: EncodableImageMessage {
    /// Writes the model as CRIU writes `tcp_stream_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(receiveQueueLength))
        writer.write(2, varint: UInt64(receiveSequence))
        writer.write(3, varint: UInt64(sendQueueLength))
        writer.write(4, varint: UInt64(sendSequence))
        writer.write(5, varint: UInt64(optionMask))
        writer.write(6, varint: UInt64(sendWindowScale))
        writer.write(7, varint: UInt64(mssClamp))
        if let v = receiveWindowScale { writer.write(8, varint: UInt64(v)) }
        if let v = timestamp { writer.write(9, varint: UInt64(v)) }
        if let v = cork { writer.write(10, bool: v) }
        if let v = noDelay { writer.write(11, bool: v) }
        if let v = unsentLength { writer.write(12, varint: UInt64(v)) }
        if let v = sendWL1 { writer.write(13, varint: UInt64(v)) }
        if let v = sendWindow { writer.write(14, varint: UInt64(v)) }
        if let v = maxWindow { writer.write(15, varint: UInt64(v)) }
        if let v = receiveWindow { writer.write(16, varint: UInt64(v)) }
        if let v = receiveWUP { writer.write(17, varint: UInt64(v)) }
    }
}
