/// How a deleted or invisible open file is restored (`remap-fpath.img`). Mirrors `remap_file_path_entry`.
public struct RemapFilePath: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "remap_file_path_entry"

    /// `orig_id`: `files.img` id of the file.
    public var originalID: UInt32 = 0
    /// `remap_id`: Ghost file id or linked-remap file id; legacy images set bit 31 for ghosts.
    public var remapID: UInt32 = 0
    /// `remap_type`: Remap kind; absent in old images (see ``effectiveType``).
    public var type: RemapType?

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: originalID = try reader.u32(key)
            case 2: remapID = try reader.u32(key)
            case 3: type = RemapType(rawValue: try reader.u32(key))
            default: try reader.skip(key.wireType)
            }
        }
    }

    /// The remap kind: ``type`` when present, else GHOST if bit 31 of ``remapID`` is set, else LINKED.
    public var effectiveType: RemapType { type ?? (remapID & 0x8000_0000 != 0 ? .ghost : .linked) }
}

/// The kind of a file remap. Mirrors enum `remap_type`.
public enum RemapType: Hashable, Sendable, RawRepresentable {
    /// A hidden hard link (`link_remap.N`) in the container filesystem.
    case linked
    /// Contents in `ghost-file-<id>.img`.
    case ghost
    /// A /proc file.
    case procfs
    /// A value this library does not know.
    case unknown(UInt32)

    /// Maps a stored number to a case; numbers this library does not know become `unknown`.
    public init(rawValue: UInt32) {
        switch rawValue {
        case 0: self = .linked
        case 1: self = .ghost
        case 2: self = .procfs
        default: self = .unknown(rawValue)
        }
    }

    /// The number as stored in the image.
    public var rawValue: UInt32 {
        switch self {
        case .linked: 0
        case .ghost: 1
        case .procfs: 2
        case .unknown(let value): value
        }
    }
}

extension RemapFilePath: EncodableImageMessage {
    /// Writes the model as CRIU writes `remap_file_path_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(originalID))
        writer.write(2, varint: UInt64(remapID))
        if let v = type { writer.write(3, signed: Int64(Int32(truncatingIfNeeded: v.rawValue))) }
    }
}
