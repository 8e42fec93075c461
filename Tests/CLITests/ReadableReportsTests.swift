import Foundation
import Testing

/// Issue 18: the reports a person reads (show, logs, verify, diff, the HTML report).
@Suite struct ReadableReportsTests {
    @Test("show names each checkpoint by its path: three CRIU directories are three distinct rows")
    func showPaths() throws {
        let dirs = ["raw/marker-static", "raw/proc-tree", "raw/fds-sockets"].map(CLI.fixture)
        let r = try CLI.run(["show"] + dirs)
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("PATH ") == true, "\(r.stdout)")
        #expect(lines.count == 4)
        for (line, dir) in zip(lines.dropFirst(), dirs) { #expect(line.hasPrefix(dir + "  "), "\(line)") }
        #expect(Set(lines.dropFirst()).count == 3)
    }
}

extension ReadableReportsTests {
    @Test("logs: a test switch or a build that is not a release is a caution, not harmless")
    func logCautions() throws {
        // raw/incremental was dumped with CRIU_FAKE_DIRTY_TRACK (Fixtures/README.md; dump.log line 14).
        let dump = CLI.fixture("raw/incremental/dump")
        let text = try CLI.run(["logs", dump]).stdout
        #expect(text.contains("  Cautions (1)\n    line 14  CRIU ran with the test switch CRIU_FAKE_DIRTY_TRACK\n"), "\(text)")
        #expect(text.contains("CRIU_FAKE_DIRTY_TRACK: pretending soft-dirty tracking is available\n      caution: CRIU ran with the test switch CRIU_FAKE_DIRTY_TRACK"))
        #expect(!text.contains("A test environment variable emulated soft-dirty tracking"))
        let json = try JSON.parse(try CLI.run(["logs", dump, "--format", "json"]).stdout)
        guard case .array(let logs)? = json["logs"], case .array(let cautions)? = logs.first?["cautions"] else { Issue.record("no cautions"); return }
        #expect(cautions.map { $0["id"] } == [.string("fake-dirty-track")])
        #expect(logs.first?["gitid"] == .string("0"))
        let verify = try CLI.run(["verify", dump])
        #expect(verify.stdout.contains("log.caution  dump.log\n      dump.log line 14: CRIU ran with the test switch CRIU_FAKE_DIRTY_TRACK"), "\(verify.stdout)")

        // A CRIU built from commits after a release, with local changes.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("conventions-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("dump.log")
        try Data("(00.000091) Version: 4.2 (gitid v4.2-12-gabc1234-dirty)\n(00.049251) Dumping finished successfully\n".utf8).write(to: log)
        let patched = try CLI.run(["logs", log.path]).stdout
        #expect(patched.contains("    line 1  CRIU 4.2 was built from git v4.2-12-gabc1234-dirty: 12 commits after v4.2, with uncommitted changes\n"), "\(patched)")
        try Data("(00.000091) Version: 4.2 (gitid v4.2)\n(00.049251) Dumping finished successfully\n".utf8).write(to: log)
        #expect(!(try CLI.run(["logs", log.path]).stdout.contains("Cautions")))
        // Plurals: a one-line log is "1 line".
        try Data("(00.000091) Version: 4.2 (gitid v4.2)\n".utf8).write(to: log)
        #expect(try CLI.run(["logs", log.path]).stdout.contains(", 1 line, timestamped format"))
    }

    @Test("logs: no literal \\t; the fsnotify warning says what its number is")
    func logText() throws {
        // fds-sockets' dump.log line 547 is "fsnotify: \t[fhandle] ..."; the inotify is files.img id 26
        // (crit-json/fds-sockets/files.img.json: the INOTIFY entry), 0x1a in the warning.
        let verbose = try CLI.run(["logs", CLI.fixture("raw/fds-sockets"), "--verbose"]).stdout
        #expect(!verbose.contains("\\t"), "\(verbose)")
        #expect(verbose.contains("line 545  criu/fsnotify.c:325  fsnotify: The 0x00001a inotify events will be dropped\n      harmless: 0x1a is the id of the inotify file (files.img id 26), not a number of events."))
        let files = try JSON.parse(String(contentsOfFile: CLI.fixture("crit-json/fds-sockets/files.img.json"), encoding: .utf8))
        guard case .array(let entries)? = files["entries"] else { Issue.record("no entries"); return }
        #expect(entries.first { $0["type"] == .string("INOTIFY") }?["id"] == .integer(26))
    }
}

extension ReadableReportsTests {
    static func copy(_ fixture: String, to dir: URL) throws -> String {
        let root = dir.appendingPathComponent(URL(fileURLWithPath: fixture).lastPathComponent).path
        try FileManager.default.copyItem(atPath: CLI.fixture(fixture), toPath: root)
        for name in try FileManager.default.contentsOfDirectory(atPath: root) where name != "parent" {
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: root + "/" + name)
        }
        return root
    }

    @Test("verify says which restore options the checkpoint needs, with the evidence")
    func restoreOptions() throws {
        // notes/fds-sockets.txt: fds 15 and 16 are the two ends of 127.0.0.1:44724 <-> 127.0.0.1:47001, ESTAB.
        let fds = try CLI.run(["verify", CLI.fixture("raw/fds-sockets")]).stdout
        #expect(fds.contains("  restore.tcp-established  files.img\n      restore needs --tcp-established: 2 established TCP connections: pid 23431 fd 15 127.0.0.1:44724 -> 127.0.0.1:47001 (file id 21), pid 23431 fd 16 127.0.0.1:47001 -> 127.0.0.1:44724 (file id 22)"), "\(fds)")
        #expect(fds.contains("\nRestore needs: --tcp-established (from the findings above)\n"))
        // crit's mountpoints-13.img of ck-vol: 16 mounts with an ext_key, the first /proc/timer_list over /dev/null.
        let podman = try CLI.run(["verify", CLI.fixture("podman/ck-vol.none.tar"), "--format", "json"])
        let json = try JSON.parse(podman.stdout)
        #expect(json["restore_options"] == .array([.string("--external mnt[...]")]))
        guard case .array(let findings)? = json["findings"], let mounts = findings.first(where: { $0["id"] == .string("restore.external-mounts") }) else {
            Issue.record("no restore.external-mounts"); return
        }
        #expect(mounts["severity"] == .string("info"))
        guard case .string(let message)? = mounts["message"] else { Issue.record("no message"); return }
        #expect(message.contains(": 16 mounts were external at dump: /proc/timer_list (key /dev/null), /proc/keys (key /dev/null), "), "\(message)")

        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // A session whose leader is outside: pstree.img's sid (field 4, varint 28716 = ac e0 01) made 28700 (9c e0 01).
        let job = try Self.copy("raw/marker-static", to: dir)
        var tree = try [UInt8](Data(contentsOf: URL(fileURLWithPath: job + "/pstree.img")))
        #expect(Array(tree[0x16...0x19]) == [0x20, 0xAC, 0xE0, 0x01])
        tree[0x17] = 0x9C
        try Data(tree).write(to: URL(fileURLWithPath: job + "/pstree.img"))
        // A file lock: filelocks.img (magic 0x54323616) with one file_lock_entry {type 1, flags 1, pid 28716, fd 3, start 0, len 0}.
        let entry: [UInt8] = [0x08, 0x01, 0x10, 0x01, 0x18, 0xAC, 0xE0, 0x01, 0x20, 0x03, 0x28, 0x00, 0x30, 0x00]
        let locks: [UInt8] = [0x19, 0x43, 0x56, 0x54, 0x16, 0x36, 0x32, 0x54, UInt8(entry.count), 0, 0, 0] + entry
        try Data(locks).write(to: URL(fileURLWithPath: job + "/filelocks.img"))
        let r = try CLI.run(["verify", job])
        #expect(r.stdout.contains("restore needs --shell-job: 1 process whose session or group leader is outside the checkpoint: pid 28716 in session 28700"), "\(r.stdout)")
        #expect(r.stdout.contains("restore needs --file-locks: 1 file lock: 1 in filelocks.img"))
        #expect(r.stdout.contains("\nRestore needs: --shell-job --file-locks (from the findings above)\n"))

        // With --host, the host's external-mount finding says it once, and the summary takes its option.
        let host = try CLI.run(["verify", "--host", CLI.fixture("podman/ck-vol.none.tar")]).stdout
        #expect(!host.contains("restore.external-mounts") && host.contains("host.external.mount"), "\(host)")
        #expect(host.contains("\nRestore needs: --external mnt[...]"))
    }

    @Test("verify groups findings with one cause")
    func grouping() throws {
        // raw/incremental/dump without its parent link: its pagemap has 7 PE_PARENT entries (1-5, 7, 8), each unresolved.
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let dump = try Self.copy("raw/incremental/dump", to: dir)
        try FileManager.default.removeItem(atPath: dump + "/parent")
        let r = try CLI.run(["verify", dump])
        #expect(r.status == 1)
        #expect(r.stdout.contains("Errors (7, 1 cause)\n  pagemap.parent.unresolved  pagemap-29076.img entries 1, 2, 3, 4, 5, 7, 8 (7 findings, one cause)\n      1 of 1 PE_PARENT page at 0x401000 does not resolve"), "\(r.stdout)")
        #expect(r.stdout.contains("      and 6 more like it\n"))
        #expect(r.stdout.components(separatedBy: "pagemap.parent.unresolved").count == 2)
        #expect(r.stdout.contains("\n7 errors, 1 warning, 1 info;"))
        let json = try JSON.parse(try CLI.run(["verify", dump, "--format", "json"]).stdout)
        #expect(try JSONSchema(file: CLI.projectRoot.appendingPathComponent("Schemas/verify.schema.json").path).validate(json) == [])
        guard case .array(let groups)? = json["groups"] else { Issue.record("no groups"); return }
        #expect(groups.count == 1 && groups.first?["count"] == .integer(7) && groups.first?["id"] == .string("pagemap.parent.unresolved"))
    }
}

extension ReadableReportsTests {
    static let basic = CLI.fixture("podman/ck-basic.none.tar")

    @Test("diff --show-unchanged prints the values that are equal")
    func unchangedValues() throws {
        let r = try CLI.run(["diff", Self.basic, CLI.fixture("podman/ck-vol.none.tar"), "--only", "container,cgroups", "--show-unchanged"])
        // Both are busybox containers of localhost/bb:latest run by runc (config.dump); cgroup.img holds
        // cpu.cfs_period_us = 100000 in the container's own cgroup (crit-json .../cgroup.img.json).
        for line in ["= engine: podman", "= image: localhost/bb:latest", "= runtime: runc", "= page_size: 4096",
                     "= setting cpu:./cpu.cfs_period_us = 100000"] {
            #expect(r.stdout.contains("\n" + line + "\n"), "\(line)\n\(r.stdout)")
        }
        #expect(!r.stdout.contains("\n= engine\n"))
    }

    @Test("diff summarises cgroups: grouped controllers, settings by their place, no pid lists; one line when one side has none")
    func cgroupSummary() throws {
        // crit's cgroup.img of ck-basic: 68 properties, 36 of them pid lists and bookkeeping (tasks,
        // cgroup.procs, notify_on_release, cgroup.clone_children), 32 settings.
        let raw = try CLI.run(["diff", Self.basic, CLI.fixture("raw/proc-tree"), "--only", "cgroups"])
        #expect(raw.stdout.contains("""
            == cgroups ==
            - cgroup.img only in A
                - controllers: 10 at /libpod_parent/libpod-<id>
                - settings: 32
            cgroups: 0 added, 1 removed, 0 changed
            """), "\(raw.stdout)")

        // The same container's images with its cgroup renamed (one character of the id) and one setting changed.
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try CLI.tool("/usr/bin/tar", ["-xf", Self.basic, "-C", dir.path])
        let image = dir.appendingPathComponent("checkpoint/cgroup.img")
        var bytes = try [UInt8](Data(contentsOf: image))
        let id = Array("5731d16d6749af063e528e173980a330b720aaef9d19638a089b814d22b2c6ee".utf8)
        let period = [0x12, 0x06] + Array("100000".utf8)  // cgroup_prop_entry.value (field 2), 6 bytes
        var renamed = 0, changed = 0
        var i = 0
        while i + id.count <= bytes.count {
            if Array(bytes[i..<i + id.count]) == id { bytes[i + id.count - 1] = UInt8(ascii: "f"); bytes[i + id.count - 2] = UInt8(ascii: "f"); renamed += 1 }
            if i + period.count <= bytes.count, Array(bytes[i..<i + period.count]) == period { bytes[i + 2] = UInt8(ascii: "2"); changed += 1 }
            i += 1
        }
        #expect(renamed == 20 && changed == 1)
        try Data(bytes).write(to: image)
        let r = try CLI.run(["diff", Self.basic, dir.path, "--only", "cgroups"])
        #expect(r.stdout.contains("""
            == cgroups ==
            ~ membership blkio,cgroup2,cpu,cpuacct,cpuset,devices,freezer,memory,name=systemd,pids
                ~ cgroup: /libpod_parent/libpod-<id> -> /libpod_parent/libpod-<id>af063e528e173980a330b720aaef9d19638a089b814d22b2c6ff
            ~ setting cpu:./cpu.cfs_period_us
                ~ value: 100000 -> 200000
            cgroups: 0 added, 0 removed, 2 changed
            """), "\(r.stdout)")
    }
}

extension ReadableReportsTests {
    @Test("the HTML report: a citable header, labelled VMAs on a log scale, environment, namespaces, ordered mounts, empty tables explained")
    func htmlReport() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let html = dir.appendingPathComponent("r.html")
        let before = Date()
        let marker = CLI.fixture("raw/marker-static")
        #expect(try CLI.run(["report", marker, "-o", html.path]).status == 0)
        let page = try String(contentsOf: html, encoding: .utf8)
        // Header: version, time of analysis, the SHA-256 of every input file (sha256sum's).
        #expect(page.contains(" · ckpt-inspect 0.1.0 · analysed 20"))
        let stamp = try #require(page.range(of: #"analysed (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"#, options: .regularExpression))
        let when = try #require(ISO8601DateFormatter().date(from: String(page[stamp].dropFirst("analysed ".count))))
        #expect(when.timeIntervalSince(before) > -2 && when.timeIntervalSinceNow < 2)
        let files = try FileManager.default.contentsOfDirectory(atPath: marker).sorted()
        for name in files {
            #expect(page.contains("<tr><td class=\"mono\">\(marker)/\(name)</td><td class=\"mono\">\(try CLI.sha256sum(marker + "/" + name))</td></tr>"), "\(name)")
        }
        // VMA labels name the file (maps: 400000-401000 r--p of /tmp/fixtures/src/marker, 4 KiB); the
        // bars grow with log2 of the size: a one-page VMA beside the largest (495616 bytes, 121 pages)
        // is 640 * 1 / log2(1 + 121) px long.
        #expect(page.contains("<text x=\"0\" y=\"15.0\">000000400000 r--p marker 4.0 KiB</text>"))
        let bar = try #require(page.range(of: #"class="hole" x="410.0" y="3.0" width="[0-9.]+""#, options: .regularExpression))
        let width = try #require(Double(page[bar].split(separator: "\"")[7]))
        #expect(abs(width - 640 / log2(122)) < 0.01, "\(width)")
        // Environment read from memory (notes/marker-static.txt: CKPT_ENV_MARKER=CKPT-ENV-MARKER-4321).
        #expect(page.contains("<h2 id=\"environment\">Environment</h2>") && page.contains("CKPT_ENV_MARKER=CKPT-ENV-MARKER-4321"))
        #expect(page.contains("<tr><td>28716</td><td>all shared with the host: pid 1, net 2, ipc 3, uts 4, mnt 6, user 7, cgroup 8, time 5</td></tr>"))
        #expect(page.contains("<p>None in the checkpoint: no mount namespace of its own was dumped (the processes used the host's).</p>"))

        // A Podman archive: one input file, mounts in mount-point order.
        let basic = CLI.fixture("podman/ck-basic.none.tar")
        #expect(try CLI.run(["report", basic, "-o", html.path, "--force"]).status == 0)
        let podman = try String(contentsOf: html, encoding: .utf8)
        #expect(podman.contains("<tr><td class=\"mono\">\(basic)</td><td class=\"mono\">\(try CLI.sha256sum(basic))</td></tr>"))
        #expect(podman.contains("Create command") && podman.contains("<h3>Of the container's process, as the engine started it (spec.dump)</h3>"))
        let points = podman.components(separatedBy: "<tr><td>13</td><td class=\"mono\">").dropFirst().map { String($0.prefix { $0 != "<" }) }
        // crit's mountpoints-13.img of ck-basic: 29 mounts.
        #expect(points.count == 29 && points == points.sorted(), "\(points)")
    }
}
