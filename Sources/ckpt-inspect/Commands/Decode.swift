import ArgumentParser
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
        if (path == nil) == (dir == nil) {
            throw ValidationError("give either an image PATH or --dir DIR")
        }
    }

    var renderer: CritJSON {
        CritJSON(options: .init(pretty: !raw, payloads: !noPayload, critCompatible: critCompatible))
    }

    func run() throws {
        if let path {
            let bytes = try readUserFile(path)
            let name = (path as NSString).lastPathComponent
            do {
                let json = try renderer.render(bytes, fileName: name)
                Output.write(json.serialized(pretty: !raw) + "\n")
            } catch {
                Output.error("\(path): \(error.withoutFile)")
                throw ExitCode.badData
            }
            return
        }
        guard let dir else { return }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory), isDirectory.boolValue else {
            Output.error("\(dir): not a directory")
            throw ExitCode.usage
        }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
        var pairs: [(String, JSONValue)] = []
        var failed = false
        for name in names {
            let full = (dir as NSString).appendingPathComponent(name)
            var sub: ObjCBool = false
            guard FileManager.default.fileExists(atPath: full, isDirectory: &sub), !sub.boolValue else { continue }
            if let kind = ImageKind.raw(forFileName: name) {
                // Raw images (page dumps) are not read: only their size is reported.
                let size = ((try? FileManager.default.attributesOfItem(atPath: full))?[.size] as? UInt64) ?? 0
                pairs.append((name, .object([("magic", .string(kind.name)), ("raw", .bool(true)), ("size", .int(size))])))
                continue
            }
            guard isImageName(name), let data = FileManager.default.contents(atPath: full) else { continue }
            let bytes = [UInt8](data)
            do {
                pairs.append((name, try renderer.render(bytes, fileName: name)))
            } catch {
                Output.error("\(full): \(error.withoutFile)")
                failed = true
            }
        }
        Output.write(JSONValue.object(pairs).serialized(pretty: !raw) + "\n")
        if failed { throw ExitCode.badData }
    }

    /// Files of an images directory that are CRIU images (not logs, JSON, or the parent link).
    func isImageName(_ name: String) -> Bool {
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
