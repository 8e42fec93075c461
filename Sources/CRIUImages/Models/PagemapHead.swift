/// The first entry of a pagemap image. Mirrors `pagemap_head`.
public struct PagemapHead: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "pagemap_head"

    /// `pages_id`: N of the `pages-N.img` holding this pagemap's data (not a pid).
    public var pagesID: UInt32 = 0

    /// A head naming `pages-<pagesID>.img`.
    public init(pagesID: UInt32) {
        self.pagesID = pagesID
    }

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: pagesID = try reader.u32(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

extension PagemapHead: EncodableImageMessage {
    /// Writes the model as CRIU writes `pagemap_head` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(pagesID))
    }
}
