import ArgumentParser
import Checkpoint
import CheckpointArchive
import CRIUImages
import Foundation

/// `--container NAME`: which containers of a pod checkpoint a command reports on (all by default).
///
/// Every command that reads one checkpoint opens its path through ``targets(_:previous:nested:progress:)``:
/// a container checkpoint gives one target, a pod checkpoint (KEP-5823, any variant) one per container,
/// from the same single pass over the source.
struct PodSelection: ParsableArguments {
    @Option(name: .long, help: "In a pod checkpoint, only this container (its CRI name); repeatable. Default: every container.")
    var container: [String] = []

    /// Opens `path` as a pod checkpoint or a container checkpoint. A container that cannot be opened
    /// is reported on stderr (``Targets/finish()`` then exits 1); a `--container` that names none is
    /// a usage error listing the names there are.
    func targets(_ path: String, previous: String? = nil, nested: Bool = false, progress: Progress? = nil,
                 diagnostics: DiagnosticOptions? = nil, previousOption: String? = "--previous",
                 streaming consumer: (any PageStreamConsumer)? = nil) throws -> Targets {
        try requireInputs(path, previous: previous, previousOption: previousOption, progress: progress)
        let source: CheckpointSource
        // A consumer's page reads ride on the pass that opens a container checkpoint (one pass over
        // a compressed archive); the containers of a pod are read afterwards (``Target/streamed`` false).
        let session = consumer.map { PageStreamSession($0, options: .init(previous: previous.map(RawPath.resolve), listNestedArchives: nested)) }
        do {
            defer { progress?.finish() }
            source = try CheckpointSource.open(path: RawPath.resolve(path), options: .init(progress: progress?.reporter), visitor: session?.visitor)
            guard PodCheckpoint.isPodCheckpoint(source) else {
                if let first = container.first {
                    Output.error("--container \(first): \(path) is not a pod checkpoint")
                    throw ExitCode.usage
                }
                let c = try Checkpoint.open(source: source, options: .init(previous: previous.map(RawPath.resolve), source: source.options,
                                                                               listNestedArchives: nested), streaming: session)
                if let diagnostics { warnPartialEvidence(c, diagnostics, previousOption: previousOption) }
                return Targets(pod: nil, items: [Target(container: nil, checkpoint: c, streamed: session != nil)], failed: false, selected: [])
            }
        } catch let error as ArchiveError {
            Output.error(error.description)
            throw ExitCode.badData
        } catch let error as CheckpointError {
            Output.error(error.description)
            throw ExitCode.badData
        }
        if previous != nil {
            Output.error("--previous \(previous ?? ""): \(path) is a pod checkpoint: its containers carry their own parent images")
            throw ExitCode.usage
        }
        let pod: PodCheckpoint
        do {
            pod = try PodCheckpoint.open(source: source, options: .init(checkpoint: .init(source: source.options, listNestedArchives: nested)))
        } catch {
            Output.error(error.description)
            throw ExitCode.badData
        }
        for name in container where pod.container(named: name) == nil {
            Output.error("--container \(name): no such container in \(RawPath.display(path)) (containers: \(pod.containers.map(\.name).joined(separator: ", ")))")
            throw ExitCode.usage
        }
        var items: [Target] = []
        var failed = false
        var selected: [String] = []
        for c in pod.containers where container.isEmpty || container.contains(c.name) {
            selected.append(c.name)
            if let checkpoint = c.checkpoint {
                if let diagnostics { warnPartialEvidence(checkpoint, diagnostics, previousOption: nil, label: "container \(c.name)") }
                items.append(Target(container: c.name, checkpoint: checkpoint))
            } else {
                Output.error("\(RawPath.display(path)): container \(c.name): \(c.error?.description ?? "cannot be opened")")
                failed = true
            }
        }
        return Targets(pod: pod, items: items, failed: failed, selected: selected)
    }
}

extension PodSelection {
    /// A container's name as a directory name for output files: a name from a manifest is not
    /// trusted to be one (a Kubernetes name is a DNS label; anything else is refused).
    static func directoryName(_ name: String) throws -> String {
        let allowed = name.utf8.allSatisfy { c in
            (0x30...0x39).contains(c) || (0x61...0x7a).contains(c) || (0x41...0x5a).contains(c) || c == 0x2d || c == 0x2e || c == 0x5f
        }
        guard allowed, !name.isEmpty, name != ".", name != "..", name.utf8.count <= 253 else {
            Output.error("container \(Terminal.safe(name)): the name cannot be a directory name; choose it with --container and write it elsewhere")
            throw ExitCode.badData
        }
        return name
    }
}

/// One checkpoint a command reports on: a container of a pod (named), or the checkpoint the user named.
struct Target {
    /// The container's CRI name in a pod checkpoint; nil for a container checkpoint.
    let container: String?
    let checkpoint: Checkpoint
    /// The consumer given to ``PodSelection/targets(_:previous:nested:progress:diagnostics:previousOption:streaming:)`` was served this checkpoint's pages.
    var streamed = false

    /// argv and environ of every process: from `reader` when it rode on this checkpoint's opening
    /// pass, else read now in one batch; a value is nil where the pages are not in the checkpoint,
    /// with the hole that says why.
    func strings(_ reader: ProcessStringsReader?, environment: Bool = true) -> [UInt32: ProcessStrings] {
        let list = streamed && reader != nil ? reader!.strings(in: checkpoint) : ((try? checkpoint.processStrings(environment: environment)) ?? [])
        return Dictionary(list.map { ($0.pid, $0) }, uniquingKeysWith: { a, _ in a })
    }
}

/// What ``PodSelection/targets(_:previous:nested:progress:)`` opened.
struct Targets {
    let pod: PodCheckpoint?
    let items: [Target]
    /// A container of the pod could not be opened (already reported).
    let failed: Bool
    /// The containers asked for (every one by default), opened or not.
    var selected: [String] = []

    var isPod: Bool { pod != nil }

    /// The only target, for commands that need exactly one (`mem read` on a pod needs `--container`
    /// unless the pod has one container).
    func single(_ command: String) throws -> Target {
        guard items.count == 1 else {
            if let pod {
                Output.error("--container: \(command) reads one container; \(RawPath.display(pod.path)) has \(pod.containers.map(\.name).joined(separator: ", "))")
            }
            throw ExitCode.usage
        }
        return items[0]
    }

    /// The targets holding process `pid`: the only one for a container checkpoint, every container
    /// that has it for a pod (a usage error when none has).
    func having(pid: UInt32, path: String) throws -> [Target] {
        guard isPod else { return items }
        let found = items.filter { $0.checkpoint.process(pid) != nil }
        if found.isEmpty {
            Output.error("--pid \(pid): no such process in any container of \(RawPath.display(path))")
            throw ExitCode.usage
        }
        return found
    }

    /// Table headers: CONTAINER first for a pod.
    func headers(_ headers: [String]) -> [String] { isPod ? ["CONTAINER"] + headers : headers }

    /// Right-aligned columns, shifted by the CONTAINER column.
    func rightAligned(_ columns: Set<Int>) -> Set<Int> { isPod ? Set(columns.map { $0 + 1 }) : columns }

    /// A table row: the container's name first for a pod.
    func row(_ target: Target, _ cells: [String]) -> [String] {
        isPod ? [Terminal.safe(target.container ?? "-")] + cells : cells
    }

    /// The JSON document: the command's own for a container checkpoint; for a pod, the pod envelope
    /// (Schemas/pod.schema.json) holding each container's document.
    func document(command: String, _ documents: [(Target, JSONValue)]) -> JSONValue {
        guard let pod else { return documents.first?.1 ?? .null }
        let opened = Dictionary(documents.map { ($0.0.container ?? "", $0.1) }, uniquingKeysWith: { a, _ in a })
        return .object([
            ("schema", .string(PodJSON.envelopeSchema)),
            ("command", .string(command)),
            ("path", .string(RawPath.display(pod.path))),
            ("pod", PodJSON.pod(pod)),
            ("containers", .array(pod.containers.filter { selected.contains($0.name) }.map { c in
                    .object([("name", .string(c.name)), ("document", opened[c.name] ?? .null),
                             ("error", c.error.map { .string(RawPath.display($0.description)) } ?? .null)])
                })),
        ])
    }

    /// Exits 1 when a container could not be opened (after the command printed what it could).
    func finish() throws {
        if failed { throw ExitCode.badData }
    }
}
