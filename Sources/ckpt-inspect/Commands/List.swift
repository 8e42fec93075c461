import ArgumentParser
import Checkpoint
import CheckpointArchive
import CRIUImages
import Foundation

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find checkpoints in directories and show one line each, newest first.",
        discussion: "Looks at the given directories (default: /var/lib/kubelet/checkpoints, /var/lib/kubelet/pod-checkpoints, /var/lib/kubelet/pod-snapshots and the current directory), recursively, for archives recognised by their magic bytes (tar, gzip, zstd, bzip2, xz), CRIU image directories and pod checkpoints (KEP-5823: a directory or tar with checkpoint-manifest.json or pod.options, one line per container); other files are ignored.")

    @Argument(help: "Directories to search.") var directories: [String] = []
    @Option(name: .long, parsing: .unconditional, help: "How deep to descend (0...64).", transform: { try Parse.number($0, in: 0...64) })
    var depth: Int = 8
    @OptionGroup var output: OutputOptions
    @OptionGroup var sizes: SizeOptions

    func run() throws {
        let roots = directories.isEmpty ? (PodCheckpoint.Decisions.kubeletDirectories + ["."]).filter { FileManager.default.fileExists(atPath: $0) } : directories
        for root in directories where !FileManager.default.fileExists(atPath: RawPath.resolve(root)) {
            throw UsageError(root, "no such directory")
        }
        var found: [Found] = []
        for root in roots { Self.walk(RawPath.resolve(root), display: root, depth: depth, into: &found) }
        found.sort { $0.mtime > $1.mtime || ($0.mtime == $1.mtime && $0.display < $1.display) }
        var table = Table(headers: ["PATH", "CONTAINER", "IMAGE", "ENGINE", "CHECKPOINTED", "SIZE", "PROCS", "MEMORY"])
        table.rightAligned = [5, 6, 7]
        var json: [JSONValue] = []
        var opened: [(display: String, checkpoint: Checkpoint, when: String, pod: PodCheckpoint?, container: String?)] = []
        let progress = output.diagnostics.progress("reading checkpoints", unit: .items("checkpoints"), json: output.json)
        for (k, (path, display, mtime)) in found.enumerated() {
            progress.update(UInt64(k), UInt64(found.count))
            guard let source = try? CheckpointSource.open(path: path) else { continue }
            // A pod checkpoint: one line per container that opens.
            var checkpoints: [(Checkpoint, PodCheckpoint?, String?)] = []
            if PodCheckpoint.isPodCheckpoint(source) {
                guard let pod = try? PodCheckpoint.open(source: source, options: .init(checkpoint: .init(listNestedArchives: false))) else { continue }
                checkpoints = pod.containers.compactMap { c in c.checkpoint.map { ($0, pod, c.name) } }
            } else if let c = try? Checkpoint.open(source: source, options: .init(listNestedArchives: false)) {
                checkpoints = [(c, nil, nil)]
            }
            _ = mtime
            for (c, pod, container) in checkpoints where c.inventory != nil || !c.processes.isEmpty {
                // The engine's checkpoint time; else, in an archive, when CRIU wrote inventory.img (the tar
                // member's time, marked as such). A directory's file times say when the files were copied,
                // not when they were dumped: no time is shown for it.
                var when = c.engine.checkpointed.map(Show.shortDate) ?? "-"
                if c.engine.checkpointed == nil, c.source.kind != .directory, let member = (try? c.images.member("inventory.img")) ?? nil {
                    when = Self.format(Date(timeIntervalSince1970: TimeInterval(member.modificationTime))) + " (tar time)"
                }
                opened.append((display, c, when, pod, container))
            }
        }
        progress.finish()
        // Newest first; a pod's containers stay together, in their order.
        var podTime: [String: String] = [:]
        for o in opened where o.pod != nil { podTime[o.display] = max(podTime[o.display] ?? "", o.when) }
        let order = opened.enumerated().sorted { x, y in
            let (a, b) = (podTime[x.element.display] ?? x.element.when, podTime[y.element.display] ?? y.element.when)
            return a > b || (a == b && (x.element.display < y.element.display || (x.element.display == y.element.display && x.offset < y.offset)))
        }.map(\.element)
        let pods = opened.contains { $0.pod != nil }
        if pods {
            table.headers.insert("POD", at: 1)
            table.rightAligned = Set(table.rightAligned.map { $0 + 1 })
        }
        for (display, c, when, pod, container) in order {
            let e = c.engine
            var row = [Terminal.safe(display), Terminal.safe(container ?? e.containerName ?? (c.facts.isPreDump ? "(pre-checkpoint)" : "-")),
                       Terminal.safe(e.imageName ?? "-"), e.engine.rawValue,
                       when, sizes.text(c.sizes.total), String(c.processes.count),
                       sizes.text(c.sizes.pages)]
            if pods { row.insert(pod.map(PodText.label) ?? "-", at: 1) }
            table.rows.append(row)
            json.append(Report.summary(c, pod: pod, container: container))
        }
        switch output.format {
        case .json: Output.write(json: Report.checkpoints(json, command: "list"))
        case .text:
            if table.rows.isEmpty {
                if !output.quiet { Output.error("no checkpoints found in \(roots.joined(separator: ", "))") }
            } else {
                Output.write(table.render(style: output.style))
            }
        }
    }

    static func format(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return f.string(from: date)
    }

    /// A checkpoint found: the path to open it by and the path to show (``RawPath``: they differ
    /// when a name on the way is not UTF-8).
    typealias Found = (path: String, display: String, mtime: Date)

    /// Collects archive files (by magic) and CRIU image directories. Directory entries are read as
    /// bytes: a name that is not UTF-8 is opened through its ``RawPath`` alias and shown escaped.
    static func walk(_ path: String, display: String, depth: Int, into found: inout [Found]) {
        var st = stat()
        // Links are not followed; an alias is one by construction (to a name that is not a link).
        guard (RawPath.isAlias(path) ? stat(path, &st) : lstat(path, &st)) == 0 else { return }
        let mtime = Date(timeIntervalSince1970: TimeInterval(st.st_mtim.tv_sec))
        switch st.st_mode & S_IFMT {
        case S_IFREG:
            guard st.st_size >= 512, let handle = FileHandle(forReadingAtPath: path) else { return }
            let head = [UInt8](handle.readData(ofLength: Compression.detectionLength))
            try? handle.close()
            if Compression.detect(head) != nil { found.append((path, display, mtime)) }
        case S_IFDIR:
            let fm = FileManager.default
            if fm.fileExists(atPath: path + "/inventory.img") || fm.fileExists(atPath: path + "/checkpoint/inventory.img")
                || fm.fileExists(atPath: path + "/pre-checkpoint/inventory.img")
                || fm.fileExists(atPath: path + "/checkpoint-manifest.json") || fm.fileExists(atPath: path + "/pod.options") {
                found.append((path, display, mtime))
                return
            }
            guard depth > 0, case .success(let names) = POSIX.listDirectory(path) else { return }
            for name in names {
                if let text = String(validating: name, as: UTF8.self) {
                    walk(path + "/" + text, display: display + "/" + text, depth: depth - 1, into: &found)
                } else {
                    let shown = display + "/" + RawPath.display(bytes: name)
                    // Not through a symbolic link (nil), as for any other name.
                    guard let (alias, opened) = RawPath.alias(bytes: Array((path + "/").utf8) + name, display: shown, followLinks: false) else { continue }
                    let before = found.count
                    walk(alias, display: shown, depth: depth - 1, into: &found)
                    if opened, found.count == before { RawPath.forget(alias) }
                }
            }
        default:
            return  // symlinks and devices are not followed
        }
    }
}
