/// One run of pages of a pagemap. Mirrors `pagemap_entry`.
///
/// The page count moved in CRIU 4.2 from field 2 (then `nr_pages`, u32) to field 5
/// (`nr_pages`, u64), leaving 0 in field 2; images before 3.5 have no `flags`, only
/// `in_parent`. Use ``effectivePageCount`` and ``effectiveFlags``, which apply the rules
/// of CRIU-FORMAT.md 1.5.
public struct PagemapEntry: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "pagemap_entry"

    /// `vaddr`: start address (task pagemap) or byte offset inside the shmem object (shmem pagemap).
    public var vaddr: UInt64
    /// `compat_nr_pages` (field 2): the page count of pre-4.2 images; 0 in 4.2+.
    public var compatPageCount: UInt32
    /// `in_parent` (field 3): legacy pre-3.5 "pages are in the parent".
    public var inParent: Bool?
    /// `flags` (field 4): PE_* bits, 3.5+.
    public var flags: Flags?
    /// `nr_pages` (field 5): the page count of 4.2+ images.
    public var pageCount: UInt64?

    /// An entry from its fields.
    public init(vaddr: UInt64, compatPageCount: UInt32 = 0, inParent: Bool? = nil, flags: Flags? = nil, pageCount: UInt64? = nil) {
        self.vaddr = vaddr
        self.compatPageCount = compatPageCount
        self.inParent = inParent
        self.flags = flags
        self.pageCount = pageCount
    }

    /// Decodes the message from the wire (see ``ImageMessage``).
    @inlinable
    public init(from reader: inout WireReader) throws(ImageError) {
        var vaddr: UInt64 = 0
        var compat: UInt32 = 0
        var inParent: Bool?
        var flags: Flags?
        var count: UInt64?
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: vaddr = try reader.readVarintField(key)
            case 2: compat = UInt32(truncatingIfNeeded: try reader.readVarintField(key))
            case 3: inParent = try reader.readVarintField(key) != 0
            case 4: flags = Flags(rawValue: UInt32(truncatingIfNeeded: try reader.readVarintField(key)))
            case 5: count = try reader.readVarintField(key)
            default: try reader.skip(key.wireType)
            }
        }
        self.vaddr = vaddr
        self.compatPageCount = compat
        self.inParent = inParent
        self.flags = flags
        self.pageCount = count
    }

    /// The page count: field 5 when present, else field 2.
    @inlinable public var effectivePageCount: UInt64 { pageCount ?? UInt64(compatPageCount) }

    /// The flags: field 4 when present, else PARENT if `in_parent` is true, else PRESENT (pre-3.5 images).
    @inlinable public var effectiveFlags: Flags { flags ?? (inParent == true ? .parent : .present) }

    /// The covered byte range for a page size.
    @inlinable public func range(pageSize: UInt64) -> Range<UInt64> {
        let (length, overflow) = effectivePageCount.multipliedReportingOverflow(by: pageSize)
        let (end, overflow2) = vaddr.addingReportingOverflow(length)
        return vaddr..<((overflow || overflow2) ? UInt64.max : end)
    }

    /// PE_* bits.
    public struct Flags: OptionSet, Hashable, Sendable {
        /// The bits as stored in the image.
        public var rawValue: UInt32
        /// A set from stored bits.
        @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// PE_PARENT: unchanged since the previous dump; data is in the parent image set.
        public static let parent = Flags(rawValue: 1)
        /// PE_LAZY: may be restored lazily; alone it means no data in any file.
        public static let lazy = Flags(rawValue: 2)
        /// PE_PRESENT: data is in this pages file at the running offset.
        public static let present = Flags(rawValue: 4)
    }
}

extension PagemapEntry: EncodableImageMessage {
    /// Writes the model as CRIU writes `pagemap_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: vaddr)
        writer.write(2, varint: UInt64(compatPageCount))
        if let v = inParent { writer.write(3, bool: v) }
        if let v = flags { writer.write(4, varint: UInt64(v.rawValue)) }
        if let v = pageCount { writer.write(5, varint: v) }
    }
}
