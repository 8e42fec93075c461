import ArgumentParser
import Checkpoint
import CheckpointArchive
import CheckpointAnalysis
import Foundation

struct HTMLReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a self-contained HTML page about a checkpoint, for writing up an investigation.",
        discussion: "Summary, process tree with command lines, each process's memory map drawn to scale (dumped, in a parent, not dumped), open files and sockets, mounts, and the findings of `verify`. The page loads nothing from the network or other files.")

    @Argument(help: "A checkpoint archive or directory.") var path: String
    @Option(name: [.short, .long], help: "The HTML file to write (refuses to overwrite without --force).") var output: String
    @Flag(name: .long, help: "Overwrite the output file.") var force = false
    @Option(name: .long, help: "A separate archive or directory with the parent (pre-dump) images.") var previous: String?
    @OptionGroup var diagnostics: DiagnosticOptions

    func run() throws {
        // One pass over a compressed archive: the command lines ride on the open, verify reuses it.
        let reader = ProcessStringsReader(environment: false)
        let c = try openCheckpoint(path, previous: previous, progress: diagnostics.reading(path), diagnostics: diagnostics, streaming: reader)
        var findings: [(severity: String, id: String, message: String)] = []
        if let report = try? Verifier.verify(c, options: .init(previous: previous.map(RawPath.resolve))) {
            findings = report.findings.map { ($0.severity.rawValue, $0.id, $0.message) }
        }
        let strings = Dictionary(reader.strings(in: c).map { ($0.pid, $0) }, uniquingKeysWith: { a, _ in a })
        let html = HTMLReport.render(c, findings: findings, strings: strings)
        try SafeOutput.write(Data(html.utf8), to: output, force: force)
        Output.write("wrote \(output) (\(Size.text(UInt64(html.utf8.count))))\n")
    }
}
