/// A set of signals as the kernel stores a `sigset_t` word: bit N-1 is signal N.
/// Used for `task_core_entry.blk_sigset` and `signalfd_entry.sigmask`.
public struct SignalMask: OptionSet, Hashable, Sendable {
    /// The bits as stored.
    public var rawValue: UInt64

    /// A mask from stored bits.
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// Linux's signal names without the `SIG` prefix, signal 1 (HUP) to 31 (SYS), x86 and arm numbering.
    static let names = ["HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE",
                        "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ",
                        "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS"]

    /// The signals in the mask by name, ascending: `SIGUSR1`, ...; real-time and unnamed signals as `SIG<n>`.
    public var names: [String] {
        (0..<64).filter { rawValue & (1 << UInt64($0)) != 0 }.map { $0 < Self.names.count ? "SIG" + Self.names[$0] : "SIG\($0 + 1)" }
    }
}
