import CRIUImages

/// Writes an ELF core file of one process, readable by gdb and readelf (x86_64).
///
/// Notes: NT_PRSTATUS per thread (general registers), NT_PRPSINFO, NT_AUXV (the saved auxv) and
/// NT_FILE (file-backed mappings). One PT_LOAD per VMA (vvar excluded); VMAs with no dumped page get
/// no file data, pages the checkpoint does not hold read as zeros.
public struct ELFCoreWriter: Sendable {
    /// The checkpoint the process is in.
    public let checkpoint: Checkpoint
    /// The process to write.
    public let pid: UInt32

    /// A writer for process `pid` of `checkpoint`.
    public init(checkpoint: Checkpoint, pid: UInt32) {
        self.checkpoint = checkpoint
        self.pid = pid
    }

    static func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }

    static func note(_ type: UInt32, _ desc: [UInt8]) -> [UInt8] {
        var out = le(UInt32(5)) + le(UInt32(desc.count)) + le(type)
        out += Array("CORE".utf8) + [0, 0, 0, 0]  // name "CORE\0" padded to 8
        out += desc
        while out.count % 4 != 0 { out.append(0) }
        return out
    }

    /// Streams the core file to `write`; returns the number of bytes written.
    @discardableResult
    public func write(_ write: ([UInt8]) throws -> Void) throws -> UInt64 {
        guard let process = checkpoint.process(pid) else {
            throw CheckpointError(.missingImage, source: checkpoint.path, message: "no process \(pid)")
        }
        guard let space = try checkpoint.addressSpace(pid), let mm = process.memory else {
            throw CheckpointError(.missingImage, source: checkpoint.path, file: "mm-\(pid).img", message: "process \(pid) has no address space")
        }
        guard case .x86_64 = process.core?.architecture ?? .unknown(0) else {
            throw CheckpointError(.inconsistent, source: checkpoint.path, file: "core-\(pid).img",
                                  message: "ELF cores are written for x86_64 only (this process is \(checkpoint.facts.architecture ?? "unknown"))")
        }
        let pageSize = space.pageSize
        // Notes.
        var notes: [UInt8] = []
        for thread in process.threads {
            var status = [UInt8](repeating: 0, count: 336)
            func put<T: FixedWidthInteger>(_ v: T, _ at: Int) { status.replaceSubrange(at..<at + MemoryLayout<T>.size, with: Self.le(v)) }
            put(UInt64(thread.core?.thread?.blockedSignals ?? process.task?.blockedSignals ?? 0), 24)
            put(Int32(bitPattern: thread.tid), 32)
            put(Int32(bitPattern: process.ppid), 36)
            put(Int32(bitPattern: process.pgid), 40)
            put(Int32(bitPattern: process.sid), 44)
            if case .x86_64(let r)? = thread.core?.registers {
                let regs: [UInt64] = [r.r15, r.r14, r.r13, r.r12, r.bp, r.bx, r.r11, r.r10, r.r9, r.r8, r.ax, r.cx, r.dx,
                                      r.si, r.di, r.origAX, r.ip, r.cs, r.flags, r.sp, r.ss, r.fsBase, r.gsBase, r.ds, r.es, r.fs, r.gs]
                for (i, v) in regs.enumerated() { put(v, 112 + 8 * i) }
            }
            notes += Self.note(1, status)  // NT_PRSTATUS
        }
        var info = [UInt8](repeating: 0, count: 136)
        info[0] = 0  // R
        info[1] = UInt8(ascii: process.isZombie ? "Z" : "S")
        let creds = process.threads.first?.credentials
        info.replaceSubrange(16..<20, with: Self.le(creds?.uid ?? 0))
        info.replaceSubrange(20..<24, with: Self.le(creds?.gid ?? 0))
        info.replaceSubrange(24..<28, with: Self.le(process.pid))
        info.replaceSubrange(28..<32, with: Self.le(process.ppid))
        info.replaceSubrange(32..<36, with: Self.le(process.pgid))
        info.replaceSubrange(36..<40, with: Self.le(process.sid))
        let name = Array(process.command.utf8.prefix(15))
        info.replaceSubrange(40..<40 + name.count, with: name)
        let args = ((try? checkpoint.commandLine(pid: pid)) ?? nil)?.joined(separator: " ") ?? process.command
        let argBytes = Array(args.utf8.prefix(79))
        info.replaceSubrange(56..<56 + argBytes.count, with: argBytes)
        notes += Self.note(3, info)  // NT_PRPSINFO
        notes += Self.note(6, mm.savedAuxv.flatMap { Self.le($0) })  // NT_AUXV
        // NT_FILE: count, page size, then (start, end, offset in pages) per mapping, then names.
        let fileVMAs = space.vmas.indices.filter { space.backingFiles[$0] != nil }
        var fileNote = Self.le(UInt64(fileVMAs.count)) + Self.le(pageSize)
        for i in fileVMAs {
            fileNote += Self.le(space.vmas[i].start) + Self.le(space.vmas[i].end) + Self.le(space.vmas[i].pageOffset / pageSize)
        }
        for i in fileVMAs { fileNote += Array(space.backingFiles[i]!.utf8) + [0] }
        notes += Self.note(0x4649_4C45, fileNote)  // NT_FILE

        // Segments.
        let loads = space.vmas.indices.filter { space.kind(of: $0) != .vvar }
        let headerSize = 64 + 56 * (1 + loads.count)
        let notesOffset = UInt64(headerSize)
        var offset = (notesOffset + UInt64(notes.count) + pageSize - 1) / pageSize * pageSize
        var phdrs: [UInt8] = []
        phdrs += Self.le(UInt32(4)) + Self.le(UInt32(0)) + Self.le(notesOffset) + Self.le(UInt64(0)) + Self.le(UInt64(0))
            + Self.le(UInt64(notes.count)) + Self.le(UInt64(0)) + Self.le(UInt64(4))
        var segmentHasData: [Bool] = []
        for i in loads {
            let vma = space.vmas[i]
            let hasData = space.pieces(address: vma.start, length: vma.size).contains { if case .file = $0.location { true } else { false } }
            segmentHasData.append(hasData)
            var flags: UInt32 = 0
            if vma.protection.contains(.read) { flags |= 4 }
            if vma.protection.contains(.write) { flags |= 2 }
            if vma.protection.contains(.execute) { flags |= 1 }
            let fileSize = hasData ? vma.size : 0
            phdrs += Self.le(UInt32(1)) + Self.le(flags) + Self.le(offset) + Self.le(vma.start) + Self.le(UInt64(0))
                + Self.le(fileSize) + Self.le(vma.size) + Self.le(pageSize)
            offset += fileSize
        }
        var header: [UInt8] = [0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0] + [UInt8](repeating: 0, count: 8)
        header += Self.le(UInt16(4)) + Self.le(UInt16(62)) + Self.le(UInt32(1))  // ET_CORE, EM_X86_64, EV_CURRENT
        header += Self.le(UInt64(0)) + Self.le(UInt64(64)) + Self.le(UInt64(0))  // entry, phoff, shoff
        header += Self.le(UInt32(0)) + Self.le(UInt16(64)) + Self.le(UInt16(56)) + Self.le(UInt16(1 + loads.count))
        header += Self.le(UInt16(64)) + Self.le(UInt16(0)) + Self.le(UInt16(0))
        var written: UInt64 = 0
        var head = header + phdrs + notes
        head += [UInt8](repeating: 0, count: Int((notesOffset + UInt64(notes.count) + pageSize - 1) / pageSize * pageSize) - head.count)
        try write(head)
        written += UInt64(head.count)
        for (n, i) in loads.enumerated() where segmentHasData[n] {
            let vma = space.vmas[i]
            var cursor = vma.start
            while cursor < vma.end {
                let count = min(vma.end - cursor, 64 << 20)
                for segment in try checkpoint.readMemory(pid: pid, address: cursor, length: count) {
                    let bytes = segment.bytes ?? [UInt8](repeating: 0, count: Int(segment.length))
                    try write(bytes)
                    written += UInt64(bytes.count)
                }
                cursor += count
            }
        }
        return written
    }
}
