import ArgumentParser
import Checkpoint
import Foundation

// The option groups shared by the commands: one declaration per idea, so `--pid`, `--format`,
// `--color`, `--bytes` and `--previous` mean the same thing, with the same help and the same
// errors, wherever they appear. A command takes every group it can honour.

/// Output format of the reporting commands.
enum OutputFormat: String, OptionChoice {
    case text, json
}

/// `--format`, `--color` and `--quiet`: every command that prints a report.
struct OutputOptions: ParsableArguments {
    @Option(name: .long, help: "Output format.")
    var format: OutputFormat = .text

    @Option(name: .long, help: "Colour: auto (when stdout is a terminal, NO_COLOR is unset and TERM is not dumb), always or never.")
    var color: ColorMode = .auto

    @OptionGroup var diagnostics: DiagnosticOptions

    /// `--quiet`.
    var quiet: Bool { diagnostics.quiet }
    /// Never colour in JSON.
    var style: Style { Style(json ? .never : color) }
    var json: Bool { format == .json }
}

/// `--bytes`: every command that prints sizes.
struct SizeOptions: ParsableArguments {
    @Flag(name: .long, help: "Print sizes in bytes instead of human units.")
    var bytes = false

    /// `bytes` as the command prints it: `1.5 KiB`, or `1536 B` with `--bytes`.
    func text(_ bytes: UInt64) -> String { Size.text(bytes, exact: self.bytes) }
}

/// `--pid`: every command that reports per process.
struct ProcessSelection: ParsableArguments {
    @Option(name: .long, parsing: .unconditionalSingleValue, help: "Only this process; repeatable.", transform: Parse.pid)
    var pid: [UInt32] = []

    /// Whether the user named processes.
    var isEmpty: Bool { pid.isEmpty }

    /// The named processes in checkpoint order (with `descendants`, and every process under them);
    /// all processes when none is named. A pid that is not in the checkpoint is a usage error.
    func processes(in c: Checkpoint, descendants: Bool = false) throws(UsageError) -> [CheckpointProcess] {
        for p in pid where c.process(p) == nil {
            throw UsageError(option: "--pid", value: String(p),
                             "no such process in \(RawPath.display(c.path)) (pids: \(c.processes.map { String($0.pid) }.joined(separator: ", ")))")
        }
        return filter(c, descendants: descendants)
    }

    /// Checks the named pids against what a command opened: a pid in no container of a pod checkpoint
    /// (or not in a container checkpoint) is a usage error naming the pids there are.
    func check(_ targets: Targets) throws(UsageError) {
        guard let pod = targets.pod else {
            if let c = targets.items.first?.checkpoint { _ = try processes(in: c) }
            return
        }
        for p in pid where !targets.items.contains(where: { $0.checkpoint.process(p) != nil }) {
            let pids = targets.items.map { t in "\(t.container ?? "?"): " + t.checkpoint.processes.map { String($0.pid) }.joined(separator: ", ") }
            throw UsageError(option: "--pid", value: String(p),
                             "no such process in any container of \(RawPath.display(pod.path)) (pids: \(pids.joined(separator: "; ")))")
        }
    }

    /// The named processes of `c` that it holds (all when none is named), as ``processes(in:descendants:)``
    /// without the check: for the containers of a pod, where a pid is in some of them.
    func filter(_ c: Checkpoint, descendants: Bool = false) -> [CheckpointProcess] {
        guard !pid.isEmpty else { return c.processes }
        var keep = Set(pid)
        if descendants {
            // Parents come before their children in pstree order; repeat until nothing is added.
            var added = true
            while added {
                added = false
                for p in c.processes where keep.contains(p.ppid) && p.pid != p.ppid && !keep.contains(p.pid) {
                    keep.insert(p.pid)
                    added = true
                }
            }
        }
        return c.processes.filter { keep.contains($0.pid) }
    }
}

/// `--previous`: every command that opens one checkpoint.
struct PreviousOption: ParsableArguments {
    @Option(name: .long, help: "A separate archive or directory with the parent (pre-dump) images.")
    var previous: String?

    /// Opens `path` with the parent images, reporting as ``openCheckpoint(_:previous:nested:progress:diagnostics:previousOption:)``
    /// (with `diagnostics`, the partial-evidence warnings, which name this option).
    func open(_ path: String, nested: Bool = false, progress: Progress? = nil, diagnostics: DiagnosticOptions? = nil) throws -> Checkpoint {
        try openCheckpoint(path, previous: previous, nested: nested, progress: progress, diagnostics: diagnostics)
    }
}

/// `--pid` of the commands that work on exactly one process (`mem read`, `mem dump`).
struct OneProcess: ParsableArguments {
    @Option(name: .long, parsing: .unconditional, help: "The process.", transform: Parse.pid)
    var pid: UInt32

    /// The process, or the usage error naming the pids there are.
    func process(in c: Checkpoint) throws(UsageError) -> CheckpointProcess {
        guard let p = c.process(pid) else {
            throw UsageError(option: "--pid", value: String(pid),
                             "no such process in \(RawPath.display(c.path)) (pids: \(c.processes.map { String($0.pid) }.joined(separator: ", ")))")
        }
        return p
    }
}
