import Checkpoint
import CRIUImages
import Foundation
import Testing

@Suite struct CheckpointModelTests {
    @Test func processTreeMatchesCritPs() throws {
        let c = try Checkpoint.open(Fixture.path("raw/proc-tree"))
        // crit x proc-tree ps: PID PGID SID COMM, indented by depth.
        let lines = try Fixture.text("crit-x/proc-tree/ps.txt").split(separator: "\n").dropFirst()
        #expect(c.processes.count == lines.count)
        for (process, line) in zip(c.processes, lines) {
            let fields = line.split(separator: " ")
            #expect(process.pid == UInt32(fields[0]))
            #expect(process.pgid == UInt32(fields[1]))
            #expect(process.sid == UInt32(fields[2]))
            #expect(process.command == String(fields[3]))
        }
        #expect(c.processes.map(\.depth) == [0, 1, 1, 1, 2])
        #expect(c.threadCount == 7)
        #expect(c.process(28763)?.threads.map(\.tid) == [28763, 28765, 28766])
        #expect(c.children(of: 28764).map(\.command) == ["sleep"])
        #expect(c.facts.architecture == "x86_64")
        #expect(c.facts.pageSize == 4096)
        #expect(c.facts.pageSizeSource == "auxv")
        #expect(c.facts.criuVersion == "4.2")
        #expect(c.engine.engine == .criu)
    }

    @Test func fdsMatchCritAndNotes() throws {
        let c = try Checkpoint.open(Fixture.path("raw/fds-sockets"))
        let p = try #require(c.process(23431))
        #expect(p.files.map(\.fd) == Array(0...25))
        // crit x fds: regular files by path.
        let critFds = try Fixture.text("crit-x/fds-sockets/fds.txt")
        for line in critFds.split(separator: "\n") {
            let parts = line.trimmingCharacters(in: .whitespaces).split(separator: ": ", maxSplits: 1)
            guard parts.count == 2, let fd = UInt32(parts[0]), parts[1].hasPrefix("/") else { continue }
            #expect(p.files.first { $0.fd == fd }?.target.hasPrefix(String(parts[1])) == true, "fd \(fd)")
        }
        #expect(p.cwd == "/tmp/fxrun/fdswork")
        #expect(p.root == "/")
        func file(_ fd: UInt32) -> OpenFile { p.files.first { $0.fd == fd }! }
        // notes/fds-sockets.txt, fd by fd.
        #expect(file(3).detail("pos") == "7")
        #expect(file(3).detail("size") == "210")
        #expect(file(5).detail("flags")?.contains("O_APPEND") == true)
        #expect(file(6).detail("deleted") == "yes")
        #expect(file(6).target == "/tmp/fxrun/fdswork/deleted.txt (deleted)")
        #expect(file(7).kind == "pipe" && file(7).target == "pipe:[46835]" && file(7).detail("queued_bytes") == "19")
        #expect(file(9).detail("type") == "STREAM" && file(9).detail("peer") == "46837")
        #expect(file(10).detail("queued_bytes") == "20" && file(10).detail("queued_packets") == "1")
        #expect(file(11).detail("type") == "DGRAM" && file(11).detail("queued_bytes") == "17" && file(11).detail("queued_packets") == "1")
        #expect(file(13).detail("state") == "LISTEN" && file(13).detail("name") == "listen.sock")
        #expect(file(14).kind == "tcp" && file(14).detail("state") == "LISTEN" && file(14).detail("local") == "127.0.0.1:47001")
        #expect(file(15).detail("state") == "ESTABLISHED" && file(15).detail("remote") == "127.0.0.1:47001" && file(15).detail("recv_queue") == "20")
        #expect(file(16).detail("local") == "127.0.0.1:47001" && file(16).detail("remote") == "127.0.0.1:44724" && file(16).detail("recv_queue") == "29")
        #expect(file(17).kind == "udp" && file(17).detail("local") == "127.0.0.1:47002")
        #expect(file(18).kind == "eventfd" && file(18).detail("count") == "42" && file(18).detail("flags")?.contains("O_NONBLOCK") == true)
        #expect(file(19).kind == "timerfd" && file(19).detail("clock") == "CLOCK_MONOTONIC" && file(19).detail("interval") == "1000s")
        #expect(file(20).kind == "inotify" && file(20).details.count == 1)
        guard case .records(let watches)? = file(20).details.first?.typed else { Issue.record("inotify watches are not records"); return }
        #expect(watches.count == 2 && watches.allSatisfy { $0.map(\.key) == ["wd", "inode", "mask"] })
        #expect(file(16).details.first { $0.key == "remote" }?.typed == .endpoint(address: "127.0.0.1", port: 44724))
        #expect(file(21).kind == "signalfd" && file(21).detail("mask") == "SIGUSR1|SIGUSR2")
        #expect(file(22).kind == "eventpoll" && file(22).detail("targets")?.contains("data 0x3333") == true)
        #expect(file(23).kind == "memfd" && file(23).target == "/memfd:ckpt-memfd" && file(23).detail("size") == "18")
        #expect(file(25).detail("flags")?.contains("O_DIRECTORY") == true)
    }

    @Test func podmanMetadataMatchesConfigAndSpec() throws {
        let c = try Checkpoint.open(Fixture.path("podman/ck-basic.none.tar"))
        let e = c.engine
        #expect(e.engine == .podman)
        #expect(e.containerName == "ck-basic")
        #expect(e.containerID == "5731d16d6749af063e528e173980a330b720aaef9d19638a089b814d22b2c6ee")
        #expect(e.imageName == "localhost/bb:latest")
        #expect(e.imageID == "a00ccab1a1275a9e687c5bd48f81815fa388219b4c0742257e9d5595bd809dbc")
        #expect(e.runtime == "runc")
        #expect(e.created == "2026-11-29T14:01:46.750604855Z")
        #expect(e.checkpointed == nil) // Podman 4.3 does not record it
        #expect(e.hostname == "5731d16d6749")
        #expect(e.processEnv.contains("CKPT_ENV_MARKER=CKPT-ENV-PODMAN"))
        #expect(e.processArgs.first == "/bin/sh")
        #expect(e.networks.isEmpty) // --network none: network.status is "null"
        #expect(c.deletedFiles == ["/data/image.txt"])
        #expect(c.descriptors == ["/dev/null", "pipe:[68034]", "pipe:[68035]"])
        #expect(c.processes.map(\.command) == ["sh", "marker", "httpd", "sleep"])
        #expect(c.dumpStats?.pagesWritten == 85)
        #expect(c.utsNamespaces.values.first?.hostName.description == "5731d16d6749")
    }

    @Test func rootfsDiffListingMatchesTar() throws {
        for archive in ["podman/ck-basic.none.tar", "podman/ck-basic.zstd.tar.zst", "podman/ck-vol.none.tar"] {
            let c = try Checkpoint.open(Fixture.path(archive))
            let dir = try Fixture.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            try Fixture.run("/usr/bin/tar", ["-xf", Fixture.path(archive), "rootfs-diff.tar"], in: dir.path)
            let listing = try Fixture.run("/usr/bin/tar", ["-tf", dir.appendingPathComponent("rootfs-diff.tar").path])
            let names = listing.split(separator: "\n").map { String($0).trimmingCharacters(in: CharacterSet(charactersIn: "/")) }
            #expect(c.rootfsDiff.map(\.path) == names, "\(archive)")
        }
        let basic = try Checkpoint.open(Fixture.path("podman/ck-basic.none.tar"))
        #expect(basic.rootfsDiff.first { $0.path == "data/written.txt" }?.size == 30)
        #expect(basic.tmpfs.count == 5)
        let vol = try Checkpoint.open(Fixture.path("podman/ck-vol.none.tar"))
        #expect(vol.volumes.keys.sorted() == ["vol1"])
        #expect(vol.sizes.volumes > 0)
    }

    @Test func mountsComeFromTheImages() throws {
        let c = try Checkpoint.open(Fixture.path("podman/ck-basic.none.tar"))
        let ns = try #require(c.mounts[13])
        #expect(ns.count == 29)
        #expect(ns.first { $0.mountPoint.description == "/" }?.filesystemName?.description == "overlay" || ns.contains { $0.mountPoint.description == "/" })
        #expect(ns.contains { $0.mountPoint.description == "/etc/hostname" && $0.externalKey != nil })
    }

    @Test func incrementalParentsAreFound() throws {
        let c = try Checkpoint.open(Fixture.path("raw/incremental/dump"))
        #expect(c.parents.count == 2)
        let pre = try Checkpoint.open(Fixture.path("raw/incremental/pre1"))
        #expect(pre.facts.isPreDump)
        #expect(pre.facts.imageVersion == 0)
        // A pre-dump has no process tree: its processes come from its pagemaps, memory only.
        #expect(pre.processTree == .preDump)
        #expect(pre.processes.map(\.pid) == [29076])
        #expect(pre.processes.allSatisfy { !$0.inProcessTree && $0.threads.isEmpty && $0.memory == nil })
        #expect(pre.missingParents.isEmpty)  // pre1 is the first pre-dump: all its pages are its own
    }

    @Test func compressionsOfTheSameTarGiveTheSameModel() throws {
        let dir = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let tar = dir.appendingPathComponent("ck.tar").path
        try FileManager.default.copyItem(atPath: Fixture.path("podman/ck-basic.none.tar"), toPath: tar)
        try Fixture.run("/usr/bin/zstd", ["-q", "-k", tar, "-o", tar + ".zst"])
        try Fixture.run("/bin/sh", ["-c", "gzip -c '\(tar)' > '\(tar).gz'"])
        let plain = try Checkpoint.open(tar)
        for variant in [tar + ".zst", tar + ".gz"] {
            let other = try Checkpoint.open(variant)
            #expect(other.processes == plain.processes)
            #expect(other.engine == plain.engine)
            #expect(other.rootfsDiff == plain.rootfsDiff)
            #expect(other.sizes.pages == plain.sizes.pages)
            #expect(other.facts == plain.facts)
        }
    }

    @Test func notACheckpoint() throws {
        let dir = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect { try Checkpoint.open(dir.path) } throws: { ($0 as? CheckpointError)?.code == .notACheckpoint }
        #expect { try Checkpoint.open(dir.appendingPathComponent("missing.tar").path) } throws: { ($0 as? CheckpointError)?.code == .archive }
    }
}
