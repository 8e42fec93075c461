import Foundation
import Testing

@Suite("ckpt-inspect diff")
struct DiffCommandTests {
    let gen1 = CLI.fixture("raw/diff-pair/gen1")
    let gen2 = CLI.fixture("raw/diff-pair/gen2")

    @Test("equal checkpoints exit 0")
    func equal() throws {
        let r = try CLI.run(["diff", gen1, gen1])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("no differences"))
        #expect(r.stdout.contains("== memory =="))
        #expect(r.stdout.contains("memory: no differences"))
    }

    @Test("different checkpoints exit 1 and show memory as address ranges with their VMA")
    func different() throws {
        let r = try CLI.run(["diff", gen1, gen2])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stdout.contains("~ 0xacee000-0xacf0000  2 pages  5 bytes differ (1, 4)  [heap rw-p acee000-ad10000]"))
        #expect(r.stdout.contains("+ 0xad01000-0xad03000  2 pages  [heap rw-p acee000-ad10000]"))
        #expect(r.stdout.contains("memory: 11 pages changed, 2 added, 0 removed"))
        #expect(r.stdout.contains("checkpoints differ"))
    }

    @Test("errors exit 2")
    func errors() throws {
        #expect(try CLI.run(["diff", gen1, "/nonexistent/checkpoint"]).status == 2)
        #expect(try CLI.run(["diff", gen1, gen2, "--only", "bogus"]).status == 2)
        #expect(try CLI.run(["diff", gen1, gen2, "--format", "yaml"]).status == 2)
    }

    @Test("--format json parses and says what differs")
    func json() throws {
        let r = try CLI.run(["diff", gen1, gen2, "--format", "json"])
        #expect(r.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(object["schema"] as? String == "ckpt-inspect/diff/v2")
        #expect(object["equal"] as? Bool == false)
        let memory = try #require(object["memory"] as? [[String: Any]])
        #expect(memory.first?["changed_pages"] as? Int == 11)
        #expect(memory.first?["added_pages"] as? Int == 2)
    }

    @Test("--only filters sections")
    func only() throws {
        let r = try CLI.run(["diff", gen1, gen2, "--only", "processes,fds", "--format", "json"])
        #expect(r.status == 0, "\(r.stdout)")  // gen1 and gen2 differ only in memory and statistics
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(object["sections"] as? [String] == ["processes", "fds"])
        #expect((object["memory"] as? [Any])?.isEmpty == true)
        let text = try CLI.run(["diff", gen1, gen2, "--only", "memory"])
        #expect(text.status == 1)
        #expect(text.stdout.contains("== memory =="))
        #expect(!text.stdout.contains("== processes =="))
        let stats = try CLI.run(["diff", gen1, gen2, "--only", "stats"])
        #expect(stats.status == 1)
    }

    @Test("--hexdump shows changed bytes, bounded by --max-bytes")
    func hexdump() throws {
        let r = try CLI.run(["diff", gen1, gen2, "--only", "memory", "--hexdump", "--max-bytes", "4096"])
        #expect(r.status == 1)
        #expect(r.stdout.contains("CKPT-MARKER-1234") || r.stdout.contains("STATIC-DATA-MARKER-0001"))
        let small = try CLI.run(["diff", gen1, gen2, "--only", "memory", "--hexdump", "--max-bytes", "16"])
        let lines = small.stdout.split(separator: "\n").filter { $0.contains("  - ") && $0.contains("|") }
        #expect(lines.count == 1)
    }

    @Test("--show-unchanged lists equal items")
    func showUnchanged() throws {
        let r = try CLI.run(["diff", gen1, gen1, "--only", "processes,fds", "--show-unchanged"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("= 29283 marker"))
        #expect(r.stdout.contains("= 29283 fd 0"))
    }

    @Test("ck-basic vs ck-vol: a warning line, exit 1")
    func differentContainers() throws {
        let r = try CLI.run(["diff", CLI.fixture("podman/ck-basic.none.tar"), CLI.fixture("podman/ck-vol.none.tar")])
        #expect(r.status == 1)
        #expect(r.stdout.contains("warning: different containers"))
        #expect(r.stdout.contains("- 7 marker"))
        #expect(r.stdout.contains("volume:vol1"))
    }
}
