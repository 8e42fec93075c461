/// A summary of a thread's register state, per architecture (CRIU-FORMAT.md 3.4).
public enum Registers: Hashable, Sendable {
    /// `core_entry.thread_info` (`thread_info_x86`), also used by 32-bit compat tasks.
    case x86_64(X86Registers)
    /// `core_entry.ti_aarch64` (`thread_info_aarch64`).
    case aarch64(AArch64Registers)
    /// Another architecture's `ti_*` field is present; its contents are not summarised.
    case unsummarised(Architecture)

    /// The architecture whose register field this is.
    public var architecture: Architecture {
        switch self {
        case .x86_64: .x86_64
        case .aarch64: .aarch64
        case .unsummarised(let arch): arch
        }
    }

    /// The instruction pointer, when summarised.
    public var instructionPointer: UInt64? {
        switch self {
        case .x86_64(let regs): regs.ip
        case .aarch64(let regs): regs.pc
        case .unsummarised: nil
        }
    }

    /// The stack pointer, when summarised.
    public var stackPointer: UInt64? {
        switch self {
        case .x86_64(let regs): regs.sp
        case .aarch64(let regs): regs.sp
        case .unsummarised: nil
        }
    }

    static func architecture(ofField number: Int) -> Architecture {
        switch number {
        case 2: .x86_64
        case 6: .arm
        case 8: .aarch64
        case 9: .ppc64
        case 10: .s390
        case 11: .mips
        case 12: .loongarch64
        case 13: .riscv64
        default: .unknown(0)
        }
    }
}

/// x86_64 thread state. Mirrors `thread_info_x86` with its `user_x86_regs_entry` and
/// `user_x86_fpregs_entry` (the FXSAVE image in ``fpu``, the XSAVE parts CRIU keeps; not the
/// unused `padding` or the CET state).
public struct X86Registers: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "thread_info_x86"

    /// `clear_tid_addr`: the set_tid_address() pointer.
    public var clearTIDAddress: UInt64 = 0
    // The 27 general registers of `user_x86_regs_entry`, in the order of the kernel's
    // `user_regs_struct` (field numbers 1-27). Compat tasks keep their 32-bit registers in the same fields.
    /// `gpregs.r15` (field 1).
    public var r15: UInt64 = 0
    /// `gpregs.r14` (field 2).
    public var r14: UInt64 = 0
    /// `gpregs.r13` (field 3).
    public var r13: UInt64 = 0
    /// `gpregs.r12` (field 4).
    public var r12: UInt64 = 0
    /// `gpregs.bp` (field 5).
    public var bp: UInt64 = 0
    /// `gpregs.bx` (field 6).
    public var bx: UInt64 = 0
    /// `gpregs.r11` (field 7).
    public var r11: UInt64 = 0
    /// `gpregs.r10` (field 8).
    public var r10: UInt64 = 0
    /// `gpregs.r9` (field 9).
    public var r9: UInt64 = 0
    /// `gpregs.r8` (field 10).
    public var r8: UInt64 = 0
    /// `gpregs.ax` (field 11).
    public var ax: UInt64 = 0
    /// `gpregs.cx` (field 12).
    public var cx: UInt64 = 0
    /// `gpregs.dx` (field 13).
    public var dx: UInt64 = 0
    /// `gpregs.si` (field 14).
    public var si: UInt64 = 0
    /// `gpregs.di` (field 15).
    public var di: UInt64 = 0
    /// `gpregs.orig_ax` (field 16).
    public var origAX: UInt64 = 0
    /// `gpregs.ip` (field 17).
    public var ip: UInt64 = 0
    /// `gpregs.cs` (field 18).
    public var cs: UInt64 = 0
    /// `gpregs.flags` (field 19).
    public var flags: UInt64 = 0
    /// `gpregs.sp` (field 20).
    public var sp: UInt64 = 0
    /// `gpregs.ss` (field 21).
    public var ss: UInt64 = 0
    /// `gpregs.fs_base` (field 22).
    public var fsBase: UInt64 = 0
    /// `gpregs.gs_base` (field 23).
    public var gsBase: UInt64 = 0
    /// `gpregs.ds` (field 24).
    public var ds: UInt64 = 0
    /// `gpregs.es` (field 25).
    public var es: UInt64 = 0
    /// `gpregs.fs` (field 26).
    public var fs: UInt64 = 0
    /// `gpregs.gs` (field 27).
    public var gs: UInt64 = 0
    /// `gpregs.mode`: native 64-bit or 32-bit compat (default NATIVE when absent).
    public var mode: X86RegisterMode = .native
    /// `fpregs.mxcsr`.
    public var mxcsr: UInt32 = 0
    /// True when `fpregs.xsave` is present (the CPU supports XSAVE).
    public var hasXSave = false
    /// `fpregs.xsave.xstate_bv`, when the XSAVE area is present.
    public var xstateBV: UInt64?
    /// The rest of `fpregs`: the x87, SSE and extended (AVX, MPX, AVX-512, PKRU) state.
    public var fpu = X86FPUState()
    /// `tls`: GDT TLS entries (set_thread_area).
    public var tls: [X86TLSDescriptor] = []

    /// The general registers by their `user_regs_struct` names, in field-number order.
    public var generalRegisters: [(name: String, value: UInt64)] {
        [("r15", r15), ("r14", r14), ("r13", r13), ("r12", r12), ("bp", bp), ("bx", bx), ("r11", r11),
         ("r10", r10), ("r9", r9), ("r8", r8), ("ax", ax), ("cx", cx), ("dx", dx), ("si", si), ("di", di),
         ("orig_ax", origAX), ("ip", ip), ("cs", cs), ("flags", flags), ("sp", sp), ("ss", ss),
         ("fs_base", fsBase), ("gs_base", gsBase), ("ds", ds), ("es", es), ("fs", fs), ("gs", gs)]
    }

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: clearTIDAddress = try reader.u64(key)
            case 2:
                try reader.expectLengthDelimited(key)
                var sub = try reader.readSubmessage()
                try readGeneral(&sub)
            case 3:
                try reader.expectLengthDelimited(key)
                var sub = try reader.readSubmessage()
                try readFloatingPoint(&sub)
            case 4: try reader.appendMessage(key, to: &tls)
            default: try reader.skip(key.wireType)
            }
        }
    }

    private mutating func readGeneral(_ reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: r15 = try reader.u64(key)
            case 2: r14 = try reader.u64(key)
            case 3: r13 = try reader.u64(key)
            case 4: r12 = try reader.u64(key)
            case 5: bp = try reader.u64(key)
            case 6: bx = try reader.u64(key)
            case 7: r11 = try reader.u64(key)
            case 8: r10 = try reader.u64(key)
            case 9: r9 = try reader.u64(key)
            case 10: r8 = try reader.u64(key)
            case 11: ax = try reader.u64(key)
            case 12: cx = try reader.u64(key)
            case 13: dx = try reader.u64(key)
            case 14: si = try reader.u64(key)
            case 15: di = try reader.u64(key)
            case 16: origAX = try reader.u64(key)
            case 17: ip = try reader.u64(key)
            case 18: cs = try reader.u64(key)
            case 19: flags = try reader.u64(key)
            case 20: sp = try reader.u64(key)
            case 21: ss = try reader.u64(key)
            case 22: fsBase = try reader.u64(key)
            case 23: gsBase = try reader.u64(key)
            case 24: ds = try reader.u64(key)
            case 25: es = try reader.u64(key)
            case 26: fs = try reader.u64(key)
            case 27: gs = try reader.u64(key)
            case 28: mode = X86RegisterMode(rawValue: try reader.u32(key))
            default: try reader.skip(key.wireType)
            }
        }
    }

    private mutating func readFloatingPoint(_ reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: fpu.cwd = try reader.u32(key)
            case 2: fpu.swd = try reader.u32(key)
            case 3: fpu.twd = try reader.u32(key)
            case 4: fpu.fop = try reader.u32(key)
            case 5: fpu.rip = try reader.u64(key)
            case 6: fpu.rdp = try reader.u64(key)
            case 7: mxcsr = try reader.u32(key)
            case 8: fpu.mxcsrMask = try reader.u32(key)
            case 9: try reader.appendU32(key, to: &fpu.stSpace)
            case 10: try reader.appendU32(key, to: &fpu.xmmSpace)
            case 13:
                try reader.expectLengthDelimited(key)
                var xsave = try reader.readSubmessage()
                hasXSave = true
                while let k = try xsave.nextKey() {
                    switch k.number {
                    case 1: xstateBV = try xsave.u64(k)
                    case 2: try xsave.appendU32(k, to: &fpu.ymmhSpace)
                    case 3: try xsave.appendU64(k, to: &fpu.bndregState)
                    case 4: try xsave.appendU64(k, to: &fpu.bndcsrState)
                    case 5: try xsave.appendU64(k, to: &fpu.opmaskReg)
                    case 6: try xsave.appendU64(k, to: &fpu.zmmUpper)
                    case 7: try xsave.appendU64(k, to: &fpu.hi16Zmm)
                    case 8: try xsave.appendU32(k, to: &fpu.pkru)
                    default: try xsave.skip(k.wireType)
                    }
                }
            default: try reader.skip(key.wireType)
            }
        }
    }
}

/// The x87/SSE/XSAVE state of an x86 thread. Mirrors `user_x86_fpregs_entry` (fields 1-6, 8-10:
/// the FXSAVE image CRIU stores, `mxcsr` being ``X86Registers/mxcsr``) and `user_x86_xsave_entry`
/// (fields 2-8), words as CRIU stores them (little-endian order of the hardware layout).
public struct X86FPUState: Hashable, Sendable {
    /// `cwd`: the x87 control word.
    public var cwd: UInt32 = 0
    /// `swd`: the x87 status word.
    public var swd: UInt32 = 0
    /// `twd`: the abridged x87 tag word.
    public var twd: UInt32 = 0
    /// `fop`: the last x87 opcode.
    public var fop: UInt32 = 0
    /// `rip`: the last x87 instruction pointer.
    public var rip: UInt64 = 0
    /// `rdp`: the last x87 data pointer.
    public var rdp: UInt64 = 0
    /// `mxcsr_mask`.
    public var mxcsrMask: UInt32 = 0
    /// `st_space`: ST0-ST7, 16 bytes each (32 words).
    public var stSpace: [UInt32] = []
    /// `xmm_space`: XMM0-XMM15, 16 bytes each (64 words).
    public var xmmSpace: [UInt32] = []
    /// `xsave.ymmh_space`: the upper halves of YMM0-YMM15 (64 words), when AVX is enabled.
    public var ymmhSpace: [UInt32] = []
    /// `xsave.bndreg_state`: MPX BND0-BND3.
    public var bndregState: [UInt64] = []
    /// `xsave.bndcsr_state`: MPX BNDCFGU and BNDSTATUS.
    public var bndcsrState: [UInt64] = []
    /// `xsave.opmask_reg`: AVX-512 k0-k7.
    public var opmaskReg: [UInt64] = []
    /// `xsave.zmm_upper`: the upper 256 bits of ZMM0-ZMM15.
    public var zmmUpper: [UInt64] = []
    /// `xsave.hi16_zmm`: ZMM16-ZMM31.
    public var hi16Zmm: [UInt64] = []
    /// `xsave.pkru`: the protection-key rights register (and its padding word).
    public var pkru: [UInt32] = []

    /// An empty state (all zero).
    public init() {}
}

/// Whether an x86 task runs 64-bit or 32-bit code. Mirrors enum `user_x86_regs_mode`.
public enum X86RegisterMode: Hashable, Sendable, RawRepresentable {
    /// NATIVE (1), also the proto2 default.
    case native
    /// COMPAT (2): an ia32 task; 32-bit registers in the same-named fields.
    case compat
    /// A value this library does not know.
    case unknown(UInt32)

    /// Maps a stored number to a case; numbers this library does not know become `unknown`.
    public init(rawValue: UInt32) {
        switch rawValue {
        case 1: self = .native
        case 2: self = .compat
        default: self = .unknown(rawValue)
        }
    }

    /// The number as stored in the image.
    public var rawValue: UInt32 {
        switch self {
        case .native: 1
        case .compat: 2
        case .unknown(let value): value
        }
    }
}

/// A GDT TLS entry (set_thread_area). Mirrors `user_desc_t`.
public struct X86TLSDescriptor: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "user_desc_t"

    /// `entry_number`.
    public var entryNumber: UInt32 = 0
    /// `base_addr`.
    public var baseAddress: UInt32 = 0
    /// `limit`.
    public var limit: UInt32 = 0
    /// `seg_32bit`.
    public var is32Bit = false
    /// `contents_h`.
    public var contentsHigh = false
    /// `contents_l`.
    public var contentsLow = false
    /// `read_exec_only` (proto2 default true).
    public var readExecOnly = true
    /// `limit_in_pages`.
    public var limitInPages = false
    /// `seg_not_present` (proto2 default true).
    public var segmentNotPresent = true
    /// `usable`.
    public var usable = false

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: entryNumber = try reader.u32(key)
            case 2: baseAddress = try reader.u32(key)
            case 3: limit = try reader.u32(key)
            case 4: is32Bit = try reader.bool(key)
            case 5: contentsHigh = try reader.bool(key)
            case 6: contentsLow = try reader.bool(key)
            case 7: readExecOnly = try reader.bool(key)
            case 8: limitInPages = try reader.bool(key)
            case 9: segmentNotPresent = try reader.bool(key)
            case 10: usable = try reader.bool(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

/// AArch64 thread state. Mirrors `thread_info_aarch64` with its `user_aarch64_regs_entry` and
/// `user_aarch64_fpsimd_context_entry`.
public struct AArch64Registers: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "thread_info_aarch64"

    /// `clear_tid_addr`.
    public var clearTIDAddress: UInt64 = 0
    /// `tls`: TPIDR_EL0.
    public var tls: UInt64 = 0
    /// `gpregs.regs`: x0..x30 (31 registers).
    public var regs: [UInt64] = []
    /// `gpregs.sp`.
    public var sp: UInt64 = 0
    /// `gpregs.pc`.
    public var pc: UInt64 = 0
    /// `gpregs.pstate`.
    public var pstate: UInt64 = 0
    /// `fpsimd.vregs`: V0-V31 as 64 words, each register's low word first.
    public var vregs: [UInt64] = []
    /// `fpsimd.fpsr`.
    public var fpsr: UInt32 = 0
    /// `fpsimd.fpcr`.
    public var fpcr: UInt32 = 0
    /// True when pointer-authentication keys are saved (4.1+).
    public var hasPACKeys = false

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: clearTIDAddress = try reader.u64(key)
            case 2: tls = try reader.u64(key)
            case 3:
                try reader.expectLengthDelimited(key)
                var sub = try reader.readSubmessage()
                while let k = try sub.nextKey() {
                    switch k.number {
                    case 1: try sub.appendU64(k, to: &regs)
                    case 2: sp = try sub.u64(k)
                    case 3: pc = try sub.u64(k)
                    case 4: pstate = try sub.u64(k)
                    default: try sub.skip(k.wireType)
                    }
                }
            case 4:
                try reader.expectLengthDelimited(key)
                var sub = try reader.readSubmessage()
                while let k = try sub.nextKey() {
                    switch k.number {
                    case 1: try sub.appendU64(k, to: &vregs)
                    case 2: fpsr = try sub.u32(k)
                    case 3: fpcr = try sub.u32(k)
                    default: try sub.skip(k.wireType)
                    }
                }
            case 5:
                try reader.expectLengthDelimited(key)
                _ = try reader.readLengthDelimitedRange()
                hasPACKeys = true
            default: try reader.skip(key.wireType)
            }
        }
    }

    /// Register xN (0...30), or nil when not saved.
    public func x(_ n: Int) -> UInt64? { n >= 0 && n < regs.count ? regs[n] : nil }
}

extension X86TLSDescriptor: EncodableImageMessage {
    /// Writes the model as CRIU writes `user_desc_t` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(entryNumber))
        writer.write(2, varint: UInt64(baseAddress))
        writer.write(3, varint: UInt64(limit))
        writer.write(4, bool: is32Bit)
        writer.write(5, bool: contentsHigh)
        writer.write(6, bool: contentsLow)
        writer.write(7, bool: readExecOnly)
        writer.write(8, bool: limitInPages)
        writer.write(9, bool: segmentNotPresent)
        writer.write(10, bool: usable)
    }
}
