@testable import CheckpointAnalysis
import Checkpoint
import CheckpointArchive
import CRIUImages
import Foundation
import Testing
import TestSupport

/// Triage on the real fixtures: the forensic ones give exactly the findings their notes describe,
/// at the addresses the notes give; every other fixture gives nothing at warning or above.
@Suite struct TriageTests {
    struct Key: Hashable, CustomStringConvertible {
        var id: String
        var pid: UInt32?
        var range: Range<UInt64>?
        var description: String { "\(id) pid \(pid.map(String.init) ?? "-") \(range.map { "0x\(String($0.lowerBound, radix: 16))-0x\(String($0.upperBound, radix: 16))" } ?? "")" }
    }

    static func keys(_ findings: [TriageFinding]) -> Set<Key> {
        Set(findings.map { Key(id: $0.id, pid: $0.evidence.pid, range: $0.id.hasPrefix("code.") || $0.id.hasPrefix("lib.") || $0.id.hasPrefix("env.") ? $0.evidence.addressRange : nil) })
    }

    /// What notes/forensic.txt says a triage must find, at warning and above.
    static func expectedForensic(_ notes: ForensicNotes) -> Set<Key> {
        var out = Set<Key>()
        // (a): the RWX region, then the r-x one, both anonymous, in the injecting process.
        out.insert(Key(id: "code.rwx", pid: notes.injectedPid, range: notes.injected[0]))
        out.insert(Key(id: "code.anonymous-exec", pid: notes.injectedPid, range: notes.injected[1]))
        for task in notes.tasks.values {
            // (b): the executable is a memfd, and its code is mapped from it; or it is a deleted file.
            if task.executable.hasPrefix("/memfd:") {
                out.insert(Key(id: "exe.memfd", pid: task.pid))
                for m in task.maps where m.permissions.contains("x") && m.path == task.executable {
                    out.insert(Key(id: "code.memfd-exec", pid: task.pid, range: m.range))
                }
            } else if task.executable.hasSuffix(" (deleted)") {
                out.insert(Key(id: "exe.deleted", pid: task.pid))
            }
            // (c): a shell with its stdio on a socket.
            if ["sh", "bash", "dash"].contains(task.comm), (0...2).allSatisfy({ task.fds[$0]?.hasPrefix("socket:") == true }) {
                out.insert(Key(id: "net.reverse-shell", pid: task.pid))
            }
            // The environment: LD_PRELOAD, and the secret at the address the marker scan found it.
            for variable in task.environment {
                let name = String(variable.prefix { $0 != "=" })
                let value = String(variable.dropFirst(name.count + 1))
                if name == "LD_PRELOAD" {
                    out.insert(Key(id: "env.ld-preload", pid: task.pid, range: preloadRange(notes, task, value)))
                }
                if name == "AWS_SECRET_ACCESS_KEY", let hit = notes.hits.first(where: { $0.pid == task.pid && $0.marker == value }) {
                    out.insert(Key(id: "env.credential", pid: task.pid, range: hit.address..<hit.address + hit.length))
                }
            }
            // Libraries mapped from /tmp (not the program itself).
            let libraries = task.maps.filter { $0.path.hasPrefix("/tmp/") && $0.path != task.executable && $0.path.contains(".so") }
            if let first = libraries.first {
                let all = libraries.filter { $0.path == first.path }
                out.insert(Key(id: "lib.temporary-path", pid: task.pid, range: all.map(\.range.lowerBound).min()!..<all.map(\.range.upperBound).max()!))
            }
        }
        return out
    }

    /// LD_PRELOAD's value sits just before the secret in the environment block (execve order):
    /// the notes locate the secret; the preload's address follows from the strings between them.
    static func preloadRange(_ notes: ForensicNotes, _ task: ForensicNotes.Task, _ value: String) -> Range<UInt64>? {
        guard let secret = task.environment.firstIndex(where: { $0.hasPrefix("AWS_SECRET_ACCESS_KEY=") }),
              let preload = task.environment.firstIndex(where: { $0.hasPrefix("LD_PRELOAD=") }), preload < secret,
              let hit = notes.hits.first(where: { $0.pid == task.pid && $0.marker.hasPrefix("DEVFAKE") }) else { return nil }
        var address = hit.address - UInt64("AWS_SECRET_ACCESS_KEY=".utf8.count)
        for v in task.environment[(preload + 1)..<secret].reversed() { address -= UInt64(v.utf8.count + 1) }
        let start = address - UInt64(value.utf8.count + 1)
        return start..<start + UInt64(value.utf8.count)
    }

    @Test func forensicFindingsAreExactlyWhatTheNotesDescribe() throws {
        let notes = ForensicNotes(try VerifyFixture.text("notes/forensic.txt"))
        #expect(notes.tasks.count == 7 && notes.injected.count == 2 && notes.shellSocket != nil)
        let c = try Checkpoint.open(VerifyFixture.path("raw/forensic"))
        let report = try Triage.run(c)
        let found = Self.keys(report.findings(atLeast: .warning))
        let expected = Self.expectedForensic(notes)
        #expect(found == expected, "missing \(expected.subtracting(found).sorted { $0.description < $1.description }), unexpected \(found.subtracting(expected).sorted { $0.description < $1.description })")
        #expect(report.incomplete.isEmpty)

        // The injected regions start with the bytes the notes give.
        let rwx = try #require(report.findings("code.rwx").first)
        #expect(rwx.severity == .critical && rwx.evidence.protection == "rwxp")
        #expect(Array(rwx.evidence.firstBytes?.prefix(notes.elfHeader.count) ?? []) == notes.elfHeader)
        #expect(rwx.evidence.header?.hasPrefix("ELF 64-bit LSB") == true)
        let rx = try #require(report.findings("code.anonymous-exec").first)
        #expect(Array(rx.evidence.firstBytes?.prefix(notes.nopCount + 1) ?? []) == Array(repeating: 0x90, count: notes.nopCount) + [0xc3])
        #expect(rx.evidence.header?.hasPrefix("NOP sled (\(notes.nopCount) ") == true)

        // The fileless program: its memfd's size, argv[0], and the header of what it runs.
        let memfdTask = try #require(notes.tasks.values.first { $0.executable.hasPrefix("/memfd:") })
        let memfd = try #require(report.findings("exe.memfd").first)
        #expect(memfd.severity == .critical && memfd.evidence.path == memfdTask.executable.replacingOccurrences(of: " (deleted)", with: ""))
        #expect(memfd.evidence.details.contains(.init("memfd size", String(notes.memfdSize))))
        #expect(memfd.message.contains("\(notes.memfdSize) bytes are in the checkpoint"))
        #expect(memfd.evidence.header?.hasPrefix("ELF") == true)
        let deletedTask = try #require(notes.tasks.values.first { $0.executable.hasSuffix(" (deleted)") && !$0.executable.hasPrefix("/memfd:") })
        let deleted = try #require(report.findings("exe.deleted").first)
        #expect(deleted.evidence.path == deletedTask.executable.replacingOccurrences(of: " (deleted)", with: ""))
        #expect(deleted.message.contains("holds its \(notes.ghostSize) bytes") && deleted.evidence.header?.hasPrefix("ELF") == true)

        // The reverse shell and its connection: the socket, endpoints and holders of notes (c).
        let socket = notes.shellSocket!
        let shell = try #require(report.findings("net.reverse-shell").first)
        #expect(shell.severity == .critical && shell.evidence.fds == [0, 1, 2])
        #expect(shell.evidence.local == .init(address: socket.local, port: socket.localPort))
        #expect(shell.evidence.remote == .init(address: socket.remote, port: socket.remotePort))
        #expect(shell.evidence.field == "id \(socket.fileID)")
        let connection = try #require(report.findings("net.external-connection").first)
        #expect(connection.severity == .info && report.findings(atLeast: .info).filter { $0.severity == .info }.count == 1)
        let holders = notes.tasks.values.filter { t in (0...2).allSatisfy { t.fds[$0] == "socket:[\(socket.inode)]" } }.map(\.pid).sorted()
        #expect(connection.evidence.holders.map(\.pid) == holders && connection.evidence.holders.allSatisfy { $0.fds == [0, 1, 2] })

        // The secret is masked unless asked for; shown, it is the value in the notes.
        let secrets = report.findings("env.credential")
        let value = try #require(notes.hits.first { $0.marker.hasPrefix("DEVFAKE") }?.marker)
        #expect(!secrets.isEmpty && secrets.allSatisfy { !$0.message.contains(value) && $0.evidence.value?.contains(value) == false })
        let shown = try Triage.run(c, options: .init(showSecrets: true)).findings("env.credential")
        #expect(shown.allSatisfy { $0.evidence.value == value })
    }

    /// notes/podman-nfx-ck.txt: the same injected regions inside a container (pid 6 in its
    /// namespace), and nothing else at warning or above.
    @Test func podmanForensicArchive() throws {
        let notes = try VerifyFixture.text("notes/podman-nfx-ck.txt")
        let pid = try #require(ForensicNotes.matches(#"(\d+)/\d+ inject"#, notes).first.flatMap { UInt32($0[1]) })
        let regions = ForensicNotes.matches(#"(RWX|r-x) region 0x([0-9a-f]+)-0x([0-9a-f]+)"#, notes).map { UInt64($0[2], radix: 16)!..<UInt64($0[3], radix: 16)! }
        #expect(regions.count == 2)
        let report = try Triage.run(try Checkpoint.open(VerifyFixture.path("podman/nfx-ck.none.tar")))
        #expect(Self.keys(report.findings(atLeast: .info)) == [Key(id: "code.rwx", pid: pid, range: regions[0]), Key(id: "code.anonymous-exec", pid: pid, range: regions[1])])
        #expect(report.findings.allSatisfy { $0.severity == .critical && $0.evidence.image == "checkpoint/mm-\(pid).img" })
    }

    /// notes/containerd-nfx-ck.txt: the same programs under containerd (`inject pid 7: rwx=0x13370000
    /// len=0x2000 ... rx=0x13390000 len=0x1000`), in a container that ran with "no seccomp" (ctr adds
    /// it only with --seccomp): the spec read from the image's config blob says so.
    @Test func containerdCheckpointImage() throws {
        let notes = try VerifyFixture.text("notes/containerd-nfx-ck.txt")
        let m = try #require(ForensicNotes.matches(#"inject pid (\d+): rwx=0x([0-9a-f]+) len=0x([0-9a-f]+) .* rx=0x([0-9a-f]+) len=0x([0-9a-f]+)"#, notes).first)
        let pid = UInt32(m[1])!, rwx = UInt64(m[2], radix: 16)!, rx = UInt64(m[4], radix: 16)!
        let rwxRange = rwx..<rwx + UInt64(m[3], radix: 16)!, rxRange = rx..<rx + UInt64(m[5], radix: 16)!
        #expect(notes.contains("**no seccomp**"))
        let report = try Triage.run(try Checkpoint.open(VerifyFixture.path("containerd/nfx-ck.checkpoint-image.oci.tar")))
        #expect(Self.keys(report.findings) == [Key(id: "code.rwx", pid: pid, range: rwxRange), Key(id: "code.anonymous-exec", pid: pid, range: rxRange),
                                               Key(id: "posture.seccomp-disabled", pid: nil, range: nil)])
        #expect(report.findings("posture.seccomp-disabled").first?.severity == .warning)
    }

    /// No noise: the fixtures that hold nothing suspicious give no finding at warning or above.
    @Test(arguments: ["raw/marker-static", "raw/proc-tree", "raw/fds-sockets", "raw/diff-pair/gen1", "raw/diff-pair/gen2",
                      "raw/incremental/dump", "raw/incremental/pre1", "podman/ck-basic.none.tar", "podman/ck-basic.zstd.tar.zst",
                      "podman/ck-vol.none.tar"])
    func ordinaryFixturesAreQuiet(fixture: String) throws {
        let report = try Triage.run(try Checkpoint.open(VerifyFixture.path(fixture)))
        #expect(report.findings(atLeast: .warning).isEmpty, "\(report.findings.map { "\($0.id): \($0.message)" })")
        #expect(report.checks == Triage.checks)
    }

    /// --rootfs: the image of notes/podman-nfx-ck.txt is busybox plus /bin/inject and /bin/heapmark;
    /// a root with busybox only leaves those two programs missing.
    @Test func executablesMissingFromTheImage() throws {
        let c = try Checkpoint.open(VerifyFixture.path("podman/nfx-ck.none.tar"))
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("triage-rootfs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root.appendingPathComponent("bin"), withIntermediateDirectories: true)
        for exe in Set(c.processes.compactMap(\.executable)) where exe.hasSuffix("busybox") {
            _ = FileManager.default.createFile(atPath: root.path + exe, contents: Data())
        }
        let missing = try Triage.run(c, options: .init(rootfs: root.path)).findings("exe.missing")
        let expected = c.processes.filter { !($0.executable ?? "").hasSuffix("busybox") }.map(\.pid)
        #expect(missing.map { $0.evidence.pid! }.sorted() == expected.sorted())
        #expect(Set(missing.compactMap(\.evidence.path)) == ["/bin/inject", "/bin/heapmark"])
        for exe in ["/bin/inject", "/bin/heapmark"] { _ = FileManager.default.createFile(atPath: root.path + exe, contents: Data()) }
        #expect(try Triage.run(c, options: .init(rootfs: root.path)).findings("exe.missing").isEmpty)
    }

    /// Files the container wrote: a copy of the forensic fixture with a rootfs-diff.tar holding a
    /// real ELF (the ghost file's bytes), a script and a setuid file, made with tar.
    @Test func addedExecutablesAndSetIDFiles() throws {
        let copy = try VerifyFixture.copy("raw/forensic")
        defer { try? FileManager.default.removeItem(at: copy.deletingLastPathComponent()) }
        let c = try Checkpoint.open(copy.path)
        let ghost = try #require(try c.inFlightData().first { $0.kind == .ghostFile })
        let elf = try c.readInFlightData(ghost)
        let tree = copy.deletingLastPathComponent().appendingPathComponent("tree")
        try FileManager.default.createDirectory(at: tree.appendingPathComponent("usr/bin"), withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: tree.path + "/usr/bin/dropper", contents: Data(elf), attributes: [.posixPermissions: 0o755])
        _ = FileManager.default.createFile(atPath: tree.path + "/usr/bin/run.sh", contents: Data("#!/bin/sh\necho\n".utf8), attributes: [.posixPermissions: 0o755])
        _ = FileManager.default.createFile(atPath: tree.path + "/usr/bin/suid", contents: Data("x".utf8), attributes: [.posixPermissions: 0o4755])
        _ = FileManager.default.createFile(atPath: tree.path + "/usr/bin/notes.txt", contents: Data("text".utf8), attributes: [.posixPermissions: 0o755])
        // gzip-compressed despite its name, as some engines write it (ARCHIVES.md).
        try VerifyFixture.run("/usr/bin/env", ["tar", "-C", tree.path, "-czf", copy.path + "/rootfs-diff.tar", "usr"])
        let withFiles = try Checkpoint.open(copy.path)
        #expect(try withFiles.containerFiles().filter { $0.kind == .file }.map(\.path).sorted() == ["/usr/bin/dropper", "/usr/bin/notes.txt", "/usr/bin/run.sh", "/usr/bin/suid"])
        let report = try Triage.run(withFiles)
        let added = report.findings("file.added-executable")
        #expect(added.map(\.evidence.path) == ["/usr/bin/dropper", "/usr/bin/run.sh"])
        #expect(added[0].evidence.header?.hasPrefix("ELF 64-bit LSB") == true && added[0].evidence.firstBytes?.prefix(4) == [0x7f, 0x45, 0x4c, 0x46])
        #expect(added[1].evidence.header == "script (#!/bin/sh)")
        #expect(added.allSatisfy { $0.evidence.image == "rootfs-diff.tar" && $0.severity == .warning })
        #expect(report.findings("file.setid").map(\.evidence.path) == ["/usr/bin/suid"])
    }

    /// Posture from the real spec.dump and config.dump of the Podman fixture: as recorded, nothing;
    /// each risky change made to it, its finding.
    @Test func postureFromEngineMetadata() throws {
        let source = try CheckpointSource.open(path: VerifyFixture.path("podman/nfx-ck.none.tar"))
        let spec = try source.read(try #require(try source.member(named: "spec.dump")))
        let config = try source.read(try #require(try source.member(named: "config.dump")))
        #expect(ContainerPosture.findings(specDump: spec, configDump: config).isEmpty)
        func changed(_ edit: (inout [String: Any]) -> Void, config edits: ((inout [String: Any]) -> Void)? = nil) throws -> [String] {
            var s = try JSONSerialization.jsonObject(with: Data(spec)) as! [String: Any]
            edit(&s)
            var c = try JSONSerialization.jsonObject(with: Data(config)) as! [String: Any]
            edits?(&c)
            return ContainerPosture.findings(specDump: Array(try JSONSerialization.data(withJSONObject: s)),
                                             configDump: Array(try JSONSerialization.data(withJSONObject: c))).map { "\($0.id) \($0.severity) \($0.evidence.name ?? "")" }
        }
        #expect(try changed({ s in
            var p = s["process"] as! [String: Any], caps = p["capabilities"] as! [String: Any]
            caps["bounding"] = (caps["bounding"] as! [String]) + ["CAP_SYS_ADMIN", "CAP_NET_ADMIN"]
            p["capabilities"] = caps
            s["process"] = p
        }) == ["posture.capability critical CAP_SYS_ADMIN", "posture.capability warning CAP_NET_ADMIN"])
        #expect(try changed({ s in
            var l = s["linux"] as! [String: Any]
            l["namespaces"] = (l["namespaces"] as! [[String: Any]]).filter { $0["type"] as? String != "network" }
            s["linux"] = l
        }) == ["posture.host-namespace warning network"])
        #expect(try changed({ s in
            s["mounts"] = (s["mounts"] as! [[String: Any]]) + [["destination": "/var/run/docker.sock", "type": "bind", "source": "/run/docker.sock", "options": ["rbind"]],
                                                               ["destination": "/host", "type": "bind", "source": "/", "options": ["rbind"]]]
        }) == ["posture.host-mount critical /var/run/docker.sock", "posture.host-mount critical /host"])
        #expect(try changed({ s in
            var l = s["linux"] as! [String: Any]
            l["seccomp"] = nil
            s["linux"] = l
            var p = s["process"] as! [String: Any]
            p["apparmorProfile"] = "unconfined"
            s["process"] = p
        }) == ["posture.seccomp-disabled warning ", "posture.lsm-disabled warning "])
        #expect(try changed({ _ in }, config: { $0["privileged"] = true }) == ["posture.privileged critical "])
    }

    @Test func namesAndCredentials() throws {
        // Every fixture process's comm matches its command line and executable.
        for fixture in ["raw/forensic", "raw/proc-tree", "podman/ck-basic.none.tar", "podman/nfx-ck.none.tar"] {
            let c = try Checkpoint.open(VerifyFixture.path(fixture))
            for s in try c.processStrings() {
                let p = try #require(c.process(s.pid))
                #expect(TriageContext.commMatches(p.command, argv: s.commandLine ?? [], executable: p.executable), "\(fixture) \(p.pid)")
            }
        }
        #expect(!TriageContext.commMatches("[kworker/1:2]", argv: ["./miner"], executable: "/tmp/miner"))
        #expect(TriageContext.looksLikeKernelThread("[kworker/1:2]") && TriageContext.looksLikeKernelThread("kworker/0:1H"))
        #expect(!TriageContext.looksLikeKernelThread("sh") && !TriageContext.looksLikeKernelThread("[]"))
        #expect(TriageContext.commMatches("-bash".dropFirst().description, argv: ["-bash"], executable: "/usr/bin/bash"))
        #expect(TriageContext.commMatches("app.py", argv: ["/usr/bin/python3", "/srv/app.py"], executable: "/usr/bin/python3.11"))
        for (name, value) in [("AWS_SECRET_ACCESS_KEY", "x"), ("DB_PASSWORD", "x"), ("GITHUB_TOKEN", "x"), ("X", "AKIAABCDEFGHIJKLMNOP"),
                              ("URL", "postgres://u:p@db/x"), ("KEY", "ghp_abc")] {
            #expect(TriageContext.credentialReason(name: name, value: value) != nil, "\(name)")
        }
        for (name, value) in [("PWD", "/"), ("PATH", "/bin"), ("CKPT_ENV_MARKER", "CKPT-ENV-MARKER-4321"), ("DB_PASSWORD", ""), ("URL", "https://example.org/a@b")] {
            #expect(TriageContext.credentialReason(name: name, value: value) == nil, "\(name)")
        }
        #expect(TriageContext.header([0x90, 0x90]) == nil && TriageContext.header(Array("MZ..".utf8)) == "PE (MZ) executable")
    }

    /// One pass over a compressed archive: with a TriageReader the memory the checks read rides on
    /// the pass that opens the checkpoint, and the findings are those of the plain archive.
    @Test(arguments: ["podman/nfx-ck.none.tar", "raw/forensic"])
    func compressedArchivesAreReadOnce(fixture: String) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("triage-gz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let archive = dir.appendingPathComponent("ck.tar.gz").path
        if fixture.hasSuffix(".tar") {
            try VerifyFixture.run("/bin/sh", ["-c", "gzip -c '\(VerifyFixture.path(fixture))' > '\(archive)'"])
        } else {
            // Sorted by name, as engines write their archives (a directory walk in lexical order).
            try VerifyFixture.run("/usr/bin/env", ["tar", "--sort=name", "-C", VerifyFixture.path(fixture), "-czf", archive, "."])
        }
        let expected = try Triage.run(try Checkpoint.open(VerifyFixture.path(fixture)), options: .init(showSecrets: true))
        let counter = PassCounter()
        let reader = TriageReader()
        let c = try Checkpoint.open(archive, options: .init(source: .init(progress: counter.reporter)), streaming: reader)
        let report = try Triage.run(c, options: .init(showSecrets: true), reader: reader)
        #expect(counter.passes == 1)
        #expect(report.findings.map(\.message) == expected.findings.map(\.message))
        #expect(report.findings.map(\.evidence) == expected.findings.map(\.evidence))
    }
}
