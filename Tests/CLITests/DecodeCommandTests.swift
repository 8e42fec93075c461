import Foundation
import Testing

@Suite struct DecodeCommandTests {
    @Test func decodePrintsCritJSON() throws {
        let result = try CLI.run(["decode", CLI.fixture("raw/fds-sockets/tcp-stream-b6fa.img")])
        #expect(result.status == 0)
        #expect(result.stderr.isEmpty)
        let expected = try String(contentsOfFile: CLI.fixture("crit-json/fds-sockets/tcp-stream-b6fa.img.json"), encoding: .utf8)
        #expect(result.stdout == expected + "\n")
    }

    @Test func rawAndNoPayload() throws {
        let raw = try CLI.run(["decode", "--raw", CLI.fixture("raw/fds-sockets/tcp-stream-b6fa.img")])
        #expect(raw.status == 0)
        #expect(raw.stdout.hasPrefix("{\"magic\": \"TCP_STREAM\", \"entries\": [{\"inq_len\": 20, "))
        #expect(raw.stdout.contains("\"opt_mask\": 7,"))
        let nopl = try CLI.run(["decode", "--no-payload", CLI.fixture("raw/fds-sockets/pipes-data.img")])
        #expect(nopl.stdout.contains("\"extra\": \"... <19B>\""))
    }

    @Test func decodeDirectory() throws {
        let result = try CLI.run(["decode", "--dir", CLI.fixture("raw/marker-static")])
        #expect(result.status == 0)
        #expect(result.stdout.contains("\"pages-1.img\": {\n        \"magic\": \"PAGES\",\n        \"raw\": true,\n        \"size\": 147456\n    }"))
        #expect(result.stdout.contains("\"inventory.img\": {\n        \"magic\": \"INVENTORY\""))
        #expect(!result.stdout.contains("dump.log"))
    }

    @Test(arguments: [
        ("raw/marker-static/nope.img", Int32(2), "no such file"),
        ("raw/marker-static", Int32(2), "is a directory"),
        ("raw/marker-static/pages-1.img", Int32(1), "raw image"),
        ("raw/marker-static/dump.log", Int32(1), "unknown magic"),
    ])
    func decodeErrors(path: String, status: Int32, problem: String) throws {
        let result = try CLI.run(["decode", CLI.fixture(path)])
        #expect(result.status == status)
        #expect(result.stdout.isEmpty)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(result.stderr.hasPrefix("ckpt-inspect: " + CLI.fixture(path) + ": "))
        #expect(result.stderr.contains(problem), "\(result.stderr)")
    }

    @Test func infoShowsMagicKindAndCounts() throws {
        let result = try CLI.run(["info", CLI.fixture("raw/fds-sockets/pagemap-shmem-161.img")])
        #expect(result.status == 0)
        #expect(result.stdout.contains("kind:        SHMEM_PAGEMAP"))
        #expect(result.stdout.contains("magic:       PAGEMAP (0x54564319 0x56084025)"))
        #expect(result.stdout.contains("entries:     2"))
        #expect(result.stdout.contains("size:        26 bytes"))
        let raw = try CLI.run(["info", "--format", "json", CLI.fixture("raw/fds-sockets/pages-1.img")])
        #expect(raw.stdout.contains("\"kind\": \"PAGES\""))
        #expect(raw.stdout.contains("\"raw\": true"))
    }
}
