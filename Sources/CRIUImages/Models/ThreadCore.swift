/// The per-thread part of a core image, present in every live thread's `core-<tid>.img`
/// (absent for zombies). Mirrors `thread_core_entry`.
public struct ThreadCore: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "thread_core_entry"

    /// `futex_rla`: robust futex list head address.
    public var robustListHead: UInt64 = 0
    /// `futex_rla_len`: robust list head length.
    public var robustListLength: UInt32 = 0
    /// `sched_nice`: nice value.
    public var schedulingNice: Int32?
    /// `sched_policy`: SCHED_* policy (may include SCHED_RESET_ON_FORK 0x40000000).
    public var schedulingPolicy: UInt32?
    /// `sched_prio`: real-time priority (FIFO/RR only).
    public var schedulingPriority: UInt32?
    /// `blk_sigset`: this thread's blocked signals 1..64.
    public var blockedSignals: UInt64?
    /// `sas`: the alternate signal stack.
    public var signalStack: SignalStack?
    /// `pdeath_sig`: prctl(PR_SET_PDEATHSIG) signal.
    public var parentDeathSignal: UInt32?
    /// `signals_p`: private pending signals, each a raw kernel `siginfo_t`; nil when absent.
    public var pendingSignals: [[UInt8]]?
    /// `creds`: this thread's credentials.
    public var credentials: Credentials?
    /// `seccomp_mode`.
    public var seccompMode: SeccompMode?
    /// `seccomp_filter`: index into ``Seccomp/filters`` of this thread's newest filter.
    public var seccompFilter: UInt32?
    /// `comm`: the thread name.
    public var comm: LinuxName?
    /// `blk_sigset_extended`: upper 64 blocked signals (MIPS).
    public var blockedSignalsExtended: UInt64?
    /// `rseq_entry`: restartable-sequences registration.
    public var rseq: RestartableSequence?
    /// `cg_set`: cgroup set id (3.18+; supersedes ``TaskCore/cgroupSet``).
    public var cgroupSet: UInt32?

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: robustListHead = try reader.u64(key)
            case 2: robustListLength = try reader.u32(key)
            case 3: schedulingNice = try reader.s32(key)
            case 4: schedulingPolicy = try reader.u32(key)
            case 5: schedulingPriority = try reader.u32(key)
            case 6: blockedSignals = try reader.u64(key)
            case 7: signalStack = try reader.message(key)
            case 8: parentDeathSignal = try reader.u32(key)
            case 9:
                let queue: SignalQueue = try reader.message(key)
                pendingSignals = (pendingSignals ?? []) + queue.signals
            case 10: credentials = try reader.message(key)
            case 11: seccompMode = SeccompMode(rawValue: try reader.u32(key))
            case 12: seccompFilter = try reader.u32(key)
            case 13: comm = try reader.name(key)
            case 14: blockedSignalsExtended = try reader.u64(key)
            case 15: rseq = try reader.message(key)
            case 16: cgroupSet = try reader.u32(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

/// An alternate signal stack (sigaltstack). Mirrors `thread_sas_entry`.
public struct SignalStack: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "thread_sas_entry"

    /// `ss_sp`.
    public var pointer: UInt64 = 0
    /// `ss_size`.
    public var size: UInt64 = 0
    /// `ss_flags`: SS_ONSTACK 1, SS_DISABLE 2, SS_AUTODISARM 1<<31.
    public var flags: UInt32 = 0

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: pointer = try reader.u64(key)
            case 2: size = try reader.u64(key)
            case 3: flags = try reader.u32(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

/// A thread's rseq(2) registration. Mirrors `rseq_entry`.
public struct RestartableSequence: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "rseq_entry"

    /// `rseq_abi_pointer`: user address of `struct rseq`.
    public var abiPointer: UInt64 = 0
    /// `rseq_abi_size`.
    public var abiSize: UInt32 = 0
    /// `signature`.
    public var signature: UInt32 = 0
    /// `rseq_cs_pointer`: set when the thread was inside a critical section.
    public var criticalSectionPointer: UInt64?

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: abiPointer = try reader.u64(key)
            case 2: abiSize = try reader.u32(key)
            case 3: signature = try reader.u32(key)
            case 4: criticalSectionPointer = try reader.u64(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

extension ThreadCore: EncodableImageMessage {
    /// Writes the model as CRIU writes `thread_core_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: robustListHead)
        writer.write(2, varint: UInt64(robustListLength))
        if let v = schedulingNice { writer.write(3, sint32: v) }
        if let v = schedulingPolicy { writer.write(4, varint: UInt64(v)) }
        if let v = schedulingPriority { writer.write(5, varint: UInt64(v)) }
        if let v = blockedSignals { writer.write(6, varint: v) }
        if let v = signalStack { try writer.write(7, message: v) }
        if let v = parentDeathSignal { writer.write(8, varint: UInt64(v)) }
        if let v = pendingSignals { var queue = WireWriter(); for s in v { queue.writeMessage(1) { $0.write(1, bytes: s) } }; writer.write(9, bytes: queue.bytes) }
        if let v = credentials { try writer.write(10, message: v) }
        if let v = seccompMode { writer.write(11, signed: Int64(Int32(truncatingIfNeeded: v.rawValue))) }
        if let v = seccompFilter { writer.write(12, varint: UInt64(v)) }
        if let v = comm { writer.write(13, bytes: v.bytes) }
        if let v = blockedSignalsExtended { writer.write(14, varint: v) }
        if let v = rseq { try writer.write(15, message: v) }
        if let v = cgroupSet { writer.write(16, varint: UInt64(v)) }
    }
}

extension SignalStack: EncodableImageMessage {
    /// Writes the model as CRIU writes `thread_sas_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: pointer)
        writer.write(2, varint: size)
        writer.write(3, varint: UInt64(flags))
    }
}

extension RestartableSequence: EncodableImageMessage {
    /// Writes the model as CRIU writes `rseq_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: abiPointer)
        writer.write(2, varint: UInt64(abiSize))
        writer.write(3, varint: UInt64(signature))
        if let v = criticalSectionPointer { writer.write(4, varint: v) }
    }
}
