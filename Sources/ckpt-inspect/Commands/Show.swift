import ArgumentParser
import Checkpoint
import CheckpointArchive
import CRIUImages
import Foundation

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "One line per checkpoint: container, image, engine, sizes, processes.")

    @Argument(help: "Checkpoint archives (.tar, .tar.gz, .tar.zst, ...) or directories; - for stdin.")
    var paths: [String]

    @OptionGroup var output: OutputOptions

    func run() throws {
        var table = Table(headers: ["CONTAINER", "IMAGE", "ID", "RUNTIME", "CREATED", "ENGINE", "CHKPT SIZE", "ROOTFS DIFF", "PROCS", "MEMORY"])
        table.rightAligned = [6, 7, 8, 9]
        var json: [JSONValue] = []
        var failed = false
        for path in paths {
            let checkpoint: Checkpoint
            let progress = output.diagnostics.reading(path, json: output.json)
            defer { progress.finish() }
            do {
                checkpoint = try Checkpoint.open(RawPath.resolve(path), options: .init(source: .init(progress: progress.reporter), listNestedArchives: false))
            } catch {
                Output.error(error.description)
                failed = true
                continue
            }
            warnPartialEvidence(checkpoint, output.diagnostics, previousOption: nil, label: nil)
            let e = checkpoint.engine
            let id = e.containerID.map { String($0.prefix(12)) } ?? "-"
            let size = checkpoint.sizes.total
            table.rows.append([
                Terminal.safe(e.containerName ?? (checkpoint.facts.isPreDump ? "(pre-checkpoint)" : "-")), Terminal.safe(e.imageName ?? "-"), id, e.runtime ?? "-",
                e.created.map(Self.shortDate) ?? "-", e.engine.rawValue,
                Size.text(size, exact: output.bytes), Size.text(checkpoint.sizes.rootfsDiff, exact: output.bytes),
                String(checkpoint.processes.count), Size.text(checkpoint.sizes.pages, exact: output.bytes),
            ])
            json.append(Report.summary(checkpoint))
        }
        switch output.format {
        case .json: Output.write(JSONValue.array(json).serialized() + "\n")
        case .text: if !table.rows.isEmpty { Output.write(table.render(style: output.style)) }
        }
        if failed { throw ExitCode.badData }
    }

    /// `2026-11-29T14:01:46.750604855Z` → `2026-11-29 14:01:46`.
    static func shortDate(_ s: String) -> String {
        guard s.count >= 19 else { return s }
        return String(s.prefix(19)).replacingOccurrences(of: "T", with: " ")
    }
}

struct OutputOptions: ParsableArguments {
    @Option(name: .long, help: "Output format: text or json.")
    var format: OutputFormat = .text

    @Flag(name: .long, help: "Print sizes in bytes instead of human units.")
    var bytes = false

    @Option(name: .long, help: "Colour: auto (when stdout is a terminal and NO_COLOR is unset), always or never.")
    var color: ColorMode = .auto

    @OptionGroup var diagnostics: DiagnosticOptions

    /// `--quiet`.
    var quiet: Bool { diagnostics.quiet }
    var style: Style { Style(color) }
    var json: Bool { format == .json }
}
