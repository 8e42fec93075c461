import ArgumentParser
import Checkpoint
import CheckpointArchive
import CRIUImages
import Foundation

struct FS: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fs",
        abstract: "List, print and extract the container's files the checkpoint holds, without unpacking it.",
        discussion: "The files are those of the root file system's changes (rootfs-diff.tar, plain or gzip), the tmpfs mounts CRIU saved (tmpfs-dev-*.tar.gz.img), /dev/shm (devshm-checkpoint.tar) and volumes (volumes/*.tar), each at the path the container saw. A file under a deeper mount point (a rootfs-diff entry under a saved tmpfs) is shadowed: shown with --all, never printed or extracted in place of the visible one.",
        subcommands: [FSList.self, FSCat.self, FSExtract.self])
}

/// Options shared by the `fs` subcommands.
struct FSOptions: ParsableArguments {
    @Argument(help: "A checkpoint archive or directory.") var path: String
    @OptionGroup var pods: PodSelection
}

extension FSOptions {
    /// Opens the checkpoint (every selected container of a pod) and lists each one's files.
    func targets(_ diagnostics: DiagnosticOptions, json: Bool = false) throws -> (Targets, [[ContainerFile]]) {
        let targets = try pods.targets(path, progress: diagnostics.reading(path, json: json), diagnostics: diagnostics)
        let files = try targets.items.map { t in try withCheckpointErrors { () throws(CheckpointError) in try t.checkpoint.containerFiles() } }
        return (targets, files)
    }

    /// The one checkpoint a command reads (`--container` for a pod of several) and its files.
    func open(_ diagnostics: DiagnosticOptions, command: String) throws -> (Checkpoint, [ContainerFile]) {
        let (targets, files) = try targets(diagnostics)
        let target = try targets.single(command)
        return (target.checkpoint, files[targets.items.firstIndex { $0.container == target.container } ?? 0])
    }
}

/// Path matching and display shared by the `fs` subcommands.
enum FSPath {
    /// The bytes of a path the user gave: absolute, without `.` components or trailing slashes.
    static func bytes(_ text: String) -> [UInt8] {
        let parts = Array(RawPath.resolve(text).utf8).split(separator: UInt8(ascii: "/")).filter { $0 != [UInt8(ascii: ".")] }
        return [UInt8(ascii: "/")] + Array(parts.joined(separator: [UInt8(ascii: "/")]))
    }

    /// Whether `path` is `prefix` or below it.
    static func isUnder(_ path: [UInt8], _ prefix: [UInt8]) -> Bool {
        prefix == [UInt8(ascii: "/")] || path == prefix
            || (path.count > prefix.count && path.starts(with: prefix) && path[prefix.count] == UInt8(ascii: "/"))
    }

    /// `-rwxr-xr-x`, `drwxrwxrwt`, `lrwxrwxrwx`, with setuid, setgid and sticky bits.
    static func modeText(_ f: ContainerFile) -> String {
        let type: Character =
            switch f.kind {
            case .file: "-"
            case .directory: "d"
            case .symlink: "l"
            case .hardlink: "h"
            case .other: "?"
            }
        var s = String(type)
        let m = f.mode
        for (shift, special, setChar) in [(6, UInt32(0o4000), "s"), (3, UInt32(0o2000), "s"), (0, UInt32(0o1000), "t")] {
            let bits = (m >> UInt32(shift)) & 7
            s += bits & 4 != 0 ? "r" : "-"
            s += bits & 2 != 0 ? "w" : "-"
            if m & special != 0 { s += bits & 1 != 0 ? setChar : setChar.uppercased() } else { s += bits & 1 != 0 ? "x" : "-" }
        }
        return s
    }

    static func typeName(_ kind: ArchiveMember.Kind) -> String {
        switch kind {
        case .file: "file"
        case .directory: "dir"
        case .symlink: "symlink"
        case .hardlink: "hardlink"
        case .other: "other"
        }
    }

    static func json(_ f: ContainerFile) -> JSONValue {
        let pairs: [(String, JSONValue)] = [
            ("path", .string(f.path)), ("type", .string(typeName(f.kind))), ("size", .int(f.size)),
            ("mode", .int(f.mode)), ("mode_text", .string(modeText(f))), ("mtime", .int(f.modificationTime)),
            ("link_target", f.linkTarget.map(JSONValue.string) ?? .null), ("layer", .string(f.layer.description)),
            ("layer_member", .string(f.layerMember)), ("mount_point", f.mountPoint.map(JSONValue.string) ?? .null),
            ("member_name", .string(f.memberName)), ("shadowed", .bool(f.isShadowed)),
        ]
        return .object(pairs)
    }

    static func date(_ seconds: Int64) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return f.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }
}

struct FSList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List the container's files (all, or those under PATH), with the layer each is in.")

    @OptionGroup var options: FSOptions
    @Argument(help: "Only this path and what is below it (a path in the container, e.g. /data).") var prefix: String = "/"
    @Flag(name: .long, help: "Also list entries shadowed by a deeper mount.") var all = false
    @OptionGroup var output: OutputOptions

    func run() throws {
        let format = output.format
        let (targets, lists) = try options.targets(output.diagnostics, json: format == .json)
        let under = FSPath.bytes(prefix)
        var table = Table(headers: targets.headers(["MODE", "SIZE", "MODIFIED (UTC)", "LAYER", "PATH"]), rightAligned: targets.rightAligned([1]))
        var documents: [(Target, JSONValue)] = []
        var shownCount = 0, hiddenCount = 0
        var deleted: [String] = []
        for (t, files) in zip(targets.items, lists) {
            let c = t.checkpoint
            let matching = files.filter { FSPath.isUnder($0.pathBytes, under) }
            let shown = matching.filter { all || !$0.isShadowed }
            shownCount += shown.count
            hiddenCount += matching.count - shown.count
            documents.append((t, JSONValue.object([
                ("schema", .string("ckpt-inspect/fs/v1")),
                ("path", .string(RawPath.display(c.path))),
                ("prefix", .string(ArchiveMember.escape(under))),
                ("files", .array(shown.map(FSPath.json))),
                ("shadowed_not_shown", .int(matching.count - shown.count)),
                ("deleted", .array(c.deletedFiles.map { .string(Terminal.safe($0)) })),
            ])))
            for f in shown {
                var name = Terminal.safe(f.path)
                if let target = f.linkTarget { name += (f.kind == .hardlink ? " => " : " -> ") + Terminal.safe(target) }
                if f.isShadowed { name += "  (shadowed)" }
                table.rows.append(targets.row(t, [FSPath.modeText(f), String(f.size), FSPath.date(f.modificationTime), f.layer.description, name]))
            }
            deleted += c.deletedFiles.filter { FSPath.isUnder(FSPath.bytes($0), under) }.map { targets.isPod ? "\(t.container ?? "-"):\($0)" : $0 }
        }
        switch format {
        case .json:
            Output.write(json: targets.document(command: "fs", documents))
        case .text:
            if !table.rows.isEmpty { Output.write(table.render(style: output.style)) }
            var summary = "\(shownCount) entr\(shownCount == 1 ? "y" : "ies")"
            if hiddenCount > 0 { summary += ", \(hiddenCount) shadowed not shown (--all)" }
            Output.write(summary + "\n")
            if !deleted.isEmpty {
                Output.write("deleted from the image's files (deleted.files): " + deleted.map(Terminal.safe).joined(separator: ", ") + "\n")
            }
        }
        try targets.finish()
    }
}

struct FSCat: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cat",
        abstract: "Print a file's bytes (raw, or a hexdump with --hex).")

    @OptionGroup var options: FSOptions
    @Argument(help: "The file's path in the container (e.g. /data/written.txt).") var file: String
    @Flag(name: .long, help: "Print a hexdump instead of the raw bytes.") var hex = false
    @OptionGroup var diagnostics: DiagnosticOptions

    func run() throws {
        let (c, files) = try options.open(diagnostics, command: "fs cat")
        let wanted = FSPath.bytes(file)
        guard var target = files.last(where: { $0.pathBytes == wanted && !$0.isShadowed }) else {
            Output.error("\(RawPath.display(options.path)): \(file): no such file in the checkpoint's file layers")
            throw ExitCode.usage
        }
        // A hard link's data is its target's (same layer).
        if target.kind == .hardlink, let link = files.last(where: {
            $0.layer == target.layer && $0.index < target.index && ArchiveMember.escape($0.pathBytes) == target.linkTarget && $0.kind == .file
        }) {
            target = link
        }
        switch target.kind {
        case .file: break
        case .directory:
            Output.error("\(RawPath.display(options.path)): \(file): is a directory (use `fs ls`)")
            throw ExitCode.usage
        case .symlink:
            Output.error("\(RawPath.display(options.path)): \(file): is a symbolic link to \(target.linkTarget ?? "?"); links are not followed")
            throw ExitCode.usage
        default:
            Output.error("\(RawPath.display(options.path)): \(file): not a regular file")
            throw ExitCode.usage
        }
        var data: [UInt8] = []
        let chosen = target
        try withCheckpointErrorsThrowing {
            try c.streamContainerFiles(layers: [chosen.layer], { $0.index == chosen.index }) { _, chunk in
                if hex { data += chunk } else if !chunk.isEmpty { Output.write(Data(chunk)) }
            }
        }
        if hex { Output.write(Hexdump.render(data)) }
    }
}

struct FSExtract: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract",
        abstract: "Write the container's files (all, or those under the given paths) into a directory, at their container paths.",
        discussion: "DIR/<path in the container>: files with mode 0600, directories 0700, nothing written through a symbolic link or outside DIR, existing files kept unless --force. Symbolic links, hard links, devices and names with '..' are not written: they are listed as skipped.")

    @OptionGroup var options: FSOptions
    @Argument(help: "Paths in the container to extract (default: everything).") var paths: [String] = []
    @Option(name: [.short, .long], help: "The output directory (created if missing).") var output: String
    @Flag(name: .long, help: "Overwrite existing files.") var force = false
    @OptionGroup var diagnostics: DiagnosticOptions

    func run() throws {
        let (c, files) = try options.open(diagnostics, command: "fs extract")
        let prefixes = paths.isEmpty ? [[UInt8(ascii: "/")]] : paths.map(FSPath.bytes)
        let selected = files.filter { f in !f.isShadowed && prefixes.contains { FSPath.isUnder(f.pathBytes, $0) } }
        if !paths.isEmpty {
            for (p, bytes) in zip(paths, prefixes) where !files.contains(where: { FSPath.isUnder($0.pathBytes, bytes) && !$0.isShadowed }) {
                Output.error("\(RawPath.display(options.path)): \(p): no such file in the checkpoint's file layers")
                throw ExitCode.usage
            }
        }
        let tree = try SafeTree(output)
        let keys = Set(selected.map { "\($0.layer)\u{0}\($0.index)" })
        var written = 0, directories = 0, bytes: UInt64 = 0
        var skipped: [String] = []
        var handle: Foundation.FileHandle?
        try withCheckpointErrorsThrowing {
            try c.streamContainerFiles(layers: Set(selected.map(\.layer)), { keys.contains("\($0.layer)\u{0}\($0.index)") }) { f, chunk in
                guard chunk.isEmpty else {
                    try handle?.write(contentsOf: Data(chunk))
                    bytes += UInt64(chunk.count)
                    return
                }
                try handle?.close()
                handle = nil
                let components = f.pathBytes.split(separator: UInt8(ascii: "/")).map(Array.init)
                if let why = SafeTree.refusal(components) , !(f.kind == .directory && components.isEmpty) {
                    skipped.append("\(f.path) (\(why))")
                    return
                }
                switch f.kind {
                case .directory:
                    close(try tree.directory(components, display: f.path))
                    directories += 1
                case .file:
                    handle = try tree.create(components, display: f.path, force: force)
                    written += 1
                case .symlink:
                    skipped.append("\(f.path) (symbolic link to \(f.linkTarget ?? "?"))")
                case .hardlink:
                    skipped.append("\(f.path) (hard link to \(f.linkTarget ?? "?"))")
                case .other:
                    skipped.append("\(f.path) (device, FIFO or socket)")
                }
            }
        }
        try handle?.close()
        Output.write("wrote \(written) file\(written == 1 ? "" : "s") (\(Size.text(bytes))) and \(directories) director\(directories == 1 ? "y" : "ies") to \(tree.root)\n")
        if !skipped.isEmpty {
            Output.write("skipped \(skipped.count): " + skipped.map(Terminal.safe).joined(separator: ", ") + "\n")
        }
    }
}
