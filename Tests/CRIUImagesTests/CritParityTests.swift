import Foundation
import Testing
@testable import CRIUImages

/// The generic decoder against crit's own JSON for every protobuf image of the fixtures.
@Suite struct CritParityTests {
    /// Deliberate differences from crit (CRIU-FORMAT.md 7.7), by fixture label. The fixtures trigger
    /// none of them; each is covered by a hand-made image in `CritQuirkTests`.
    static let documentedExceptions: [String: String] = [:]

    @Test func everyFixtureImageMatchesCrit() throws {
        let pairs = Fixtures.critPairs()
        #expect(pairs.count == 320, "fixture set changed: \(pairs.count) crit JSON files")
        var equal = 0
        var exceptions = 0
        for pair in pairs {
            let expected = try String(contentsOfFile: pair.json, encoding: .utf8)
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: pair.image)))
            let name = (pair.image as NSString).lastPathComponent
            let rendered = try CritJSON().render(bytes, fileName: name).serialized(pretty: true)
            if rendered == expected {
                equal += 1
            } else if Self.documentedExceptions[pair.label] != nil {
                exceptions += 1
            } else {
                Issue.record("\(pair.label): our JSON differs from crit's")
            }
        }
        print("crit parity: \(pairs.count) images compared, \(equal) byte-identical, \(exceptions) documented exceptions")
        #expect(equal + exceptions == pairs.count)
        #expect(equal == 320)
    }

    @Test func plainModeKeepsNumbers() throws {
        let bytes = try Fixtures.bytes("raw/fds-sockets/pagemap-23431.img")
        let plain = try CritJSON(options: .init(pretty: false)).render(bytes, fileName: "pagemap-23431.img")
        let text = plain.serialized(pretty: false)
        #expect(text.hasPrefix("{\"magic\": \"PAGEMAP\", \"entries\": [{\"pages_id\": 3}, {\"vaddr\": 94421627236352, \"compat_nr_pages\": 0, \"flags\": 4, \"nr_pages\": 1}"))
        #expect(!text.contains("\n"))
    }

    @Test func noPayloadReplacesExtrasBySize() throws {
        let bytes = try Fixtures.bytes("raw/fds-sockets/tcp-stream-b6fa.img")
        let json = try CritJSON(options: .init(payloads: false)).render(bytes, fileName: "tcp-stream-b6fa.img")
        guard case .array(let entries)? = json["entries"] else { Issue.record("no entries"); return }
        #expect(entries[0]["extra"] == .string("... <20B>"))
        let ghost = try CritJSON(options: .init(payloads: false)).render(try Fixtures.bytes("raw/fds-sockets/ghost-file-1.img"), fileName: "ghost-file-1.img")
        guard case .array(let ghostEntries)? = ghost["entries"] else { Issue.record("no entries"); return }
        #expect(ghostEntries[0]["extra"] == nil)
    }
}
