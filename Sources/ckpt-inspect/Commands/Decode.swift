import ArgumentParser
import Checkpoint
import CRIUImages
import Foundation

struct Decode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode CRIU images to JSON, in crit's layout.",
        discussion: """
        Prints one image (or, with --dir, every image of a directory) as JSON equal to \
        `crit decode --pretty`, except where crit misreads the format (see README).
        """
    )

    @Argument(help: "The image file to decode.")
    var path: String?

    @Option(name: .long, help: "Decode every image in this directory; prints one JSON object keyed by file name.")
    var dir: String?

    @Flag(name: .long, help: "crit's plain form: no hex, flag names, devices or addresses; one line.")
    var raw = false

    @Flag(name: .long, help: "Replace extra payloads by their size, like `crit show --nopl`.")
    var noPayload = false

    @Flag(name: .long, help: "Reproduce crit's known mislabels (task states 3/6, irmap device encoding).")
    var critCompatible = false

    @OptionGroup var diagnostics: DiagnosticOptions

    func validate() throws {
        if path != nil, let dir { throw UsageError(option: "--dir", value: dir, "not with an image PATH; give one of them") }
        if path == nil && dir == nil { throw UsageError("decode", "give an image PATH or --dir DIR") }
    }

    var renderer: CritJSON {
        CritJSON(options: .init(pretty: !raw, payloads: !noPayload, critCompatible: critCompatible))
    }

    func run() throws {
        if let path {
            let bytes = try readUserFile(path, directoryHint: "use --dir to decode every image in it")
            let name = (path as NSString).lastPathComponent
            do {
                let json = try renderer.render(bytes, fileName: name)
                Output.write(json: json, pretty: !raw)
            } catch {
                Output.error("\(path): \(error.withoutFile)")
                throw ExitCode.badData
            }
            return
        }
        guard let shownDir = dir else { return }
        let dir = RawPath.resolve(shownDir)
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory)
        guard exists, isDirectory.boolValue else {
            throw UsageError(option: "--dir", value: shownDir, exists ? "not a directory" : "no such directory")
        }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
        // Each image is read, decoded and serialised on its own (in parallel), then the parts are
        // joined in name order into the same document as serialising it whole.
        let renderer = self.renderer
        let pretty = !raw
        let parts = orderedParallelMap(count: names.count, workers: ProcessInfo.processInfo.activeProcessorCount) {
            Self.part(dir: dir, name: names[$0], renderer: renderer, pretty: pretty)
        }
        var members: [(key: String, value: [UInt8])] = []
        var failed = false
        for (name, part) in zip(names, parts) {
            switch part {
            case .skip: continue
            case .json(let bytes): members.append((name, bytes))
            case .failure(let message): Output.error(message); failed = true
            }
        }
        Output.write(Data(JSONValue.objectBytes(members, pretty: pretty) + [0x0A]))
        if failed { throw ExitCode.badData }
    }

    /// What `decode --dir` makes of one directory entry.
    enum Part { case skip, json([UInt8]), failure(String) }

    /// One entry of `decode --dir`: the image decoded and serialised at level 1, a raw image's
    /// size, nothing for what is not an image, or the error line.
    static func part(dir: String, name: String, renderer: CritJSON, pretty: Bool) -> Part {
        let full = (dir as NSString).appendingPathComponent(name)
        var sub: ObjCBool = false
        guard FileManager.default.fileExists(atPath: full, isDirectory: &sub), !sub.boolValue else { return .skip }
        if let kind = ImageKind.raw(forFileName: name) {
            // Raw images (page dumps) are not read: only their size is reported.
            let size = ((try? FileManager.default.attributesOfItem(atPath: full))?[.size] as? UInt64) ?? 0
            let json = JSONValue.object([("magic", .string(kind.name)), ("raw", .bool(true)), ("size", .int(size))])
            return .json(json.serializedBytes(pretty: pretty, level: 1))
        }
        guard isImageName(name), let data = FileManager.default.contents(atPath: full) else { return .skip }
        do {
            return .json(try renderer.render([UInt8](data), fileName: name).serializedBytes(pretty: pretty, level: 1))
        } catch {
            return .failure("\(full): \(error.withoutFile)")
        }
    }

    /// Files of an images directory that are CRIU images (not logs, JSON, or the parent link).
    static func isImageName(_ name: String) -> Bool {
        name.hasSuffix(".img") || name == "stats-dump" || name == "stats-restore" || name == "irmap-cache"
    }
}

extension ImageError {
    /// The description without the file name (the caller prints the path).
    var withoutFile: String {
        var copy = self
        copy.file = nil
        return copy.description
    }
}
