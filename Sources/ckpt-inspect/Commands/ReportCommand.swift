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
    @OptionGroup var pods: PodSelection

    func run() throws {
        // One pass over a compressed archive: the command lines ride on the open, verify reuses it.
        let reader = ProcessStringsReader(environment: false)
        let targets = try pods.targets(path, previous: previous, progress: diagnostics.reading(path), diagnostics: diagnostics, streaming: reader)
        if let pod = targets.pod { return try reportPod(pod, targets) }
        let c = targets.items[0].checkpoint
        var findings: [(severity: String, id: String, message: String)] = []
        findings = Verifier.verify(c).findings.map { ($0.severity.rawValue, $0.id, $0.message) }
        let strings = targets.items[0].strings(reader, environment: false)
        let html = HTMLReport.render(c, findings: findings, strings: strings)
        try SafeOutput.write(Data(html.utf8), to: output, force: force)
        Output.write("wrote \(output) (\(Size.text(UInt64(html.utf8.count))))\n")
    }
}
