import CheckpointArchive
import CRIUImages
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Writes an ELF core file of one process, as the kernel and criu-coredump write them, for gdb,
/// lldb and readelf (x86_64 and aarch64).
///
/// Notes: per thread NT_PRSTATUS (general registers) and the floating-point state (x86_64:
/// NT_PRFPREG, the FXSAVE image, and NT_X86_XSTATE, the XSAVE area with the AVX, MPX, AVX-512
/// and PKRU parts CRIU saved; aarch64: NT_FPREGSET with V0-V31, FPSR and FPCR, and NT_ARM_TLS);
/// for the process NT_PRPSINFO, NT_AUXV (the saved auxv) and NT_FILE (file-backed mappings).
///
/// Segments: one PT_LOAD per run of a VMA (vvar excluded). Dumped pages are the segment's
/// content, and pages that were never touched are holes of a sparse file (reading as zeros).
/// File-backed pages CRIU did not dump are segments with no file content (`p_filesz` 0), so a
/// debugger reads them from the mapped file, as it does for the kernel's cores; so are pages whose
/// data the checkpoint does not hold (lazy, missing parent): the debugger cannot read them, rather
/// than reading invented zeros. With ``files`` (a root file system), file-backed pages whose mapped
/// file it has are written from that file instead.
public struct ELFCoreWriter: Sendable {
    /// The checkpoint the process is in.
    public let checkpoint: Checkpoint
    /// The process to write.
    public let pid: UInt32
    /// The mapped files, for file-backed pages CRIU did not dump: where they have the file, its
    /// bytes are the segment's content (as the kernel writes the pages a core filter asks for).
    public var files: MappedFiles?

    /// A writer for process `pid` of `checkpoint`; file-backed pages CRIU did not dump are read
    /// from `files` where they have the mapped file.
    public init(checkpoint: Checkpoint, pid: UInt32, files: MappedFiles? = nil) {
        self.checkpoint = checkpoint
        self.pid = pid
        self.files = files
    }

    /// What ``write(to:)`` wrote.
    public struct Summary: Hashable, Sendable {
        /// The core file's size (its apparent size: holes included).
        public var size: UInt64
        /// Bytes of memory copied from the checkpoint.
        public var memoryBytes: UInt64
        /// PT_LOAD segments.
        public var segments: Int
        /// PT_LOAD segments with no content (`p_filesz` 0): file-backed pages left to the mapped file.
        public var fileBackedSegments: Int
        /// PT_LOAD segments with no content because the checkpoint does not hold their pages.
        public var missingSegments: Int
        /// PT_LOAD segments whose content was read from the mapped file (``ELFCoreWriter/files``).
        public var filledSegments: Int = 0
        /// Bytes of those segments.
        public var filledBytes: UInt64 = 0
    }

    /// One PT_LOAD.
    struct Segment {
        enum Content: Equatable {
            /// From the checkpoint (dumped pages; holes that read as zeros left sparse).
            case memory
            /// `p_filesz` 0: the mapped file has the bytes.
            case mappedFile
            /// `p_filesz` 0: the checkpoint does not hold the bytes.
            case missing
            /// From the mapped file (``ELFCoreWriter/files``).
            case filled(MappedFill)
        }
        var start: UInt64
        var end: UInt64
        var flags: UInt32
        var content: Content
        var offset: UInt64 = 0
        /// True when the segment has bytes in the file (`p_filesz` = `p_memsz`).
        var hasContent: Bool {
            switch content {
            case .memory, .filled: true
            case .mappedFile, .missing: false
            }
        }
    }

    static let emX86_64: UInt16 = 62
    static let emAArch64: UInt16 = 183

    static func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }

    static func note(_ type: UInt32, _ desc: [UInt8], name: String = "CORE") -> [UInt8] {
        var nameBytes = Array(name.utf8) + [0]
        var out = le(UInt32(nameBytes.count)) + le(UInt32(desc.count)) + le(type)
        while nameBytes.count % 4 != 0 { nameBytes.append(0) }
        out += nameBytes + desc
        while out.count % 4 != 0 { out.append(0) }
        return out
    }

    /// Little-endian bytes of `words`, padded with zeros (or cut) to `count` bytes.
    static func bytes<T: FixedWidthInteger>(_ words: [T], count: Int) -> [UInt8] {
        var out = words.flatMap { le($0) }
        if out.count > count { out.removeSubrange(count...) }
        out += [UInt8](repeating: 0, count: count - out.count)
        return out
    }

    /// The PT_LOAD segments of an address space: each VMA split where its content changes.
    static func segments(_ space: AddressSpace) -> [Segment] {
        var out: [Segment] = []
        for (i, vma) in space.vmas.enumerated() where space.kind(of: i) != .vvar {
            var flags: UInt32 = 0
            if vma.protection.contains(.read) { flags |= 4 }
            if vma.protection.contains(.write) { flags |= 2 }
            if vma.protection.contains(.execute) { flags |= 1 }
            var first = true
            for piece in space.pieces(address: vma.start, length: vma.size) {
                let content: Segment.Content
                switch piece.location {
                case .file, .hole(.zeroFilled): content = .memory
                case .hole(.fileBacked): content = .mappedFile
                case .hole: content = .missing
                }
                if !first, var last = out.last, last.content == content, last.end == piece.address {
                    last.end = piece.address + piece.length
                    out[out.count - 1] = last
                } else {
                    out.append(Segment(start: piece.address, end: piece.address + piece.length, flags: flags, content: content))
                }
                first = false
            }
        }
        return out
    }

    /// Writes the core file into `descriptor` (a regular file, opened for reading and writing),
    /// from offset 0: headers and notes with `pwrite`, memory copied from the checkpoint (in one
    /// pass over a compressed archive), holes left unwritten, and the file sized to its end.
    ///
    /// The command line in NT_PRPSINFO is read back from the written stack; when the descriptor
    /// cannot be read it is the process's `comm`.
    @discardableResult
    public func write(to descriptor: Int32) throws(CheckpointError) -> Summary {
        guard let process = checkpoint.process(pid) else {
            throw CheckpointError(.missingImage, source: checkpoint.path, message: "no process \(pid)")
        }
        guard let space = try checkpoint.addressSpace(pid), let mm = process.memory else {
            throw CheckpointError(.missingImage, source: checkpoint.path, file: "mm-\(pid).img", message: "process \(pid) has no address space")
        }
        let machine: UInt16
        switch process.core?.architecture ?? .unknown(0) {
        case .x86_64: machine = Self.emX86_64
        case .aarch64: machine = Self.emAArch64
        default:
            throw CheckpointError(.inconsistent, source: checkpoint.path, file: "core-\(pid).img",
                                  message: "ELF cores are written for x86_64 and aarch64 only (this process is \(checkpoint.facts.architecture ?? "unknown"))")
        }
        let pageSize = space.pageSize
        var segments = Self.segments(space)
        if let files { segments = fill(segments, space: space, files: files) }

        // Notes: each thread's registers (the main thread's first), then the process's.
        var notes: [UInt8] = []
        let threads = process.threads.sorted { ($0.tid != pid ? 1 : 0, $0.tid) < ($1.tid != pid ? 1 : 0, $1.tid) }
        var psinfoAt = 0
        for (n, thread) in threads.enumerated() {
            notes += threadNotes(process, thread, machine: machine)
            if n == 0 {
                psinfoAt = notes.count + 12 + 8  // note header, "CORE\0" padded
                notes += Self.note(3, psinfo(process, arguments: nil))  // NT_PRPSINFO
                notes += Self.note(6, mm.savedAuxv.flatMap { Self.le($0) })  // NT_AUXV
                notes += Self.note(0x4649_4C45, fileNote(space))  // NT_FILE
            }
        }

        // Layout: headers, notes, then the segments' content page-aligned.
        let headerSize = 64 + 56 * (1 + segments.count)
        let notesOffset = UInt64(headerSize)
        var offset = (notesOffset + UInt64(notes.count) + pageSize - 1) / pageSize * pageSize
        for i in segments.indices {
            segments[i].offset = offset
            if segments[i].hasContent { offset += segments[i].end - segments[i].start }
        }
        let size = offset
        var phdrs = Self.le(UInt32(4)) + Self.le(UInt32(0)) + Self.le(notesOffset) + Self.le(UInt64(0)) + Self.le(UInt64(0))
            + Self.le(UInt64(notes.count)) + Self.le(UInt64(0)) + Self.le(UInt64(4))
        for s in segments {
            let memory = s.end - s.start
            phdrs += Self.le(UInt32(1)) + Self.le(s.flags) + Self.le(s.offset) + Self.le(s.start) + Self.le(UInt64(0))
                + Self.le(s.hasContent ? memory : 0) + Self.le(memory) + Self.le(pageSize)
        }
        var header: [UInt8] = [0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0] + [UInt8](repeating: 0, count: 8)
        header += Self.le(UInt16(4)) + Self.le(machine) + Self.le(UInt32(1))  // ET_CORE, e_machine, EV_CURRENT
        header += Self.le(UInt64(0)) + Self.le(UInt64(64)) + Self.le(UInt64(0))  // entry, phoff, shoff
        header += Self.le(UInt32(0)) + Self.le(UInt16(64)) + Self.le(UInt16(56)) + Self.le(UInt16(min(0xFFFF, 1 + segments.count)))
        header += Self.le(UInt16(64)) + Self.le(UInt16(0)) + Self.le(UInt16(0))
        let head = header + phdrs + notes
        try pwrite(head, at: 0, descriptor)
        guard ftruncate(descriptor, off_t(size)) == 0 else {
            throw CheckpointError(.output, source: checkpoint.path, message: "cannot size the core file: \(POSIX.message(errno))")
        }

        // Memory: every content segment copied at its offset, holes left sparse.
        let targets = segments.filter { $0.content == .memory }.map { (range: $0.start..<$0.end, descriptor: descriptor, offset: $0.offset) }
        let results = try checkpoint.writeMemory(in: space, to: targets)
        let memoryBytes = results.reduce(0) { $0 + $1.written }
        var filled = 0
        var filledBytes: UInt64 = 0
        for s in segments {
            guard case .filled(let fill) = s.content, let files else { continue }
            try files.write([fill], to: descriptor, base: s.start, offset: s.offset)
            filled += 1
            filledBytes += fill.length
        }

        // NT_PRPSINFO's command line, from the stack just written.
        if let arguments = readBack(mm.argumentsStart..<mm.argumentsEnd, segments: segments, descriptor: descriptor) {
            try pwrite(psinfo(process, arguments: arguments), at: notesOffset + UInt64(psinfoAt), descriptor)
        }
        return Summary(size: size, memoryBytes: memoryBytes, segments: segments.count,
                       fileBackedSegments: segments.filter { $0.content == .mappedFile }.count,
                       missingSegments: segments.filter { $0.content == .missing }.count,
                       filledSegments: filled, filledBytes: filledBytes)
    }

    /// File-backed segments split where `files` has the mapped file: those parts get its bytes.
    private func fill(_ segments: [Segment], space: AddressSpace, files: MappedFiles) -> [Segment] {
        var out: [Segment] = []
        for s in segments {
            guard s.content == .mappedFile else {
                out.append(s)
                continue
            }
            var cursor = s.start
            for fill in files.fills(in: s.start..<s.end, of: space, checkpoint: checkpoint) {
                if fill.address > cursor { out.append(Segment(start: cursor, end: fill.address, flags: s.flags, content: .mappedFile)) }
                out.append(Segment(start: fill.address, end: fill.address + fill.length, flags: s.flags, content: .filled(fill)))
                cursor = fill.address + fill.length
            }
            if cursor < s.end { out.append(Segment(start: cursor, end: s.end, flags: s.flags, content: .mappedFile)) }
        }
        return out
    }

    private func pwrite(_ bytes: [UInt8], at offset: UInt64, _ descriptor: Int32) throws(CheckpointError) {
        let failure = bytes.withUnsafeBytes { POSIX.pwriteAll($0, to: descriptor, at: offset) }
        if let failure {
            throw CheckpointError(.output, source: checkpoint.path, offset: offset + UInt64(failure.done),
                                  message: "write failed: \(POSIX.message(failure.errorNumber))")
        }
    }

    /// Bytes of `range` from the written core, when they are all in one content segment.
    private func readBack(_ range: Range<UInt64>, segments: [Segment], descriptor: Int32) -> [UInt8]? {
        guard !range.isEmpty, range.count <= 1 << 16,
              let s = segments.first(where: { $0.hasContent && $0.start <= range.lowerBound && range.upperBound <= $0.end }) else { return nil }
        var bytes = [UInt8](repeating: 0, count: range.count)
        let n = bytes.withUnsafeMutableBytes { Glibc.pread(descriptor, $0.baseAddress, $0.count, off_t(s.offset + range.lowerBound - s.start)) }
        return n == range.count ? bytes : nil
    }

    /// `struct elf_prpsinfo` (136 bytes, the same on x86_64 and aarch64).
    private func psinfo(_ process: CheckpointProcess, arguments: [UInt8]?) -> [UInt8] {
        var info = [UInt8](repeating: 0, count: 136)
        info[0] = process.isZombie ? 4 : 1  // pr_state
        info[1] = UInt8(ascii: process.isZombie ? "Z" : "S")
        info[2] = process.isZombie ? 1 : 0
        let creds = process.threads.first?.credentials
        info.replaceSubrange(16..<20, with: Self.le(creds?.uid ?? 0))
        info.replaceSubrange(20..<24, with: Self.le(creds?.gid ?? 0))
        info.replaceSubrange(24..<28, with: Self.le(process.pid))
        info.replaceSubrange(28..<32, with: Self.le(process.ppid))
        info.replaceSubrange(32..<36, with: Self.le(process.pgid))
        info.replaceSubrange(36..<40, with: Self.le(process.sid))
        let name = Array(process.command.utf8.prefix(15))
        info.replaceSubrange(40..<40 + name.count, with: name)
        // pr_psargs: argv joined by spaces, as the kernel fills it.
        var args = arguments.map { bytes in
            var b = bytes
            while b.last == 0 { b.removeLast() }
            return b.map { $0 == 0 ? UInt8(ascii: " ") : $0 }
        } ?? Array(process.command.utf8)
        args = Array(args.prefix(79))
        info.replaceSubrange(56..<56 + args.count, with: args)
        return info
    }

    /// NT_FILE: count, page size, then (start, end, offset in pages) per mapping, then the names.
    private func fileNote(_ space: AddressSpace) -> [UInt8] {
        let fileVMAs = space.vmas.indices.filter { space.backingFiles[$0] != nil }
        var out = Self.le(UInt64(fileVMAs.count)) + Self.le(space.pageSize)
        for i in fileVMAs {
            out += Self.le(space.vmas[i].start) + Self.le(space.vmas[i].end) + Self.le(space.vmas[i].pageOffset / space.pageSize)
        }
        for i in fileVMAs { out += Array(space.backingFiles[i]!.utf8) + [0] }
        return out
    }

    /// NT_PRSTATUS and the floating-point notes of one thread.
    private func threadNotes(_ process: CheckpointProcess, _ thread: CheckpointThread, machine: UInt16) -> [UInt8] {
        // struct elf_prstatus: siginfo (12), cursig (2) + pad, sigpend, sighold, pid, ppid, pgrp,
        // sid, four timevals, then pr_reg and pr_fpvalid.
        let regBytes = machine == Self.emAArch64 ? 34 * 8 : 27 * 8
        var status = [UInt8](repeating: 0, count: 112 + regBytes + 8)
        func put<T: FixedWidthInteger>(_ v: T, _ at: Int) { status.replaceSubrange(at..<at + MemoryLayout<T>.size, with: Self.le(v)) }
        put(UInt64(thread.core?.thread?.blockedSignals ?? process.task?.blockedSignals ?? 0), 24)
        put(Int32(bitPattern: thread.tid), 32)
        put(Int32(bitPattern: process.ppid), 36)
        put(Int32(bitPattern: process.pgid), 40)
        put(Int32(bitPattern: process.sid), 44)
        var fpNotes: [UInt8] = []
        switch thread.core?.registers {
        case .x86_64(let r)?:
            for (i, v) in r.generalRegisters.map(\.value).enumerated() { put(v, 112 + 8 * i) }
            put(UInt32(1), 112 + regBytes)  // pr_fpvalid
            let fx = fxsave(r)
            fpNotes += Self.note(2, fx)  // NT_PRFPREG: struct user_fpregs_struct
            if r.hasXSave { fpNotes += Self.note(0x202, xsave(r, legacy: fx), name: "LINUX") }  // NT_X86_XSTATE
        case .aarch64(let r)?:
            for (i, v) in r.regs.prefix(31).enumerated() { put(v, 112 + 8 * i) }
            put(r.sp, 112 + 31 * 8)
            put(r.pc, 112 + 32 * 8)
            put(r.pstate, 112 + 33 * 8)
            put(UInt32(1), 112 + regBytes)
            // NT_FPREGSET: struct user_fpsimd_state (vregs[32] as 128-bit, fpsr, fpcr, 2 reserved words).
            fpNotes += Self.note(2, Self.bytes(r.vregs, count: 512) + Self.le(r.fpsr) + Self.le(r.fpcr) + [UInt8](repeating: 0, count: 8))
            fpNotes += Self.note(0x401, Self.le(r.tls), name: "LINUX")  // NT_ARM_TLS: TPIDR_EL0
        default:
            break
        }
        return Self.note(1, status) + fpNotes
    }

    /// `struct user_fpregs_struct` (512 bytes): the FXSAVE image.
    private func fxsave(_ r: X86Registers) -> [UInt8] {
        let f = r.fpu
        var out = Self.le(UInt16(truncatingIfNeeded: f.cwd)) + Self.le(UInt16(truncatingIfNeeded: f.swd))
        out += Self.le(UInt16(truncatingIfNeeded: f.twd)) + Self.le(UInt16(truncatingIfNeeded: f.fop))
        out += Self.le(f.rip) + Self.le(f.rdp) + Self.le(r.mxcsr) + Self.le(f.mxcsrMask)
        out += Self.bytes(f.stSpace, count: 128) + Self.bytes(f.xmmSpace, count: 256)
        out += [UInt8](repeating: 0, count: 96)  // padding, software-reserved bytes
        return out
    }

    /// The XSAVE area in the standard (uncompacted) format, as the kernel's NT_X86_XSTATE holds it:
    /// the FXSAVE image with XCR0 in its software-reserved bytes (offset 464), the header's
    /// XSTATE_BV, and each component CRIU saved at its architectural offset. XCR0 is the set of
    /// components the image carries.
    private func xsave(_ r: X86Registers, legacy: [UInt8]) -> [UInt8] {
        let f = r.fpu
        // (feature bits, offset, bytes, words as little-endian bytes)
        let parts: [(UInt64, Int, Int, [UInt8])] = [
            (1 << 2, 576, 256, f.ymmhSpace.isEmpty ? [] : Self.bytes(f.ymmhSpace, count: 256)),
            (1 << 3, 960, 64, f.bndregState.isEmpty ? [] : Self.bytes(f.bndregState, count: 64)),
            (1 << 4, 1024, 64, f.bndcsrState.isEmpty ? [] : Self.bytes(f.bndcsrState, count: 64)),
            (1 << 5, 1088, 64, f.opmaskReg.isEmpty ? [] : Self.bytes(f.opmaskReg, count: 64)),
            (1 << 6, 1152, 512, f.zmmUpper.isEmpty ? [] : Self.bytes(f.zmmUpper, count: 512)),
            (1 << 7, 1664, 1024, f.hi16Zmm.isEmpty ? [] : Self.bytes(f.hi16Zmm, count: 1024)),
            (1 << 9, 2688, 8, f.pkru.isEmpty ? [] : Self.bytes(f.pkru, count: 8)),
        ]
        var xcr0: UInt64 = 0b11  // x87, SSE
        var size = 576
        for (bits, offset, count, data) in parts where !data.isEmpty {
            xcr0 |= bits
            size = max(size, offset + count)
        }
        // AVX-512's three components come together.
        if xcr0 & 0xE0 != 0 { xcr0 |= 0xE0; size = max(size, 2688) }
        var out = legacy + [UInt8](repeating: 0, count: size - legacy.count)
        out.replaceSubrange(464..<472, with: Self.le(xcr0))
        out.replaceSubrange(512..<520, with: Self.le(r.xstateBV ?? xcr0))
        for (_, offset, _, data) in parts where !data.isEmpty { out.replaceSubrange(offset..<offset + data.count, with: data) }
        return out
    }
}
