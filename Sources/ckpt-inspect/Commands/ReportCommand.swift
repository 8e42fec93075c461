import ArgumentParser
import Checkpoint
import CheckpointArchive
import CheckpointAnalysis
import Foundation

struct HTMLReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a self-contained HTML page about a checkpoint, for writing up an investigation.",
        discussion: "A header to cite (the tool's version, the time of analysis, the SHA-256 of every input file), summary, the findings of `triage` (secrets masked), process tree with command lines, environments, namespaces and network configuration, each process's memory map (dumped, in a parent, not dumped; lengths on a log scale), open files and sockets, mounts, and the findings of `verify`. The page loads nothing from the network or other files.")

    @Argument(help: "A checkpoint archive or directory.") var path: String
    @Option(name: [.short, .long], help: "The HTML file to write (refuses to overwrite without --force).") var output: String
    @Flag(name: .long, help: "Overwrite the output file.") var force = false
    @Flag(name: .long, help: "Show the values of environment variables that look like credentials (masked by default).") var showSecrets = false
    @OptionGroup var source: PreviousOption
    @OptionGroup var diagnostics: DiagnosticOptions
    @OptionGroup var pods: PodSelection

    var previous: String? { source.previous }

    func run() throws {
        // One pass over a compressed archive: the command lines, environments and triage's reads ride on the open, verify reuses it.
        let reader = ProcessStringsReader(environment: true)
        let triageReader = TriageReader()
        let targets = try pods.targets(path, previous: previous, progress: diagnostics.reading(path), diagnostics: diagnostics,
                                       streaming: PairedReader(reader, triageReader))
        if let pod = targets.pod { return try reportPod(pod, targets) }
        let c = targets.items[0].checkpoint
        var findings: [(severity: String, id: String, message: String)] = []
        findings = Verifier.verify(c).findings.map { ($0.severity.rawValue, $0.id, $0.message) }
        let strings = targets.items[0].strings(reader, environment: true)
        let triage = try withCheckpointErrors { () throws(CheckpointError) in
            try Triage.run(c, reader: targets.items[0].streamed ? triageReader : nil)
        }
        // Every input file, hashed for the page's header (a write-up names the evidence it describes).
        var inputs = path == "-" ? [(name: "stdin", sha256: String?.none)] : InputDigests.inputs(RawPath.resolve(path), shown: path)
        if let previous { inputs += InputDigests.inputs(RawPath.resolve(previous), shown: previous) }
        let html = HTMLReport.render(c, findings: findings, strings: strings,
                                     provenance: .init(toolVersion: CkptInspect.toolVersion, analysed: Date(), inputs: inputs), triage: triage,
                                     showSecrets: showSecrets)
        try SafeOutput.write(Data(html.utf8), to: output, force: force)
        Output.write("wrote \(output) (\(Size.text(UInt64(html.utf8.count))))\n")
    }
}

/// Two readers on one opening pass: the first's pieces, then the second's, each delivered to its own.
final class PairedReader: PageStreamConsumer {
    let first: any PageStreamConsumer
    let second: any PageStreamConsumer
    /// Per image set, how many of the pieces are the first reader's.
    private var split: [Int: Int] = [:]

    init(_ first: any PageStreamConsumer, _ second: any PageStreamConsumer) {
        self.first = first
        self.second = second
    }

    func pieces(ofSet set: Int, in checkpoint: Checkpoint) throws(CheckpointError) -> [PageRequest] {
        let a = try first.pieces(ofSet: set, in: checkpoint)
        split[set] = a.count
        return a + (try second.pieces(ofSet: set, in: checkpoint))
    }

    func consume(set: Int, piece: Int, position: UInt64, bytes: UnsafeRawBufferPointer) {
        let n = split[set] ?? 0
        if piece < n { first.consume(set: set, piece: piece, position: position, bytes: bytes) } else {
            second.consume(set: set, piece: piece - n, position: position, bytes: bytes)
        }
    }

    func reset() {
        first.reset()
        second.reset()
    }
}
