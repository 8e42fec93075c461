/// A CRIU protobuf message with a typed model, decoded directly from the wire.
///
/// Every model in this module conforms: the messages that make up whole images
/// (``VMA``, ``PagemapEntry``, ``FileEntry``...) and the sub-messages nested in them
/// (``FileOwner``, ``SocketOptions``...). Decoding follows proto2: unknown field numbers
/// are skipped, the last value of a singular field wins, repeated scalars may be packed
/// or not, and required fields that are absent read as their zero value (CRIU always
/// writes them; a decoder that rejected their absence would make a whole image unreadable).
/// A known field that arrives with a wire type its declared type cannot have throws
/// ``ImageError/Code/wrongWireType`` at the offset of its key.
public protocol ImageMessage: Hashable, Sendable {
    /// The CRIU message type this model mirrors (`vma_entry`).
    static var messageName: String { get }
    /// Decodes the rest of `reader` as one message.
    init(from reader: inout WireReader) throws(ImageError)
}

extension ImageMessage {
    /// Decodes `bytes`, a bare serialized message (offsets in errors are relative to `bytes`).
    public init(bytes: [UInt8]) throws(ImageError) {
        self = try withBytes(bytes) { (buffer) throws(ImageError) in
            var reader = WireReader(buffer)
            return try Self(from: &reader)
        }
    }

    /// Decodes one framed entry; `buffer` holds the whole file the entry was framed from,
    /// so error offsets are absolute in that file.
    public static func decode(_ entry: ImageEntry, in buffer: UnsafeRawBufferPointer) throws(ImageError) -> Self {
        var reader = WireReader(buffer, range: entry.range)
        do {
            return try Self(from: &reader)
        } catch {
            throw error.located(entry: entry.index)
        }
    }
}

extension ImageFile {
    /// Decodes every entry of this image whose message type is `T`.
    ///
    /// Entries of other types that the image legitimately holds (a pagemap's
    /// `pagemap_head`, a ghost file's chunks) are left out; asking for a type the image
    /// cannot hold throws ``ImageError/Code/unknownMessage``.
    /// - Parameter buffer: the whole file this image was framed from.
    public func decodeEntries<T: ImageMessage>(_ type: T.Type, in buffer: UnsafeRawBufferPointer) throws(ImageError) -> [T] {
        let holds = entries.contains { $0.message == T.messageName } || kind.message == T.messageName
            || (T.messageName == "pagemap_head" && kind.layout == .pagemap)
            || (T.messageName == "ghost_chunk_entry" && kind.layout == .ghostFile)
        guard holds else {
            throw ImageError(.unknownMessage, offset: 0, detail: "\(kind.name) holds \(kind.message ?? "no protobuf entries"), not \(T.messageName)",
                             file: fileName, image: kind.name)
        }
        var result: [T] = []
        result.reserveCapacity(entries.count)
        for entry in entries where entry.message == T.messageName {
            do {
                result.append(try T.decode(entry, in: buffer))
            } catch {
                throw error.located(file: fileName, image: kind.name, entry: entry.index)
            }
        }
        return result
    }

    /// Decodes every entry of this image whose message type is `T`; `bytes` is the whole file.
    public func decodeEntries<T: ImageMessage>(_ type: T.Type, in bytes: [UInt8]) throws(ImageError) -> [T] {
        try withBytes(bytes) { (buffer) throws(ImageError) in try decodeEntries(type, in: buffer) }
    }
}

/// Frames `bytes` as the image named `fileName` and decodes every entry of type `T`.
///
/// ```swift
/// let vmas = try decodeEntries(MemoryMap.self, from: bytes, fileName: "mm-1.img")
/// ```
/// Errors carry the file name, image kind, entry index and absolute byte offset.
public func decodeEntries<T: ImageMessage>(_ type: T.Type, from bytes: [UInt8], fileName: String) throws(ImageError) -> [T] {
    try withBytes(bytes) { (buffer) throws(ImageError) in
        let image = try ImageFile.parse(buffer, fileName: fileName)
        return try image.decodeEntries(type, in: buffer)
    }
}

/// Frames `bytes` as a single-entry image (`inventory.img`, `core-N.img`, `mm-N.img`...) and
/// decodes its entry as `T`. Throws ``ImageError/Code/unexpectedEntryCount`` when the image is empty.
public func decodeEntry<T: ImageMessage>(_ type: T.Type, from bytes: [UInt8], fileName: String) throws(ImageError) -> T {
    let all = try decodeEntries(type, from: bytes, fileName: fileName)
    guard let first = all.first else {
        throw ImageError(.unexpectedEntryCount, offset: 0, detail: "no \(T.messageName) entry", file: fileName)
    }
    return first
}
