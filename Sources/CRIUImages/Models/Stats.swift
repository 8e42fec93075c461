/// Dump or restore statistics (`stats-dump`, `stats-restore`). Mirrors `stats_entry`.
public struct Stats: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "stats_entry"

    /// `dump`: Set in `stats-dump`.
    public var dump: DumpStats?
    /// `restore`: Set in `stats-restore`.
    public var restore: RestoreStats?

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: dump = try reader.message(key)
            case 2: restore = try reader.message(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

/// Statistics of a dump; times in microseconds. Mirrors `dump_stats_entry`.
public struct DumpStats: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "dump_stats_entry"

    /// `freezing_time`: Time spent freezing the tree.
    public var freezingTime: UInt32 = 0
    /// `frozen_time`: Time the tree stayed frozen.
    public var frozenTime: UInt32 = 0
    /// `memdump_time`: Time collecting memory.
    public var memoryDumpTime: UInt32 = 0
    /// `memwrite_time`: Time writing memory to images.
    public var memoryWriteTime: UInt32 = 0
    /// `pages_scanned`: Private pages examined.
    public var pagesScanned: UInt64 = 0
    /// `pages_skipped_parent`: Pages not written because unchanged since the parent.
    public var pagesSkippedParent: UInt64 = 0
    /// `pages_written`: Pages written to pages files.
    public var pagesWritten: UInt64 = 0
    /// `irmap_resolve`: Time resolving inotify/fanotify paths.
    public var irmapResolveTime: UInt32?
    /// `pages_lazy`: Pages left for lazy restore.
    public var pagesLazy: UInt64 = 0
    /// `page_pipes`: Page pipes used.
    public var pagePipes: UInt64?
    /// `page_pipe_bufs`: Page pipe buffers used.
    public var pagePipeBuffers: UInt64?
    /// `shpages_scanned`: Shared-memory pages scanned.
    public var sharedPagesScanned: UInt64?
    /// `shpages_skipped_parent`: Shared pages skipped (parent).
    public var sharedPagesSkippedParent: UInt64?
    /// `shpages_written`: Shared pages written.
    public var sharedPagesWritten: UInt64?

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: freezingTime = try reader.u32(key)
            case 2: frozenTime = try reader.u32(key)
            case 3: memoryDumpTime = try reader.u32(key)
            case 4: memoryWriteTime = try reader.u32(key)
            case 5: pagesScanned = try reader.u64(key)
            case 6: pagesSkippedParent = try reader.u64(key)
            case 7: pagesWritten = try reader.u64(key)
            case 8: irmapResolveTime = try reader.u32(key)
            case 9: pagesLazy = try reader.u64(key)
            case 10: pagePipes = try reader.u64(key)
            case 11: pagePipeBuffers = try reader.u64(key)
            case 12: sharedPagesScanned = try reader.u64(key)
            case 13: sharedPagesSkippedParent = try reader.u64(key)
            case 14: sharedPagesWritten = try reader.u64(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

/// Statistics of a restore; times in microseconds. Mirrors `restore_stats_entry`.
public struct RestoreStats: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "restore_stats_entry"

    /// `pages_compared`: Pages compared for COW sharing.
    public var pagesCompared: UInt64 = 0
    /// `pages_skipped_cow`: Pages not copied (COW).
    public var pagesSkippedCOW: UInt64 = 0
    /// `forking_time`: Time forking.
    public var forkingTime: UInt32 = 0
    /// `restore_time`: Time restoring.
    public var restoreTime: UInt32 = 0
    /// `pages_restored`: Pages restored.
    public var pagesRestored: UInt64?

    init() {}

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: pagesCompared = try reader.u64(key)
            case 2: pagesSkippedCOW = try reader.u64(key)
            case 3: forkingTime = try reader.u32(key)
            case 4: restoreTime = try reader.u32(key)
            case 5: pagesRestored = try reader.u64(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

extension Stats: EncodableImageMessage {
    /// Writes the model as CRIU writes `stats_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        if let v = dump { try writer.write(1, message: v) }
        if let v = restore { try writer.write(2, message: v) }
    }
}

extension DumpStats: EncodableImageMessage {
    /// Writes the model as CRIU writes `dump_stats_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(freezingTime))
        writer.write(2, varint: UInt64(frozenTime))
        writer.write(3, varint: UInt64(memoryDumpTime))
        writer.write(4, varint: UInt64(memoryWriteTime))
        writer.write(5, varint: pagesScanned)
        writer.write(6, varint: pagesSkippedParent)
        writer.write(7, varint: pagesWritten)
        if let v = irmapResolveTime { writer.write(8, varint: UInt64(v)) }
        writer.write(9, varint: pagesLazy)
        if let v = pagePipes { writer.write(10, varint: v) }
        if let v = pagePipeBuffers { writer.write(11, varint: v) }
        if let v = sharedPagesScanned { writer.write(12, varint: v) }
        if let v = sharedPagesSkippedParent { writer.write(13, varint: v) }
        if let v = sharedPagesWritten { writer.write(14, varint: v) }
    }
}

extension RestoreStats: EncodableImageMessage {
    /// Writes the model as CRIU writes `restore_stats_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: pagesCompared)
        writer.write(2, varint: pagesSkippedCOW)
        writer.write(3, varint: UInt64(forkingTime))
        writer.write(4, varint: UInt64(restoreTime))
        if let v = pagesRestored { writer.write(5, varint: v) }
    }
}
