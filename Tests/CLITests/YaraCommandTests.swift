import Foundation
import Testing

@Suite struct YaraCommandTests {
    static let forensicRules = """
        rule InjectedELF : injected memory
        {
            meta:
                author = "ckpt-inspect tests"
                severity = 3
            strings:
                $elf = { 7f 45 4c 46 02 01 01 }
                $marker = "DEV-RWX-ELFCOPY-MARKER-7Q2"
            condition:
                $marker and $elf
        }

        rule PageSpan
        {
            strings:
                $span = "DEV-PAGESPAN-MARKER-0123456789"
                $utf16 = "DEV-UTF16-MARKER-Z8R" wide
            condition:
                any of them
        }

        rule FakeAWS
        {
            strings:
                $k = /DEVFAKEAWSSECRET[a-z0-9]{20}[A-Z]{4}/
            condition:
                $k
        }

        """

    /// A directory with `rules.yar` (the forensic rules) for one test.
    static func rulesDirectory(_ source: String = forensicRules) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("yara-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try source.write(to: dir.appendingPathComponent("rules.yar"), atomically: true, encoding: .utf8)
        return dir
    }

    /// The README's example, verbatim: addresses as notes/forensic.txt lists them.
    @Test func forensicText() throws {
        let dir = try Self.rulesDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try CLI.run(["yara", dir.appendingPathComponent("rules.yar").path, CLI.fixture("raw/forensic")])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty)
        #expect(result.stdout == """
            InjectedELF [injected,memory] [author="ckpt-inspect tests",severity=3] pid 7044 dev-inject
              0x13370000:$elf: 7f 45 4c 46 02 01 01  [anon rwxp 13370000-13372000]
              0x13371000:$marker: "DEV-RWX-ELFCOPY-MARKER-7Q2"  [anon rwxp 13370000-13372000]
              0x7f12db1eb000:$elf: 7f 45 4c 46 02 01 01  [vdso r-xp 7f12db1eb000-7f12db1ed000]
            FakeAWS pid 7064 sh
              0x7fff5a819fbd:$k: "DEVFAKEAWSSECRETa1b2c3d4e5f6g7h8i9j0KLMN"  [stack rw-p 7fff5a7f9000-7fff5a81a000]
            FakeAWS pid 7095 sleep
              0x7ffc89e84fad:$k: "DEVFAKEAWSSECRETa1b2c3d4e5f6g7h8i9j0KLMN"  [stack rw-p 7ffc89e64000-7ffc89e85000]
            PageSpan pid 7073 dev-heapmark
              0x263817d0:$utf16: "D\\x00E\\x00V\\x00-\\x00U\\x00T\\x00F\\x001\\x006\\x00-\\x00M\\x00A\\x00R\\x00K\\x00E\\x00R\\x00-\\x00Z\\x008\\x00R\\x00"  [heap rw-p 26380000-263a2000]
              0x26382ff1:$span: "DEV-PAGESPAN-MARKER-0123456789"  [heap rw-p 26380000-263a2000]
            4 matches in 4 of 8 targets (7 processes, 1 in-flight source; 1.3 MiB scanned)

            """)
    }

    /// README's section "YARA rules": its rules file, run on the fixture, prints its example exactly.
    @Test func readmeExample() throws {
        let readme = try String(contentsOf: CLI.projectRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.components(separatedBy: "\n## YARA rules\n").dropFirst().first?.components(separatedBy: "\n## ").first)
        let rules = try #require(section.components(separatedBy: "```yara\n").dropFirst().first?.components(separatedBy: "```").first)
        #expect(rules == Self.forensicRules)
        let text = try #require(section.components(separatedBy: "```text\n").dropFirst().first?.components(separatedBy: "```").first)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first == "$ ckpt-inspect yara forensic.yar Fixtures/raw/forensic")
        let dir = try Self.rulesDirectory(rules)
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try CLI.run(["yara", dir.appendingPathComponent("rules.yar").path, CLI.fixture("raw/forensic")])
        #expect(result.stdout == lines.dropFirst().joined(separator: "\n"))
    }

    /// Exit status as yara's: 0 matched, 1 nothing matched, 2 errors; errors name the file and line.
    @Test func exitStatusAndErrors() throws {
        let dir = try Self.rulesDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let rules = dir.appendingPathComponent("rules.yar").path
        let none = try CLI.run(["yara", rules, CLI.fixture("raw/marker-static")])
        #expect(none.status == 1)
        #expect(none.stdout == "0 matches in 0 of 1 process (144 KiB scanned)\n")
        #expect(none.stderr == "ckpt-inspect: \(CLI.fixture("raw/marker-static")): no rule matched\n")
        #expect(try CLI.run(["yara", "-q", rules, CLI.fixture("raw/marker-static")]).stderr.isEmpty)

        let bad = dir.appendingPathComponent("bad.yar")
        try "rule A { condition: true }\nrule B {\n  strings: $a = \"x\"\n  condition: $b\n}\n".write(to: bad, atomically: true, encoding: .utf8)
        let compile = try CLI.run(["yara", bad.path, CLI.fixture("raw/forensic")])
        #expect(compile.status == 2)
        #expect(compile.stdout.isEmpty)
        #expect(compile.stderr.contains("ckpt-inspect: \(bad.path): line 5: rule B: undefined string \"$b\"\n"), "\(compile.stderr)")

        let missing = try CLI.run(["yara", dir.appendingPathComponent("nope.yar").path, CLI.fixture("raw/forensic")])
        #expect(missing.status == 2)
        #expect(missing.stderr == "ckpt-inspect: \(dir.appendingPathComponent("nope.yar").path): no such file\n")
        let noCheckpoint = try CLI.run(["yara", rules, dir.path])
        #expect(noCheckpoint.status == 2)
        let noPid = try CLI.run(["yara", rules, CLI.fixture("raw/forensic"), "--pid", "1"])
        #expect(noPid.status == 2)
        #expect(noPid.stderr == "ckpt-inspect: --pid 1: no such process in \(CLI.fixture("raw/forensic")) (pids: 7043, 7044, 7050, 7059, 7064, 7095, 7073)\n")
        let zero = try CLI.run(["yara", rules, CLI.fixture("raw/forensic"), "--max-matches", "0"])
        #expect(zero.status == 2)
        #expect(zero.stderr == "ckpt-inspect: --max-matches 0: out of range (1...2147483647)\n")
    }

    /// NAMESPACE:FILE as yara takes it, a second file with --rules, and a yarac-compiled file.
    @Test func namespacesAndCompiledRules() throws {
        let dir = try Self.rulesDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let extra = dir.appendingPathComponent("extra.yar")
        try "rule Code { strings: $c = \"DEV-RX-CODE-MARKER-K9P\" condition: $c }\n".write(to: extra, atomically: true, encoding: .utf8)
        let both = try CLI.run(["yara", "forensic:" + dir.appendingPathComponent("rules.yar").path, CLI.fixture("podman/nfx-ck.none.tar"),
                                "--rules", extra.path, "--pid", "6", "--format", "json"])
        #expect(both.status == 0, "\(both.stderr)")
        let json = try JSON.parse(both.stdout)
        #expect(try AllSchemasTests.schema("yara").validate(json) == [])
        guard case .array(let matches)? = json["matches"] else { Issue.record("no matches"); return }
        #expect(matches.map { $0["rule"] } == [.string("InjectedELF"), .string("Code")])
        #expect(matches.map { $0["namespace"] } == [.string("forensic"), .string("default")])
        guard case .array(let strings)? = matches[1]["strings"] else { return }
        #expect(strings.first?["address"] == .string("0x13390100"))
        #expect(strings.first?["vma"]?["permissions"] == .string("r-xp"))
        #expect(json["targets"] == .array([.object(["kind": .string("process"), "pid": .integer(6), "comm": .string("inject")])]))

        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/yarac") else {
            try #require(ProcessInfo.processInfo.environment["CI"] == nil, "CI installs yara")
            return
        }
        let compiled = dir.appendingPathComponent("rules.yarc").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/yarac")
        p.arguments = [dir.appendingPathComponent("rules.yar").path, compiled]
        try p.run()
        p.waitUntilExit()
        let fromSource = try CLI.run(["yara", dir.appendingPathComponent("rules.yar").path, CLI.fixture("raw/forensic")])
        let fromCompiled = try CLI.run(["yara", compiled, CLI.fixture("raw/forensic")])
        #expect(fromCompiled.status == 0)
        #expect(fromCompiled.stdout == fromSource.stdout)
        let mixed = try CLI.run(["yara", compiled, CLI.fixture("raw/forensic"), "--rules", extra.path])
        #expect(mixed.status == 2)
        #expect(mixed.stderr.contains("compiled rules are used alone"))
    }

    /// The JSON validates on every fixture, whether rules match or not.
    @Test(arguments: ReportCommandTests.checkpoints + ["raw/forensic", "podman/nfx-ck.none.tar"])
    func jsonValidates(_ fixture: String) throws {
        let dir = try Self.rulesDirectory(Self.forensicRules + "rule Bin { strings: $b = \"/bin/\" condition: $b }\n")
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try CLI.run(["yara", "--format", "json", "--max-matches", "3", dir.appendingPathComponent("rules.yar").path, CLI.fixture(fixture)])
        #expect(result.status == 0 || result.status == 1, "\(result.stderr)")
        #expect(try AllSchemasTests.schema("yara").validate(try JSON.parse(result.stdout)) == [], "\(fixture)")
    }
}
