import ArgumentParser
import Checkpoint
import CheckpointArchive
import CRIUImages
import Foundation

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "One line per checkpoint: path, container, image, engine, sizes, processes.")

    @Argument(help: "Checkpoint archives (.tar, .tar.gz, .tar.zst, ...) or directories; - for stdin.")
    var paths: [String]

    @OptionGroup var output: OutputOptions
    @OptionGroup var sizes: SizeOptions
    @OptionGroup var pods: PodSelection

    func run() throws {
        var table = Table(headers: ["PATH", "CONTAINER", "IMAGE", "ID", "RUNTIME", "CREATED", "ENGINE", "CHKPT SIZE", "ROOTFS DIFF", "PROCS", "MEMORY"])
        table.rightAligned = [7, 8, 9, 10]
        var json: [JSONValue] = []
        var failed = false, missing = false
        // A pod checkpoint gives one row per container, with its pod in the POD column.
        var podColumn: [String] = []
        for path in paths {
            let targets: Targets
            do {
                targets = try pods.targets(path, progress: output.diagnostics.reading(path, json: output.json), diagnostics: output.diagnostics,
                                           previousOption: nil)
            } catch let code as ExitCode where code == .badData || code == .usage {
                // Reported; the other checkpoints are still shown (a missing one makes the exit status 2).
                if code == .usage { missing = true } else { failed = true }
                continue
            }
            failed = failed || targets.failed
            for target in targets.items {
                let checkpoint = target.checkpoint
                let e = checkpoint.engine
                // In a pod, the manifest's id and the CRI status's creation time where the engine recorded none.
                let inPod = targets.pod?.container(named: target.container ?? "")
                let id = (inPod?.id ?? e.containerID).map { String($0.prefix(12)) } ?? "-"
                let created = e.created.map(Self.shortDate) ?? inPod?.status?.createdAt.map { String(PodText.time(nanoseconds: $0).dropLast(4)) } ?? "-"
                let size = checkpoint.sizes.total
                table.rows.append([
                    Terminal.safe(path == "-" ? "stdin" : path),
                    Terminal.safe(target.container ?? e.containerName ?? (checkpoint.facts.isPreDump ? "(pre-checkpoint)" : "-")),
                    Terminal.safe(e.imageName ?? "-"), id, e.runtime ?? "-", created, e.engine.rawValue,
                    sizes.text(size), sizes.text(checkpoint.sizes.rootfsDiff),
                    String(checkpoint.processes.count), sizes.text(checkpoint.sizes.pages),
                ])
                podColumn.append(targets.pod.map { PodText.label($0) } ?? "-")
                json.append(Report.summary(checkpoint, pod: targets.pod, container: target.container))
            }
        }
        if podColumn.contains(where: { $0 != "-" }) {
            table.headers.insert("POD", at: 0)
            table.rightAligned = Set(table.rightAligned.map { $0 + 1 })
            for i in table.rows.indices { table.rows[i].insert(podColumn[i], at: 0) }
        }
        switch output.format {
        case .json: Output.write(json: Report.checkpoints(json, command: "show"))
        case .text: if !table.rows.isEmpty { Output.write(table.render(style: output.style)) }
        }
        if missing { throw ExitCode.usage }
        if failed { throw ExitCode.badData }
    }

    /// `2026-11-29T14:01:46.750604855Z` → `2026-11-29 14:01:46`.
    static func shortDate(_ s: String) -> String {
        guard s.count >= 19 else { return s }
        return String(s.prefix(19)).replacingOccurrences(of: "T", with: " ")
    }
}
