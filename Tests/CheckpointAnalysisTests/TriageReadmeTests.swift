import CheckpointAnalysis
import Checkpoint
import Foundation
import Testing
import TestSupport

/// The README's `import CheckpointAnalysis` example (section "Forensic triage"), run on the forensic
/// fixture so it cannot rot; the lines between the markers are the README's block line for line.
@Suite struct TriageReadmeTests {
    @Test func exampleRunsOnTheForensicFixture() throws {
        var printed: [String] = []
        func print(_ items: Any...) { printed.append(items.map { "\($0)" }.joined(separator: " ")) }
        let path = VerifyFixture.path("raw/forensic")

        // README example begin
        let checkpoint = try Checkpoint.open(path)
        for finding in try Triage.run(checkpoint).findings(atLeast: .warning) {
            print(finding.severity, finding.id, finding.evidence.pid ?? 0, finding.message)
        }
        // What CRIU saved outside memory, named by its source and streamed (one pass over a compressed archive).
        let sources = try checkpoint.inFlightData()
        var bytes: [String: Int] = [:]
        try checkpoint.streamInFlightData(sources) { index, offset, chunk in bytes[sources[index].id, default: 0] += chunk.count }
        // README example end

        // notes/forensic.txt: 5 critical and 7 warning findings (TriageTests checks each), the ghost
        // file of the deleted executable (16384 bytes) and the memfd of the fileless one (762480).
        #expect(printed.count == 12)
        #expect(printed.first == "critical code.rwx 7044 RWX anonymous mapping 0x13370000-0x13372000 (2 pages) begins with an ELF 64-bit LSB executable, x86-64")
        #expect(bytes == ["ghost-file:1": 16384, "memfd:4918": 762480])
    }

    @Test func readmeBlockIsTheCodeRunHere() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let block = try #require(ReadmeBlock.swiftBlock(in: readme, section: "## Forensic triage", importing: "CheckpointAnalysis"))
        try ReadmeBlock.expectRunVerbatim(block, in: try String(contentsOfFile: #filePath, encoding: .utf8), placeholders: ["\"forensic\""])
    }
}
