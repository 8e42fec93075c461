import CRIUImages
import Foundation
import Testing
import TestSupport

// The README's encoding example (section "Editing images"), run as written: only the `...`
// placeholder for the bytes differs. The test below the run checks what it made.

@Suite struct ReadmeEncodeExampleTests {
    @Test func encodingExampleMovesAFileAndRoundTrips() throws {
        // README example begin
        let bytes: [UInt8] = try Fixtures.bytes("raw/fds-sockets/files.img")
        let image = try ImageFile.parse(bytes, fileName: "files.img")
        var writer = try ImageWriter(kind: image.kind)
        for var entry in try image.decodeEntries(FileEntry.self, in: bytes) {
            if case .regular(var file) = entry.file, file.name == "/tmp/fxrun/fdswork/regular.txt" {
                file.name = "/srv/moved/regular.txt"
                entry.file = .regular(file)
            }
            try writer.append(entry)
        }
        let edited = writer.bytes  // files.img with the file moved, everything else as it was

        // Any image, every message and payload, through crit's JSON (what `decode` prints):
        let json = try CritJSON().render(bytes, fileName: "files.img")
        let again = try CritJSON().encodeImage(json)  // == bytes, byte for byte
        // README example end

        #expect(again == bytes)
        // The edit is the only change: the JSON of the edited image is the original's with the path replaced.
        let before = json.serialized()
        let after = try CritJSON().render(edited, fileName: "files.img").serialized()
        #expect(before.components(separatedBy: "/tmp/fxrun/fdswork/regular.txt").count == 3)
        #expect(after == before.replacingOccurrences(of: "/tmp/fxrun/fdswork/regular.txt", with: "/srv/moved/regular.txt"))
        #expect(edited.count == bytes.count - 2 * 8)
    }

    @Test func readmeBlockIsTheCodeRun() throws {
        let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        let readme = try String(contentsOf: here.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("README.md"), encoding: .utf8)
        let block = try #require(ReadmeBlock.swiftBlock(in: readme, section: "## Editing images", importing: "CRIUImages"))
        let test = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
        try ReadmeBlock.expectRunVerbatim(block, in: test, placeholders: ["..."])
    }
}
