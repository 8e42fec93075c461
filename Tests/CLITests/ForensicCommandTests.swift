import Foundation
import Testing

/// `triage`, `inflight`, `fs` and `search`'s in-flight hits, run as the built binary on the fixtures.
@Suite struct ForensicCommandTests {
    static func schema(_ name: String) throws -> JSONSchema {
        try JSONSchema(file: CLI.projectRoot.appendingPathComponent("Schemas/\(name).schema.json").path)
    }

    static let fixtures = ReportCommandTests.checkpoints + ["raw/forensic", "podman/nfx-ck.none.tar", "containerd/nfx-ck.checkpoint-image.oci.tar"]

    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-forensic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    static func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    /// The JSON of triage, inflight ls and fs ls validates on every fixture; the schemas reject a wrong value.
    @Test(arguments: fixtures)
    func jsonValidates(_ fixture: String) throws {
        let path = CLI.fixture(fixture)
        for (name, arguments) in [("triage", ["triage", "--format", "json", path]), ("inflight", ["inflight", "ls", "--format", "json", path]),
                                  ("fs", ["fs", "ls", "--all", "--format", "json", path]),
                                  ("search", ["search", "--format", "json", "--context", "2", path, "QUEUED"])] {
            let result = try CLI.run(arguments)
            #expect(result.status == 0 || result.status == 1, "\(arguments) \(result.stderr)")
            guard !result.stdout.isEmpty else { continue }
            let json = try JSON.parse(result.stdout)
            #expect(try Self.schema(name).validate(json) == [], "\(arguments)")
        }
        let triage = try JSON.parse(try CLI.run(["triage", "--format", "json", path]).stdout)
        guard case .object(var broken) = triage else { Issue.record("not an object"); return }
        broken["summary"] = .string("none")
        #expect(try !Self.schema("triage").validate(.object(broken)).isEmpty)
    }

    @Test func triageTextJSONAndExitCodes() throws {
        let forensic = try CLI.run(["triage", CLI.fixture("raw/forensic")])
        #expect(forensic.status == 1)
        #expect(forensic.stdout.hasPrefix("triage \(CLI.fixture("raw/forensic")): 7 processes"))
        #expect(forensic.stdout.contains("  code.rwx  pid 7044 (dev-inject)  0x13370000-0x13372000 rwxp  mm-7044.img entry 0 (vmas[6])\n"))
        #expect(forensic.stdout.contains("      first bytes: 7f 45 4c 46 02 01 01 03"))
        #expect(forensic.stdout.contains("  net.reverse-shell  pid 7064 (sh)  fds 0,1,2  127.0.0.1:47714 -> 127.0.0.1:41234"))
        #expect(forensic.stdout.hasSuffix("5 critical, 7 warning, 1 info.\n"))
        // Secrets are masked unless asked for.
        let secret = "DEVFAKEAWSSECRETa1b2c3d4e5f6g7h8i9j0KLMN"
        #expect(!forensic.stdout.contains(secret))
        let json = try CLI.run(["triage", "--format", "json", CLI.fixture("raw/forensic")])
        #expect(!json.stdout.contains(secret))
        #expect(try CLI.run(["triage", "--show-secrets", CLI.fixture("raw/forensic")]).stdout.contains(secret))
        let critical = try CLI.run(["triage", "--min-severity", "critical", CLI.fixture("raw/forensic")])
        #expect(!critical.stdout.contains("WARNING") && critical.stdout.contains("(8 below --min-severity critical not shown)"))
        // JSON: addresses as hex strings, ports as numbers.
        guard case .array(let findings)? = try JSON.parse(json.stdout)["findings"] else { Issue.record("no findings"); return }
        let shell = findings.first { $0["id"] == .string("net.reverse-shell") }
        #expect(shell?["evidence"]?["local_port"] == .integer(47714) && shell?["evidence"]?["remote_address"] == .string("127.0.0.1"))
        #expect(findings.first?["evidence"]?["start"] == .string("0x13370000"))
        // Quiet fixtures exit 0.
        let quiet = try CLI.run(["triage", CLI.fixture("podman/ck-basic.zstd.tar.zst")])
        #expect(quiet.status == 0 && quiet.stdout.hasSuffix("0 critical, 0 warning, 0 info. Nothing at warning or above.\n"))
        // Usage errors.
        let bad = try CLI.run(["triage", "--rootfs", "/nonexistent-root", CLI.fixture("raw/forensic")])
        #expect(bad.status == 2 && bad.stderr == "ckpt-inspect: --rootfs /nonexistent-root: not a directory\n")
        let loud = try CLI.run(["triage", "--min-severity", "loud", CLI.fixture("raw/forensic")])
        #expect(loud.status == 2 && loud.stderr == "ckpt-inspect: --min-severity loud: not one of: critical, warning, info\n")
    }

    @Test func reportHasATriageSection() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("r.html").path
        #expect(try CLI.run(["report", CLI.fixture("raw/forensic"), "-o", out]).status == 0)
        let html = try String(contentsOfFile: out, encoding: .utf8)
        #expect(html.contains("<h2 id=\"triage\">Triage</h2><p>5 critical, 7 warning, 1 info"))
        #expect(html.contains("<td class=\"sev-critical\">critical</td><td><code>exe.memfd</code></td>"))
        // The triage section masks the secret (the Environment section shows environments as they are).
        let section = html.components(separatedBy: "<h2 id=\"triage\">").last?.components(separatedBy: "<h2 ").first ?? ""
        #expect(section.contains("AWS_SECRET_ACCESS_KEY looks like a credential") && !section.contains("DEVFAKEAWSSECRET"))
    }

    @Test func inflightListCatExtract() throws {
        let path = CLI.fixture("raw/fds-sockets")
        let ls = try CLI.run(["inflight", "ls", path])
        #expect(ls.status == 0)
        #expect(ls.stdout.contains("tcp-recv-queue:46843  tcp-recv-queue     29  tcp receive queue, fd 16 of pid 23431, 127.0.0.1:47001 -> 127.0.0.1:44724\n"))
        #expect(ls.stdout.hasSuffix("9 sources, 149 bytes\n"))
        #expect(try CLI.run(["inflight", "cat", path, "pipe:46835"]).stdout == "PIPE-DATA-IN-FLIGHT")
        #expect(try CLI.run(["inflight", "cat", "--hex", path, "socket-queue:46838"]).stdout.hasPrefix("0000000000000000  55 4e 49 58 2d 44 47 52  41 4d 2d 51 55 45 55 45  |UNIX-DGRAM-QUEUE|\n"))
        let unknown = try CLI.run(["inflight", "cat", path, "pipe:1"])
        #expect(unknown.status == 2 && unknown.stderr.contains("no in-flight source pipe:1 (sources: tcp-recv-queue:46842"))
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out").path
        let extract = try CLI.run(["inflight", "extract", path, "-o", out])
        #expect(extract.status == 0, "\(extract.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        #expect(names == ["ghost-file-1.bin", "memfd-161.bin", "pipe-46835.bin", "socket-queue-46837.bin", "socket-queue-46838.bin",
                          "tcp-recv-queue-46842.bin", "tcp-recv-queue-46843.bin"])
        #expect(try String(contentsOfFile: out + "/ghost-file-1.bin", encoding: .utf8) == "DELETED-FILE-CONTENT-CKPT\n")
        #expect(try Self.mode(out + "/memfd-161.bin") == 0o600)
        // No overwrite without --force; never through a symlink.
        let again = try CLI.run(["inflight", "extract", path, "pipe:46835", "-o", out])
        #expect(again.status == 2 && again.stderr.contains("pipe-46835.bin: exists (use --force to overwrite)"))
        let victim = dir.appendingPathComponent("victim").path
        _ = FileManager.default.createFile(atPath: victim, contents: Data("keep".utf8))
        try FileManager.default.removeItem(atPath: out + "/pipe-46835.bin")
        try FileManager.default.createSymbolicLink(atPath: out + "/pipe-46835.bin", withDestinationPath: victim)
        let link = try CLI.run(["inflight", "extract", "--force", path, "pipe:46835", "-o", out])
        #expect(link.status == 2 && link.stderr.contains("is a symbolic link; refusing to write through it"))
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "keep")
    }

    @Test func fsListCatExtract() throws {
        let path = CLI.fixture("podman/ck-vol.none.tar")
        let ls = try CLI.run(["fs", "ls", path, "/vol"])
        #expect(ls.status == 0)
        #expect(ls.stdout.contains("-rw-r--r--    19  2026-11-29 14:04:08  volume vol1  /vol/v.txt\n"))
        // The rootfs diff's vol/ directory is under the volume's mount: shadowed.
        #expect(ls.stdout.hasSuffix("3 entries, 1 shadowed not shown (--all)\n"))
        #expect(try CLI.run(["fs", "ls", "--all", path, "/vol"]).stdout.contains("rootfs-diff  /vol  (shadowed)\n"))
        #expect(try CLI.run(["fs", "ls", CLI.fixture("podman/ck-basic.gzip.tar.gz"), "/data"]).stdout
            .hasSuffix("1 entry\ndeleted from the image's files (deleted.files): /data/image.txt\n"))
        #expect(try CLI.run(["fs", "cat", CLI.fixture("podman/ck-basic.zstd.tar.zst"), "/data/written.txt"]).stdout == "CONTAINER-WRITTEN-FILE-MARKER\n")
        let link = try CLI.run(["fs", "cat", path, "/dev/fd"])
        #expect(link.status == 2 && link.stderr.contains("/dev/fd: is a symbolic link to /proc/self/fd; links are not followed"))
        #expect(try CLI.run(["fs", "cat", path, "/etc/shadow"]).status == 2)

        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("root").path
        let extract = try CLI.run(["fs", "extract", path, "-o", out])
        #expect(extract.status == 0, "\(extract.stderr)")
        #expect(extract.stdout.hasPrefix("wrote 3 files (35 B) and "))
        #expect(extract.stdout.contains("skipped 11: /dev/stderr (symbolic link to /proc/self/fd/2)"))
        #expect(try String(contentsOfFile: out + "/vol/v.txt", encoding: .utf8) == "VOLUME-FILE-MARKER\n")
        #expect(try Self.mode(out + "/vol/v.txt") == 0o600 && Self.mode(out + "/vol") == 0o700)
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: out + "/dev/fd")) == nil)
        let again = try CLI.run(["fs", "extract", path, "/vol", "-o", out])
        #expect(again.status == 2 && again.stderr.contains("\(out)/vol/m.pid: exists (use --force to overwrite)"))
        #expect(try CLI.run(["fs", "extract", "--force", path, "/vol", "-o", out]).status == 0)
        // A directory on the way that is a symlink is not followed out of DIR.
        let elsewhere = dir.appendingPathComponent("elsewhere").path
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        let fresh = dir.appendingPathComponent("fresh").path
        try FileManager.default.createDirectory(atPath: fresh, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: fresh + "/vol", withDestinationPath: elsewhere)
        let escape = try CLI.run(["fs", "extract", path, "/vol", "-o", fresh])
        #expect(escape.status == 2 && escape.stderr.contains("refusing to write through it"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere).isEmpty)
    }

    @Test func searchNamesInFlightSources() throws {
        let path = CLI.fixture("raw/fds-sockets")
        let hit = try CLI.run(["search", path, "CLIENT-TO-SERVER"])
        #expect(hit.stdout.contains("tcp receive queue, fd 16 of pid 23431, 127.0.0.1:47001 -> 127.0.0.1:44724 +0x4  \"CLIENT-TO-SERVER\"\n"))
        let memoryOnly = try CLI.run(["search", "--no-in-flight", path, "CLIENT-TO-SERVER"])
        #expect(!memoryOnly.stdout.contains("tcp receive queue"))
        let context = try CLI.run(["search", "--context", "4", path, "DGRAM"])
        #expect(context.stdout.contains("socket queue, fd 11 of pid 23431, socket:[46838] (unix dgram, 1 message) +0x5  \"DGRAM\"\n0000000000000001  4e 49 58 2d 44 47 52 41  4d 2d 51 55 45"))
        // Found in memory (the program's literal) and in the ghost file.
        let ghost = try CLI.run(["search", path, "DELETED-FILE-CONTENT-CKPT\n"])
        #expect(ghost.status == 0 && ghost.stdout.hasSuffix("\nghost file, fd 6 of pid 23431, /tmp/fxrun/fdswork/deleted.txt (deleted) +0x0  \"DELETED-FILE-CONTENT-CKPT\\n\"\n"))
        let json = try JSON.parse(try CLI.run(["search", "--format", "json", path, "PIPE-DATA-IN"]).stdout)
        guard case .array(let inFlight)? = json["in_flight"] else { Issue.record("no in_flight"); return }
        #expect(inFlight.map { $0["source"] } == [.string("pipe:46835")] && inFlight.first?["offset"] == .integer(0))
    }
}

/// triage, inflight and fs on pod checkpoints: each container, in the pod envelope.
@Suite struct ForensicPodCommandTests {
    @Test(arguments: PodCommandTests.variants)
    func perContainer(_ fixture: String) throws {
        let path = CLI.fixture(fixture)
        // The worker container runs the injected-code program (notes/podman-nfx-ck.txt); web nothing suspicious.
        let triage = try CLI.run(["triage", path])
        #expect(triage.status == 1)
        let sections = triage.stdout.components(separatedBy: "\ncontainer worker\n")
        #expect(sections.count == 2 && sections[0].hasPrefix("container web\n") && sections[0].hasSuffix("0 critical, 0 warning, 0 info. Nothing at warning or above.\n"))
        #expect(sections.last?.contains("  code.rwx  pid \(PodCommandTests.workerPIDs(fixture)[1]) (inject)  0x13370000-0x13372000 rwxp") == true)
        for (command, schema, arguments) in [("triage", "triage", ["triage"]), ("inflight", "inflight", ["inflight", "ls"]), ("fs", "fs", ["fs", "ls"])] {
            let result = try CLI.run(arguments + ["--format", "json", path])
            let json = try JSON.parse(result.stdout)
            #expect(try PodCommandTests.schema("pod").validate(json) == [], "\(command) \(fixture)")
            #expect(json["command"] == .string(command))
            guard case .array(let containers)? = json["containers"] else { Issue.record("\(command): no containers"); continue }
            #expect(containers.map { $0["name"] } == [.string("web"), .string("worker")])
            for c in containers { #expect(try PodCommandTests.schema(schema).validate(try #require(c["document"])) == [], "\(command) \(fixture)") }
        }
        let cat = try CLI.run(["fs", "cat", path, "/data/written.txt"])
        #expect(cat.status == 2 && cat.stderr.hasPrefix("ckpt-inspect: --container: fs cat reads one container;"))
        #expect(try CLI.run(["fs", "cat", "--container", "web", path, "/data/written.txt"]).stdout == "CONTAINER-WRITTEN-FILE-MARKER\n")
        // The pod's HTML page has each container's triage section.
        let dir = try ForensicCommandTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let html = dir.appendingPathComponent("pod.html").path
        #expect(try CLI.run(["report", path, "-o", html]).status == 0)
        let page = try String(contentsOfFile: html, encoding: .utf8)
        // The containerd variants' worker ran without seccomp (notes/containerd-nfx-ck.txt): one warning more.
        let worker = fixture.contains("cri-o") ? "2 critical, 0 warning, 0 info" : "2 critical, 1 warning, 0 info"
        #expect(page.contains("id=\"c-0-triage\">Triage</h3><p>0 critical, 0 warning, 0 info") && page.contains("id=\"c-1-triage\">Triage</h3><p>\(worker)"))
        #expect(sections.last?.hasSuffix("\(worker).\n") == true)
    }
}
