import ArgumentParser
import CRIUImages
import Foundation

struct Encode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Encode JSON back to CRIU images: the inverse of decode.",
        discussion: """
        Reads the JSON that `decode` prints (pretty or --raw, with or without --crit-compatible) or \
        that crit writes, and writes the image it describes: -o for one image, --dir for the output \
        of `decode --dir` (one image per member). An image decoded and encoded again is the same \
        file, byte for byte. Payload-less JSON (decode --no-payload) cannot be encoded. RAW images \
        (pages, tarballs) are only named in decode --dir's JSON: --raw-from copies them from the \
        images directory.
        """
    )

    @Argument(help: "The JSON file (default: standard input).")
    var json: String?

    @Option(name: [.short, .customLong("output")], help: "Write the image to this file.")
    var output: String?

    @Option(name: .long, help: "The JSON is `decode --dir` output: write each image into this directory (created if missing).")
    var dir: String?

    @Option(name: .long, help: "With --dir: copy the RAW images the JSON names (pages-N.img...) from this images directory.")
    var rawFrom: String?

    @Flag(name: .long, help: "The JSON uses crit's labels (crit's own JSON, or decode --crit-compatible): task states 3/6, irmap devices.")
    var critCompatible = false

    @Flag(name: .long, help: "Overwrite existing files.")
    var force = false

    @OptionGroup var diagnostics: DiagnosticOptions

    /// The option checks (in `run`, not `validate`, so that `--help` alone prints only the help).
    func checkOptions() throws {
        if (output == nil) == (dir == nil) {
            Output.error("encode: give either -o IMAGE or --dir DIR")
            throw ExitCode.usage
        }
        if let rawFrom, dir == nil {
            Output.error("--raw-from \(rawFrom): goes with --dir (-o writes one protobuf image)")
            throw ExitCode.usage
        }
    }

    /// The name errors give the input.
    var inputName: String { json.map { $0 == "-" ? "<stdin>" : $0 } ?? "<stdin>" }

    func run() throws {
        try checkOptions()
        let text: [UInt8]
        if let json, json != "-" {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: RawPath.resolve(json), isDirectory: &isDirectory), isDirectory.boolValue {
                Output.error("\(json): is a directory (encode reads the JSON of decode, or of decode --dir)")
                throw ExitCode.usage
            }
            text = try readUserFile(json)
        } else {
            text = [UInt8](FileHandle.standardInput.readDataToEndOfFile())
        }
        let document: JSONValue
        do {
            document = try JSONValue(parsing: text)
        } catch {
            Output.error("\(inputName): \(error.withoutFile)")
            throw ExitCode.badData
        }
        let encoder = CritJSON(options: .init(critCompatible: critCompatible))
        if let output {
            let bytes: [UInt8]
            do {
                if document["entries"] == nil, case .object(let members) = document, members.contains(where: { $0.1["magic"] != nil }) {
                    Output.error("\(inputName): this is `decode --dir` output (an object of images by name): use --dir")
                    throw ExitCode.usage
                }
                bytes = try encoder.encodeImage(document)
            } catch let error as ImageError {
                Output.error("\(inputName): \(error.withoutFile)")
                throw ExitCode.badData
            }
            try SafeOutput.write(Data(bytes), to: output, force: force)
            Output.write("wrote \(output): \(Self.summary(document, bytes: bytes.count))\n")
            return
        }
        try encodeDirectory(document, encoder: encoder)
    }

    /// `CORE, 1 entry, 1234 bytes`.
    static func summary(_ image: JSONValue, bytes: Int) -> String {
        var count = 0
        if case .array(let entries)? = image["entries"] { count = entries.count }
        var magic = "?"
        if case .string(let m)? = image["magic"] { magic = m }
        return "\(magic), \(count) \(count == 1 ? "entry" : "entries"), \(bytes) \(bytes == 1 ? "byte" : "bytes")"
    }

    func encodeDirectory(_ document: JSONValue, encoder: CritJSON) throws {
        guard case .object(let members) = document, document["magic"] == nil else {
            Output.error("\(inputName): not `decode --dir` output (an object of images by file name)\(document["magic"] != nil ? ": use -o for one image" : "")")
            throw ExitCode.usage
        }
        // Everything is encoded (and every name checked) before anything is written.
        var images: [(name: String, bytes: [UInt8])] = []
        var raw: [(name: String, size: UInt64)] = []
        var failed = false
        var seen = Set<String>()
        for (name, image) in members {
            guard Self.isSafeName(name), seen.insert(name).inserted else {
                Output.error("\(inputName): \(name): \(Self.isSafeName(name) ? "given twice" : "not a file name (one path component, not . or ..)")")
                failed = true
                continue
            }
            if case .bool(true)? = image["raw"] {
                guard case .number(let n)? = image["size"], let size = UInt64(n) else {
                    Output.error("\(inputName): \(name): a RAW image's JSON gives its size")
                    failed = true
                    continue
                }
                raw.append((name, size))
                continue
            }
            do {
                images.append((name, try encoder.encodeImage(image)))
            } catch {
                Output.error("\(inputName): \(name): \(error.withoutFile)")
                failed = true
            }
        }
        var rawSources: [(name: String, source: String)] = []
        if let rawFrom {
            let source = RawPath.resolve(rawFrom)
            for (name, size) in raw {
                let path = (source as NSString).appendingPathComponent(name)
                var st = stat()
                guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
                    Output.error("\(rawFrom): \(name): no such RAW image")
                    failed = true
                    continue
                }
                guard UInt64(st.st_size) == size else {
                    Output.error("\(rawFrom): \(name): \(st.st_size) bytes, the JSON says \(size)")
                    failed = true
                    continue
                }
                rawSources.append((name, path))
            }
        }
        if failed { throw ExitCode.badData }
        let directory = try SafeOutput.directory(dir!)
        for image in images {
            try SafeOutput.write(Data(image.bytes), to: SafeOutput.child(directory, image.name), force: force)
        }
        for raw in rawSources {
            try Self.copy(raw.source, to: SafeOutput.child(directory, raw.name), force: force)
        }
        var line = "wrote \(images.count) \(images.count == 1 ? "image" : "images") to \(dir!)"
        if !rawSources.isEmpty {
            line += ", \(rawSources.count) RAW \(rawSources.count == 1 ? "image" : "images") copied from \(rawFrom!)"
        } else if !raw.isEmpty {
            let names = raw.prefix(3).map(\.name).joined(separator: ", ") + (raw.count > 3 ? ", ..." : "")
            line += "; \(raw.count) RAW \(raw.count == 1 ? "image" : "images") not written (\(names)): --raw-from DIR copies them"
        }
        Output.write(line + "\n")
    }

    /// A single path component: not empty, no `/` or NUL, not `.` or `..`.
    static func isSafeName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !name.contains("/") && !name.contains("\0")
    }

    /// Streams `source` into a new file `target` (the safe-output rules), refusing to write over the source itself.
    static func copy(_ source: String, to target: String, force: Bool) throws {
        var a = stat(), b = stat()
        if stat(source, &a) == 0, lstat(target, &b) == 0, a.st_dev == b.st_dev, a.st_ino == b.st_ino {
            Output.error("\(target): is the RAW image it would be copied from")
            throw ExitCode.usage
        }
        guard let input = FileHandle(forReadingAtPath: source) else {
            Output.error("\(source): cannot be read")
            throw ExitCode.usage
        }
        let handle = try SafeOutput.open(target, force: force)
        while true {
            let chunk = input.readData(ofLength: 1 << 20)
            if chunk.isEmpty { break }
            handle.write(chunk)
        }
    }
}
