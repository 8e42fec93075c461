/// A whole pagemap image (`pagemap-<pid>.img`, `pagemap-shmem-<shmid>.img`): the header naming
/// the pages file, then the runs in file order.
public struct Pagemap: Hashable, Sendable {
    /// The `pagemap_head`.
    public var head: PagemapHead
    /// The `pagemap_entry` runs, ascending by address.
    public var entries: [PagemapEntry]

    /// A pagemap from its head and runs.
    public init(head: PagemapHead, entries: [PagemapEntry]) {
        self.head = head
        self.entries = entries
    }

    /// `head.pagesID`: N of the `pages-N.img` with this pagemap's data.
    public var pagesID: UInt32 { head.pagesID }

    /// Decodes a framed pagemap image; `buffer` is the whole file.
    public init(_ image: ImageFile, in buffer: UnsafeRawBufferPointer) throws(ImageError) {
        guard image.kind.layout == .pagemap else {
            throw ImageError(.unknownMessage, offset: 0, detail: "\(image.kind.name) is not a pagemap", file: image.fileName, image: image.kind.name)
        }
        guard let first = image.entries.first else {
            throw ImageError(.unexpectedEntryCount, offset: image.size, detail: "a pagemap starts with a pagemap_head", file: image.fileName, image: image.kind.name)
        }
        do throws(ImageError) {
            head = try PagemapHead.decode(first, in: buffer)
            var entries: [PagemapEntry] = []
            entries.reserveCapacity(image.entries.count - 1)
            for entry in image.entries.dropFirst() {
                entries.append(try PagemapEntry.decode(entry, in: buffer))
            }
            self.entries = entries
        } catch {
            throw error.located(file: image.fileName, image: image.kind.name)
        }
    }

    /// Frames and decodes the pagemap image named `fileName`.
    public static func decode(_ bytes: [UInt8], fileName: String) throws(ImageError) -> Pagemap {
        try withBytes(bytes) { (buffer) throws(ImageError) in
            try Pagemap(try ImageFile.parse(buffer, fileName: fileName), in: buffer)
        }
    }

    /// Pages whose data is in this image set's pages file (PE_PRESENT runs).
    public var presentPageCount: UInt64 {
        entries.reduce(0) { $0 &+ ($1.effectiveFlags.contains(.present) ? $1.effectivePageCount : 0) }
    }

    /// Every page the pagemap lists, present or not.
    public var totalPageCount: UInt64 {
        entries.reduce(0) { $0 &+ $1.effectivePageCount }
    }
}
