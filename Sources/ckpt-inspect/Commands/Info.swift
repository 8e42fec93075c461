import ArgumentParser
import CRIUImages
import Foundation

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show an image's magic, kind, entry count and sizes.")

    @Argument(help: "The image file.")
    var path: String

    @OptionGroup var output: OutputOptions

    var format: OutputFormat { output.format }

    func run() throws {
        let bytes = try readUserFile(path, directoryHint: "info reads one image file; `decode --dir DIR` decodes every image of a directory")
        let name = (path as NSString).lastPathComponent
        let image: ImageFile
        do {
            image = try ImageFile.parse(bytes, fileName: name)
        } catch {
            Output.error("\(path): \(error.withoutFile)")
            throw ExitCode.badData
        }
        let payload = image.entries.reduce(0) { $0 + ($1.extra?.byteCount ?? 0) }
        let messageBytes = image.entries.reduce(0) { $0 + $1.range.count }
        let magic = image.magicWords.map { "0x" + String($0, radix: 16) }.joined(separator: " ")
        switch format {
        case .json:
            let json = JSONValue.object([
                ("schema", .string("ckpt-inspect/info/v1")),
                ("file", .string(name)),
                ("kind", .string(image.kind.name)),
                ("magic", .string(image.kind.isRaw ? "" : image.kind.magicName)),
                ("magic_words", .array(image.magicWords.map { .int($0) })),
                ("byte_order", .string(image.byteOrder == .littleEndian ? "little" : "big")),
                ("raw", .bool(image.kind.isRaw)),
                ("message", image.kind.message.map(JSONValue.string) ?? .null),
                ("entries", .int(image.entries.count)),
                ("size", .int(image.size)),
                ("message_bytes", .int(messageBytes)),
                ("payload_bytes", .int(payload)),
            ])
            Output.write(json: json)
        case .text:
            var lines = [
                "file:        \(name)",
                "kind:        \(image.kind.name)\(image.kind.isLegacy ? " (legacy)" : "")",
            ]
            if image.kind.isRaw {
                lines.append("magic:       none (raw image)")
            } else {
                lines.append("magic:       \(image.kind.magicName) (\(magic))\(image.byteOrder == .bigEndian ? ", big-endian" : "")")
                lines.append("message:     \(image.kind.message ?? "-")")
                lines.append("entries:     \(image.entries.count)")
                lines.append("messages:    " + plural(messageBytes, "byte"))
                if payload > 0 { lines.append("payload:     " + plural(payload, "byte")) }
            }
            lines.append("size:        " + plural(image.size, "byte"))
            let style = output.style
            Output.write(lines.map { line in
                guard let colon = line.firstIndex(of: ":") else { return line }
                return style.bold(String(line[...colon])) + line[line.index(after: colon)...]
            }.joined(separator: "\n") + "\n")
        }
    }
}
