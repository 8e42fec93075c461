import ArgumentParser
import Checkpoint
import Foundation

/// `--quiet`, shared by every command: what goes to stderr besides errors.
///
/// Warnings and notes (`no match`, skipped holes, the warnings of a report) and progress lines are
/// left out with `--quiet`; errors are always printed. Progress lines are drawn only when stderr is
/// a terminal, and never for JSON output.
struct DiagnosticOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Print no warnings, notes or progress lines (errors are still printed).")
    var quiet = false

    /// Prints a warning or note on stderr in the error convention, unless `--quiet`.
    func warn(_ text: String) {
        if !quiet { Output.error(text) }
    }

    /// A progress line for the command's own work (see ``Progress``).
    func progress(_ label: String, unit: Progress.Unit = .bytes, json: Bool = false) -> Progress {
        Progress(label: label, unit: unit, enabled: !quiet && !json)
    }

    /// A background progress line for reading (decompressing) the archive at `path`: for
    /// ``CheckpointSource/Options/progress`` through ``openCheckpoint(_:previous:nested:progress:)``.
    func reading(_ path: String, json: Bool = false) -> Progress {
        let name = path == "-" ? "stdin" : (path as NSString).lastPathComponent
        let verb = name.hasSuffix(".tar") ? "reading" : "decompressing"
        return Progress(label: "\(verb) \(name)", unit: .bytes, enabled: !quiet && !json, foreground: false)
    }
}

extension Progress {
    /// This progress as an archive reporter (``CheckpointSource/Options/progress``); nil when it
    /// never draws, so the library makes no calls.
    var reporter: (@Sendable (UInt64, UInt64) -> Void)? {
        guard enabled else { return nil }
        return { [self] done, total in update(done, total) }
    }
}
