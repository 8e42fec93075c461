/// A terminal's state (`tty-info.img`). Mirrors `tty_info_entry`.
public struct TTYInfo: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "tty_info_entry"

    /// `id`: tty id (``TTYFile/ttyInfoID``).
    public var id: UInt32 = 0
    /// `type`: Terminal kind.
    public var type: TTYType = TTYType(rawValue: 0)
    /// `locked`: PTY lock state.
    public var isLocked: Bool = false
    /// `exclusive`: TIOCEXCL.
    public var isExclusive: Bool = false
    /// `packet_mode`: TIOCPKT.
    public var packetMode: Bool = false
    /// `sid`: Session of the controlling terminal.
    public var sessionID: UInt32 = 0
    /// `pgrp`: Foreground process group.
    public var foregroundGroup: UInt32 = 0
    /// `rdev`: st_rdev (glibc encoding).
    public var rdev: UInt32 = 0
    /// `termios`: Termios.
    public var termios: Termios?
    /// `termios_locked`: Locked termios.
    public var lockedTermios: Termios?
    /// `winsize`: Window size.
    public var windowSize: WindowSize?
    /// `pty`: PTY index (pts/N).
    public var ptyIndex: PTYIndex?
    /// `dev`: Device number for VT, console, serial.
    public var device: UInt32?
    /// `uid`: Slave owner uid.
    public var uid: UInt32?
    /// `gid`: Slave owner gid.
    public var gid: UInt32?

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: id = try reader.u32(key)
            case 2: type = TTYType(rawValue: try reader.u32(key))
            case 3: isLocked = try reader.bool(key)
            case 4: isExclusive = try reader.bool(key)
            case 5: packetMode = try reader.bool(key)
            case 6: sessionID = try reader.u32(key)
            case 7: foregroundGroup = try reader.u32(key)
            case 8: rdev = try reader.u32(key)
            case 9: termios = try reader.message(key)
            case 10: lockedTermios = try reader.message(key)
            case 11: windowSize = try reader.message(key)
            case 12: ptyIndex = try reader.message(key)
            case 13: device = try reader.u32(key)
            case 14: uid = try reader.u32(key)
            case 15: gid = try reader.u32(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

/// The kind of a terminal. Mirrors enum `TtyType`.
public enum TTYType: Hashable, Sendable, RawRepresentable {
    /// `UNKNOWN` (0).
    case unknownType
    /// `PTY` (1).
    case pty
    /// `CONSOLE` (2).
    case console
    /// `VT` (3).
    case vt
    /// `CTTY` (4).
    case controllingTTY
    /// `EXT_TTY` (5).
    case externalTTY
    /// `SERIAL` (6).
    case serial
    /// A value this library does not know.
    case unknown(UInt32)

    /// Maps a stored number to a case; numbers this library does not know become `unknown`.
    public init(rawValue: UInt32) {
        switch rawValue {
        case 0: self = .unknownType
        case 1: self = .pty
        case 2: self = .console
        case 3: self = .vt
        case 4: self = .controllingTTY
        case 5: self = .externalTTY
        case 6: self = .serial
        default: self = .unknown(rawValue)
        }
    }

    /// The number as stored in the image.
    public var rawValue: UInt32 {
        switch self {
        case .unknownType: 0
        case .pty: 1
        case .console: 2
        case .vt: 3
        case .controllingTTY: 4
        case .externalTTY: 5
        case .serial: 6
        case .unknown(let value): value
        }
    }
}

/// Terminal attributes. Mirrors `termios_entry`.
public struct Termios: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "termios_entry"

    /// `c_iflag`: c_iflag.
    public var inputFlags: UInt32 = 0
    /// `c_oflag`: c_oflag.
    public var outputFlags: UInt32 = 0
    /// `c_cflag`: c_cflag.
    public var controlFlags: UInt32 = 0
    /// `c_lflag`: c_lflag.
    public var localFlags: UInt32 = 0
    /// `c_line`: c_line.
    public var lineDiscipline: UInt32 = 0
    /// `c_ispeed`: Input speed.
    public var inputSpeed: UInt32 = 0
    /// `c_ospeed`: Output speed.
    public var outputSpeed: UInt32 = 0
    /// `c_cc`: Control characters.
    public var controlCharacters: [UInt32] = []

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: inputFlags = try reader.u32(key)
            case 2: outputFlags = try reader.u32(key)
            case 3: controlFlags = try reader.u32(key)
            case 4: localFlags = try reader.u32(key)
            case 5: lineDiscipline = try reader.u32(key)
            case 6: inputSpeed = try reader.u32(key)
            case 7: outputSpeed = try reader.u32(key)
            case 8: try reader.appendU32(key, to: &controlCharacters)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

/// A terminal window size. Mirrors `winsize_entry`.
public struct WindowSize: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "winsize_entry"

    /// `ws_row`: Rows.
    public var rows: UInt32 = 0
    /// `ws_col`: Columns.
    public var columns: UInt32 = 0
    /// `ws_xpixel`: Width in pixels.
    public var xPixels: UInt32 = 0
    /// `ws_ypixel`: Height in pixels.
    public var yPixels: UInt32 = 0

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: rows = try reader.u32(key)
            case 2: columns = try reader.u32(key)
            case 3: xPixels = try reader.u32(key)
            case 4: yPixels = try reader.u32(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

/// A PTY index. Mirrors `tty_pty_entry`.
public struct PTYIndex: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "tty_pty_entry"

    /// `index`: N of /dev/pts/N.
    public var index: UInt32 = 0

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: index = try reader.u32(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

extension TTYInfo: EncodableImageMessage {
    /// Writes the model as CRIU writes `tty_info_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(id))
        writer.write(2, signed: Int64(Int32(truncatingIfNeeded: type.rawValue)))
        writer.write(3, bool: isLocked)
        writer.write(4, bool: isExclusive)
        writer.write(5, bool: packetMode)
        writer.write(6, varint: UInt64(sessionID))
        writer.write(7, varint: UInt64(foregroundGroup))
        writer.write(8, varint: UInt64(rdev))
        if let v = termios { try writer.write(9, message: v) }
        if let v = lockedTermios { try writer.write(10, message: v) }
        if let v = windowSize { try writer.write(11, message: v) }
        if let v = ptyIndex { try writer.write(12, message: v) }
        if let v = device { writer.write(13, varint: UInt64(v)) }
        if let v = uid { writer.write(14, varint: UInt64(v)) }
        if let v = gid { writer.write(15, varint: UInt64(v)) }
    }
}

extension Termios: EncodableImageMessage {
    /// Writes the model as CRIU writes `termios_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(inputFlags))
        writer.write(2, varint: UInt64(outputFlags))
        writer.write(3, varint: UInt64(controlFlags))
        writer.write(4, varint: UInt64(localFlags))
        writer.write(5, varint: UInt64(lineDiscipline))
        writer.write(6, varint: UInt64(inputSpeed))
        writer.write(7, varint: UInt64(outputSpeed))
        for v in controlCharacters { writer.write(8, varint: UInt64(v)) }
    }
}

extension WindowSize: EncodableImageMessage {
    /// Writes the model as CRIU writes `winsize_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(rows))
        writer.write(2, varint: UInt64(columns))
        writer.write(3, varint: UInt64(xPixels))
        writer.write(4, varint: UInt64(yPixels))
    }
}

extension PTYIndex: EncodableImageMessage {
    /// Writes the model as CRIU writes `tty_pty_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(index))
    }
}
