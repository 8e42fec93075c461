import ArgumentParser
import Checkpoint
import CheckpointArchive
import CRIUImages
import Foundation

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find checkpoints in directories and show one line each, newest first.",
        discussion: "Looks at the given directories (default: /var/lib/kubelet/checkpoints and the current directory), recursively, for archives recognised by their magic bytes (tar, gzip, zstd, bzip2, xz) and for CRIU image directories; other files are ignored.")

    @Argument(help: "Directories to search.") var directories: [String] = []
    @Option(name: .long, help: "How deep to descend.") var depth: Int = 8
    @OptionGroup var output: OutputOptions

    func run() throws {
        let roots = directories.isEmpty ? ["/var/lib/kubelet/checkpoints", "."].filter { FileManager.default.fileExists(atPath: $0) } : directories
        var found: [(path: String, mtime: Date)] = []
        for root in roots { Self.walk(root, depth: depth, into: &found) }
        found.sort { $0.mtime > $1.mtime || ($0.mtime == $1.mtime && $0.path < $1.path) }
        var table = Table(headers: ["PATH", "CONTAINER", "IMAGE", "ENGINE", "CHECKPOINTED", "SIZE", "PROCS", "MEMORY"])
        table.rightAligned = [5, 6, 7]
        var json: [JSONValue] = []
        var opened: [(path: String, checkpoint: Checkpoint, when: String)] = []
        let progress = output.diagnostics.progress("reading checkpoints", unit: .items("checkpoints"), json: output.json)
        for (k, (path, mtime)) in found.enumerated() {
            progress.update(UInt64(k), UInt64(found.count))
            guard let c = try? Checkpoint.open(path, options: .init(listNestedArchives: false)) else { continue }
            guard c.inventory != nil || !c.processes.isEmpty else { continue }
            // The engine's checkpoint time, else when CRIU wrote inventory.img (the tar member's mtime), else the file's.
            let imageTime = ((try? c.images.member("inventory.img")) ?? nil).map { Date(timeIntervalSince1970: TimeInterval($0.modificationTime)) }
            opened.append((path, c, c.engine.checkpointed.map(Show.shortDate) ?? Self.format(imageTime ?? mtime)))
        }
        progress.finish()
        opened.sort { $0.when > $1.when || ($0.when == $1.when && $0.path < $1.path) }
        for (path, c, when) in opened {
            let e = c.engine
            table.rows.append([Terminal.safe(path), Terminal.safe(e.containerName ?? "-"), Terminal.safe(e.imageName ?? "-"), e.engine.rawValue,
                               when, Size.text(c.sizes.total, exact: output.bytes), String(c.processes.count),
                               Size.text(c.sizes.pages, exact: output.bytes)])
            json.append(Report.summary(c))
        }
        switch output.format {
        case .json: Output.write(JSONValue.array(json).serialized() + "\n")
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

    /// Collects archive files (by magic) and CRIU image directories.
    static func walk(_ path: String, depth: Int, into found: inout [(path: String, mtime: Date)]) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        let mtime = Date(timeIntervalSince1970: TimeInterval(st.st_mtim.tv_sec))
        switch st.st_mode & S_IFMT {
        case S_IFREG:
            guard st.st_size >= 512, let handle = FileHandle(forReadingAtPath: path) else { return }
            let head = [UInt8](handle.readData(ofLength: Compression.detectionLength))
            try? handle.close()
            if Compression.detect(head) != nil { found.append((path, mtime)) }
        case S_IFDIR:
            let fm = FileManager.default
            if fm.fileExists(atPath: path + "/inventory.img") || fm.fileExists(atPath: path + "/checkpoint/inventory.img") {
                found.append((path, mtime))
                return
            }
            guard depth > 0, let names = try? fm.contentsOfDirectory(atPath: path) else { return }
            for name in names.sorted() { walk(path + "/" + name, depth: depth - 1, into: &found) }
        default:
            return  // symlinks and devices are not followed
        }
    }
}
