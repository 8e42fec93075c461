/// The per-process part of a core image: present in the thread-group leader's
/// `core-<pid>.img` and in zombie cores. Mirrors `task_core_entry`.
public struct TaskCore: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "task_core_entry"

    /// `task_state`: alive, dead (how zombies are stored) or stopped.
    public var state: TaskState = .unknown(0)
    /// `exit_code`: exit status of a zombie; 0 otherwise.
    public var exitCode: UInt32 = 0
    /// `personality`: the personality(2) value (dumping architecture's constants).
    public var personality: UInt32 = 0
    /// `flags`: kernel PF_* task flags.
    public var flags: UInt32 = 0
    /// `blk_sigset`: blocked signals 1..64 (bit n-1 = signal n); the per-thread value is in ``ThreadCore/blockedSignals``.
    public var blockedSignals: UInt64 = 0
    /// `comm`: the process name.
    public var comm: LinuxName = LinuxName(bytes: [])
    /// `timers`: itimers and POSIX timers.
    public var timers: TaskTimers?
    /// `rlimits`: resource limits, index = RLIMIT_* number; nil when the `task_rlimits_entry` is absent.
    public var resourceLimits: [ResourceLimit]?
    /// `cg_set`: deprecated per-process cgroup set id (see ``ThreadCore/cgroupSet``).
    public var cgroupSet: UInt32?
    /// `signals_s`: shared pending signals, each a raw kernel `siginfo_t` (native layout);
    /// nil when the queue message is absent.
    public var pendingSignals: [[UInt8]]?
    /// `old_seccomp_mode`: deprecated; seccomp is per thread since 3.10.
    public var oldSeccompMode: SeccompMode?
    /// `old_seccomp_filter`: deprecated filter index.
    public var oldSeccompFilter: UInt32?
    /// `loginuid`: the audit login uid.
    public var loginUID: UInt32?
    /// `oom_score_adj`.
    public var oomScoreAdjust: Int32?
    /// `sigactions`: handlers for signals 1..64 skipping SIGKILL and SIGSTOP.
    public var signalActions: [SignalAction] = []
    /// `child_subreaper`: prctl(PR_SET_CHILD_SUBREAPER).
    public var childSubreaper: Bool?
    /// `blk_sigset_extended`: upper 64 blocked signals (MIPS).
    public var blockedSignalsExtended: UInt64?
    /// `stop_signo`: the signal that stopped a ``TaskState/stopped`` task.
    public var stopSignal: UInt32?
    /// `membarrier_registration_mask`.
    public var membarrierRegistrationMask: UInt32?

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: state = TaskState(rawValue: try reader.u32(key))
            case 2: exitCode = try reader.u32(key)
            case 3: personality = try reader.u32(key)
            case 4: flags = try reader.u32(key)
            case 5: blockedSignals = try reader.u64(key)
            case 6: comm = try reader.name(key)
            case 7: timers = try reader.message(key)
            case 8:
                let limits: ResourceLimits = try reader.message(key)
                resourceLimits = (resourceLimits ?? []) + limits.limits
            case 9: cgroupSet = try reader.u32(key)
            case 10:
                let queue: SignalQueue = try reader.message(key)
                pendingSignals = (pendingSignals ?? []) + queue.signals
            case 11: oldSeccompMode = SeccompMode(rawValue: try reader.u32(key))
            case 12: oldSeccompFilter = try reader.u32(key)
            case 13: loginUID = try reader.u32(key)
            case 14: oomScoreAdjust = try reader.i32(key)
            case 15: try reader.appendMessage(key, to: &signalActions)
            case 18: childSubreaper = try reader.bool(key)
            case 20: blockedSignalsExtended = try reader.u64(key)
            case 21: stopSignal = try reader.u32(key)
            case 22: membarrierRegistrationMask = try reader.u32(key)
            default: try reader.skip(key.wireType)
            }
        }
    }
}

/// A task's state as CRIU stores it in `task_core_entry.task_state`.
///
/// The C definitions (and restore) use 1 = alive, 2 = dead (zombie), 3 = stopped; crit's
/// pretty printer mislabels 3 as "Zombie". Compel's internal 6 (zombie) never reaches images.
public enum TaskState: Hashable, Sendable, RawRepresentable, CustomStringConvertible {
    /// 1: running or sleeping when frozen.
    case alive
    /// 2: dead; the only way a zombie is stored (core has `tc` only, no registers, no mm or fds).
    case dead
    /// 3: stopped (SIGSTOP or ptrace); ``TaskCore/stopSignal`` is set.
    case stopped
    /// A value CRIU does not write.
    case unknown(UInt32)

    /// Zombies are stored as ``dead``.
    public static let zombie = TaskState.dead

    /// Maps a stored number to a case; numbers this library does not know become `unknown`.
    public init(rawValue: UInt32) {
        switch rawValue {
        case 1: self = .alive
        case 2: self = .dead
        case 3: self = .stopped
        default: self = .unknown(rawValue)
        }
    }

    /// The number as stored in the image.
    public var rawValue: UInt32 {
        switch self {
        case .alive: 1
        case .dead: 2
        case .stopped: 3
        case .unknown(let value): value
        }
    }

    /// True for ``dead`` (zombie) tasks.
    public var isZombie: Bool { self == .dead }

    /// `alive`, `zombie`, `stopped`, or `unknown(N)`.
    public var description: String {
        switch self {
        case .alive: "alive"
        case .dead: "zombie"
        case .stopped: "stopped"
        case .unknown(let value): "unknown(\(value))"
        }
    }
}

/// A seccomp mode. Mirrors enum `seccomp_mode`.
public enum SeccompMode: Hashable, Sendable, RawRepresentable {
    /// `disabled` (0).
    case disabled
    /// `strict` (1).
    case strict
    /// `filter` (2).
    case filter
    /// A value this library does not know.
    case unknown(UInt32)

    /// Maps a stored number to a case; numbers this library does not know become `unknown`.
    public init(rawValue: UInt32) {
        switch rawValue {
        case 0: self = .disabled
        case 1: self = .strict
        case 2: self = .filter
        default: self = .unknown(rawValue)
        }
    }

    /// The number as stored in the image.
    public var rawValue: UInt32 {
        switch self {
        case .disabled: 0
        case .strict: 1
        case .filter: 2
        case .unknown(let value): value
        }
    }
}

/// The rlimit list of a task. Mirrors `task_rlimits_entry`.
struct ResourceLimits: ImageMessage {
    static let messageName = "task_rlimits_entry"
    var limits: [ResourceLimit] = []

    init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            if key.number == 1 { try reader.appendMessage(key, to: &limits) } else { try reader.skip(key.wireType) }
        }
    }
}

/// A pending-signal queue. Mirrors `signal_queue_entry` (of `siginfo_entry`).
struct SignalQueue: ImageMessage {
    static let messageName = "signal_queue_entry"
    var signals: [[UInt8]] = []

    init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            if key.number == 1 {
                let info: SignalInfo = try reader.message(key)
                signals.append(info.siginfo)
            } else {
                try reader.skip(key.wireType)
            }
        }
    }
}

/// One pending signal. Mirrors `siginfo_entry`.
struct SignalInfo: ImageMessage {
    static let messageName = "siginfo_entry"
    var siginfo: [UInt8] = []

    init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            if key.number == 1 { siginfo = try reader.bytes(key) } else { try reader.skip(key.wireType) }
        }
    }
}

extension TaskCore: EncodableImageMessage {
    /// Writes the model as CRIU writes `task_core_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: UInt64(state.rawValue))
        writer.write(2, varint: UInt64(exitCode))
        writer.write(3, varint: UInt64(personality))
        writer.write(4, varint: UInt64(flags))
        writer.write(5, varint: blockedSignals)
        writer.write(6, bytes: comm.bytes)
        if let v = timers { try writer.write(7, message: v) }
        if let v = resourceLimits { var limits = WireWriter(); for l in v { try limits.write(1, message: l) }; writer.write(8, bytes: limits.bytes) }
        if let v = cgroupSet { writer.write(9, varint: UInt64(v)) }
        if let v = pendingSignals { var queue = WireWriter(); for s in v { queue.writeMessage(1) { $0.write(1, bytes: s) } }; writer.write(10, bytes: queue.bytes) }
        if let v = oldSeccompMode { writer.write(11, signed: Int64(Int32(truncatingIfNeeded: v.rawValue))) }
        if let v = oldSeccompFilter { writer.write(12, varint: UInt64(v)) }
        if let v = loginUID { writer.write(13, varint: UInt64(v)) }
        if let v = oomScoreAdjust { writer.write(14, signed: Int64(v)) }
        for v in signalActions { try writer.write(15, message: v) }
        if let v = childSubreaper { writer.write(18, bool: v) }
        if let v = blockedSignalsExtended { writer.write(20, varint: v) }
        if let v = stopSignal { writer.write(21, varint: UInt64(v)) }
        if let v = membarrierRegistrationMask { writer.write(22, varint: UInt64(v)) }
    }
}
