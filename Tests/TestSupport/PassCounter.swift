internal import Synchronization

/// Counts the passes over an archive: a `CheckpointSource.Options.progress` reporter restarts
/// from 0 with each one.
public final class PassCounter: Sendable {
    private let state = Mutex<(passes: Int, last: UInt64)>((0, 0))

    /// A counter that has seen no pass.
    public init() {}

    /// The passes seen so far.
    public var passes: Int { state.withLock { $0.passes } }

    /// The reporter to give the archive's options.
    public var reporter: @Sendable (UInt64, UInt64) -> Void {
        { done, _ in self.state.withLock { s in
            if done <= s.last || s.passes == 0 { s.passes += 1 }
            s.last = done
        } }
    }
}
