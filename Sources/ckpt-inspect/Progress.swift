import Foundation
import Synchronization

/// The one status line a run may draw on stderr, shared by every ``Progress``.
///
/// It is drawn only on a terminal (never into a file or a pipe), not when `CKPT_NO_PROGRESS` is
/// set or `TERM` is `dumb`; redrawn at most every `interval`, never before the work has gone on
/// for `delay`; each drawing is `\r<text>\e[K`, and erasing is `\r\e[K`. Command output erases it
/// first (``Output``), and so does the end of the process.
final class ProgressLine: Sendable {
    /// stderr.
    static let standardError = ProgressLine(fileDescriptor: STDERR_FILENO)

    let fileDescriptor: Int32
    /// Whether anything may be drawn at all.
    let isTerminal: Bool
    /// The least time between two drawings.
    let interval: Duration
    /// Work shorter than this draws nothing.
    let delay: Duration

    private struct State {
        var drawn = false
        var lastDraw: ContinuousClock.Instant?
        /// The progress that holds the line (a command's own work); background progress then waits.
        var holder: ObjectIdentifier?
        var exitHookInstalled = false
    }

    private let state = Mutex(State())

    /// - Parameter forceTerminal: draw even when `fileDescriptor` is not a terminal (tests).
    init(fileDescriptor: Int32, forceTerminal: Bool = false, interval: Duration = .milliseconds(200), delay: Duration = .seconds(1)) {
        self.fileDescriptor = fileDescriptor
        self.interval = interval
        self.delay = delay
        let environment = ProcessInfo.processInfo.environment
        self.isTerminal = forceTerminal
            || (isatty(fileDescriptor) != 0 && environment["CKPT_NO_PROGRESS"] == nil && environment["TERM"] != "dumb")
    }

    /// Draws `text` for `owner` unless another progress holds the line or the last drawing is too recent.
    func draw(_ text: String, owner: ObjectIdentifier) {
        let now = ContinuousClock.now
        let allowed = state.withLock { s -> Bool in
            if let holder = s.holder, holder != owner { return false }
            if let last = s.lastDraw, now - last < interval { return false }
            s.lastDraw = now
            s.drawn = true
            if !s.exitHookInstalled && self === ProgressLine.standardError {
                s.exitHookInstalled = true
                atexit { ProgressLine.standardError.erase() }
            }
            return true
        }
        if allowed { emit("\r" + fitted(text) + "\u{1B}[K") }
    }

    /// Holds the line for `owner`: background progress waits until it is released.
    func claim(_ owner: ObjectIdentifier) {
        state.withLock { $0.holder = owner }
    }

    /// Gives up the line if `owner` holds it.
    func release(_ owner: ObjectIdentifier) {
        state.withLock { s in
            if s.holder == owner { s.holder = nil }
        }
    }

    /// Erases the line if something is drawn on it.
    func erase() {
        let drawn = state.withLock { s -> Bool in
            defer { s.drawn = false; s.lastDraw = nil }
            return s.drawn
        }
        if drawn { emit("\r\u{1B}[K") }
    }

    /// `text` cut to the terminal's width (a wrapped line could not be erased with `\r`).
    private func fitted(_ text: String) -> String {
        var size = winsize()
        guard ioctl(fileDescriptor, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 1 else { return text }
        let width = Int(size.ws_col) - 1
        return text.count > width ? String(text.prefix(width)) : text
    }

    private func emit(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { write(fileDescriptor, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            bytes = bytes.dropFirst(n)
        }
    }
}

/// A progress line on stderr for work that takes more than about a second (decompressing, scanning
/// pages, diffing): `label: 12.0 MiB of 80.0 MiB (15%)`. Draws only when enabled (not `--quiet`,
/// not JSON output) and when its ``ProgressLine`` is a terminal; throttled; erased by ``finish()``.
///
/// A *foreground* progress (the command's own work) holds the line from its first update (or
/// ``start()``) until it reaches its total or finishes; a background one (decompression under that
/// work) draws only when no other progress holds the line.
final class Progress: Sendable {
    /// What `done` and `total` count.
    enum Unit: Sendable {
        case bytes
        /// Things, named in the plural ("pages").
        case items(String)
    }

    let label: String
    let unit: Unit
    let enabled: Bool
    let foreground: Bool
    let line: ProgressLine

    private struct State {
        var started: ContinuousClock.Instant
        var lastDone: UInt64 = 0
    }

    private let state: Mutex<State>

    init(label: String, unit: Unit = .bytes, enabled: Bool = true, foreground: Bool = true, line: ProgressLine = .standardError) {
        self.label = Terminal.safe(label)
        self.unit = unit
        self.enabled = enabled && line.isTerminal
        self.foreground = foreground
        self.line = line
        self.state = Mutex(State(started: .now))
    }

    /// The work begins: a foreground progress holds the line from now on, before its first update.
    func start() {
        guard enabled, foreground else { return }
        state.withLock { $0.started = .now }
        line.claim(ObjectIdentifier(self))
    }

    /// Records `done` of `total` (`total` 0: unknown) and redraws when it is time to. `done` going
    /// back (a new pass over an archive) starts the work again, delay included.
    func update(_ done: UInt64, _ total: UInt64) {
        guard enabled else { return }
        let now = ContinuousClock.now
        let due = state.withLock { s -> Bool in
            if done < s.lastDone { s.started = now }
            s.lastDone = done
            return now - s.started >= line.delay
        }
        let id = ObjectIdentifier(self)
        let complete = total > 0 && done >= total
        if foreground && !complete { line.claim(id) }
        if due { line.draw(text(done, total), owner: id) }
        if foreground && complete { line.release(id) }
    }

    /// The work is over: gives up the line and erases it.
    func finish() {
        guard enabled else { return }
        line.release(ObjectIdentifier(self))
        line.erase()
    }

    func text(_ done: UInt64, _ total: UInt64) -> String {
        let name = label.count > 48 ? "…" + label.suffix(47) : label
        func amount(_ n: UInt64) -> String {
            switch unit {
            case .bytes: Size.text(n)
            case .items: String(n)
            }
        }
        let noun: String = if case .items(let plural) = unit { " " + plural } else { "" }
        guard total > 0 else { return "\(name): \(amount(done))\(noun)" }
        return "\(name): \(amount(min(done, total))) of \(amount(total))\(noun) (\(min(done, total) * 100 / total)%)"
    }
}
