/// A process's address space, `mm-<pid>.img`. Mirrors `mm_entry`.
public struct MemoryMap: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "mm_entry"

    /// `mm_start_code`.
    public var startCode: UInt64 = 0
    /// `mm_end_code`.
    public var endCode: UInt64 = 0
    /// `mm_start_data`.
    public var startData: UInt64 = 0
    /// `mm_end_data`.
    public var endData: UInt64 = 0
    /// `mm_start_stack`.
    public var startStack: UInt64 = 0
    /// `mm_start_brk`: heap start.
    public var startBrk: UInt64 = 0
    /// `mm_brk`: current brk.
    public var brk: UInt64 = 0
    /// `mm_arg_start`: start of the argv strings (in memory pages, not in the image).
    public var argumentsStart: UInt64 = 0
    /// `mm_arg_end`.
    public var argumentsEnd: UInt64 = 0
    /// `mm_env_start`: start of the environment strings.
    public var environmentStart: UInt64 = 0
    /// `mm_env_end`.
    public var environmentEnd: UInt64 = 0
    /// `exe_file_id`: `files.img` id (REG) of /proc/PID/exe.
    public var exeFileID: UInt32 = 0
    /// `mm_saved_auxv`: the auxiliary vector as stored, flat (type, value) words.
    public var savedAuxv: [UInt64] = []
    /// `vmas`: every mapping, sorted by start (4.2+: fake guard VMAs appended at the end).
    public var vmas: [VMA] = []
    /// `dumpable`: prctl(PR_GET_DUMPABLE).
    public var dumpable: Int32?
    /// `aios`: AIO rings.
    public var aioRings: [AIORing] = []
    /// `thp_disabled`: prctl(PR_GET_THP_DISABLE).
    public var thpDisabled: Bool?

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: startCode = try reader.u64(key)
            case 2: endCode = try reader.u64(key)
            case 3: startData = try reader.u64(key)
            case 4: endData = try reader.u64(key)
            case 5: startStack = try reader.u64(key)
            case 6: startBrk = try reader.u64(key)
            case 7: brk = try reader.u64(key)
            case 8: argumentsStart = try reader.u64(key)
            case 9: argumentsEnd = try reader.u64(key)
            case 10: environmentStart = try reader.u64(key)
            case 11: environmentEnd = try reader.u64(key)
            case 12: exeFileID = try reader.u32(key)
            case 13: try reader.appendU64(key, to: &savedAuxv)
            case 14: try reader.appendMessage(key, to: &vmas)
            case 15: dumpable = try reader.i32(key)
            case 16: try reader.appendMessage(key, to: &aioRings)
            case 17: thpDisabled = try reader.bool(key)
            default: try reader.skip(key.wireType)
            }
        }
        // Appending one VMA at a time leaves up to twice the storage needed; a checkpoint keeps
        // every process's VMAs, so they are kept at their size.
        if vmas.capacity > vmas.count + vmas.count / 4 { vmas = vmas.withUnsafeBufferPointer { Array($0) } }
    }

    /// The auxiliary vector as (type, value) pairs, up to (not including) the AT_NULL terminator.
    public var auxiliaryVector: [AuxiliaryVectorEntry] {
        var result: [AuxiliaryVectorEntry] = []
        var i = 0
        while i + 1 < savedAuxv.count {
            if savedAuxv[i] == AuxiliaryVectorEntry.null { break }
            result.append(AuxiliaryVectorEntry(type: savedAuxv[i], value: savedAuxv[i + 1]))
            i += 2
        }
        return result
    }

    /// The value of auxiliary vector entry `type`, if present.
    public func auxiliaryValue(_ type: UInt64) -> UInt64? {
        auxiliaryVector.first { $0.type == type }?.value
    }

    /// The dumped process's page size: AT_PAGESZ (6) from the saved auxv. Page counts in
    /// pagemaps are in these pages, not the host's.
    public var pageSize: UInt64? { auxiliaryValue(AuxiliaryVectorEntry.pageSize) }

    /// The address range of the argv strings.
    public var argumentsRange: Range<UInt64> { argumentsStart..<max(argumentsStart, argumentsEnd) }
    /// The address range of the environment strings.
    public var environmentRange: Range<UInt64> { environmentStart..<max(environmentStart, environmentEnd) }
}

/// One (type, value) pair of a saved auxiliary vector.
public struct AuxiliaryVectorEntry: Hashable, Sendable {
    /// AT_NULL, the terminator.
    public static let null: UInt64 = 0
    /// AT_PAGESZ.
    public static let pageSize: UInt64 = 6
    /// AT_ENTRY: the program's entry point.
    public static let entry: UInt64 = 9
    /// AT_SYSINFO_EHDR: the vDSO's address.
    public static let vdso: UInt64 = 33

    /// The AT_* type.
    public var type: UInt64
    /// The value.
    public var value: UInt64

    /// An entry from its AT_* type and value.
    public init(type: UInt64, value: UInt64) {
        self.type = type
        self.value = value
    }
}

/// An AIO ring (io_setup). Mirrors `aio_ring_entry`.
public struct AIORing: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "aio_ring_entry"

    /// `id`: ring id (= ring start address).
    public var id: UInt64 = 0
    /// `nr_req`.
    public var requestCount: UInt32 = 0
    /// `ring_len`: ring length in bytes.
    public var ringLength: UInt32 = 0

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: id = try reader.u64(key)
            case 2: requestCount = try reader.u32(key)
            case 3: ringLength = try reader.u32(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

extension MemoryMap: EncodableImageMessage {
    /// Writes the model as CRIU writes `mm_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: startCode)
        writer.write(2, varint: endCode)
        writer.write(3, varint: startData)
        writer.write(4, varint: endData)
        writer.write(5, varint: startStack)
        writer.write(6, varint: startBrk)
        writer.write(7, varint: brk)
        writer.write(8, varint: argumentsStart)
        writer.write(9, varint: argumentsEnd)
        writer.write(10, varint: environmentStart)
        writer.write(11, varint: environmentEnd)
        writer.write(12, varint: UInt64(exeFileID))
        for v in savedAuxv { writer.write(13, varint: v) }
        for v in vmas { try writer.write(14, message: v) }
        if let v = dumpable { writer.write(15, signed: Int64(v)) }
        for v in aioRings { try writer.write(16, message: v) }
        if let v = thpDisabled { writer.write(17, bool: v) }
    }
}

extension AIORing: EncodableImageMessage {
    /// Writes the model as CRIU writes `aio_ring_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: id)
        writer.write(2, varint: UInt64(requestCount))
        writer.write(3, varint: UInt64(ringLength))
    }
}
