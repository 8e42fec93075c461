import Foundation
import Testing
import TestSupport

/// Issue 18: `inspect` as a person reads it (namespaces, capabilities, parents, network, Podman's
/// metadata, what an export left out, headings).
@Suite struct InspectReportTests {
    static let podman = CLI.fixture("podman/ck-basic.none.tar")
    static let volume = CLI.fixture("podman/ck-vol.none.tar")
    static let fds = CLI.fixture("raw/fds-sockets")

    static func json(_ relative: String) throws -> JSON {
        try JSON.parse(String(contentsOfFile: CLI.fixture("crit-json/" + relative), encoding: .utf8))
    }

    @Test("namespaces say which are the container's own and which the host's (inventory root_ids)")
    func namespaces() throws {
        // Ground truth: crit's ids-1.img against inventory.img's root_ids.
        let ids = try #require(try Self.json("podman/ck-basic.none.tar/checkpoint/ids-1.img.json")["entries"].flatMap { if case .array(let a) = $0 { a.first } else { nil } })
        let inventory = try #require(try Self.json("podman/ck-basic.none.tar/checkpoint/inventory.img.json")["entries"].flatMap { if case .array(let a) = $0 { a.first?["root_ids"] } else { nil } })
        var own: [String] = [], shared: [String] = []
        for (kind, key) in [("pid", "pid_ns_id"), ("net", "net_ns_id"), ("ipc", "ipc_ns_id"), ("uts", "uts_ns_id"), ("mnt", "mnt_ns_id"),
                            ("user", "user_ns_id"), ("cgroup", "cgroup_ns_id"), ("time", "time_ns_id")] {
            guard case .integer(let mine)? = ids[key] else { continue }
            if inventory[key] == .integer(mine) { shared.append("\(kind) \(mine)") } else { own.append("\(kind) \(mine)") }
        }
        #expect(own == ["pid 9", "net 10", "ipc 11", "uts 12", "mnt 13"] && shared == ["user 7", "cgroup 8", "time 5"])
        let text = try CLI.run(["inspect", Self.podman, "--namespaces", "--pid", "1"]).stdout
        #expect(text.contains("Namespaces: own: \(own.joined(separator: ", ")); shared with the host: \(shared.joined(separator: ", "))"), "\(text)")
        #expect(text.contains("Network namespace 10 (own): not in the checkpoint (engines have CRIU leave it out and create it anew on restore)"))
        let raw = try CLI.run(["inspect", Self.fds, "--namespaces"]).stdout
        #expect(raw.contains("Namespaces: all shared with the host: pid 1, net 2, ipc 3, uts 4, mnt 6, user 7, cgroup 8, time 5"), "\(raw)")
        #expect(raw.contains("Network namespace 2 (shared with the host): not dumped (CRIU leaves the host's alone)"))
        let document = try JSON.parse(try CLI.run(["inspect", Self.podman, "--format", "json"]).stdout)
        guard case .array(let processes)? = document["processes"] else { Issue.record("no processes"); return }
        #expect(processes.first?["shared_with_host"] == .array([.string("user"), .string("cgroup"), .string("time")]))
    }

    @Test("capabilities by name against the engine's default set")
    func capabilities() throws {
        // core-1.img: cap_eff 0xa80425fb = the 14 capabilities of the default set, nothing else.
        let podman = try CLI.run(["inspect", Self.podman, "--creds", "--pid", "1"]).stdout
        #expect(podman.contains("capabilities (effective, permitted, bounding): Podman's default set (14)"), "\(podman)")
        #expect(!podman.contains("0xa80425fb"))
        // fds-sockets: 0x1fffeffffff = bits 0 to 40 but 24 (CAP_SYS_RESOURCE), a host process as root.
        let raw = try CLI.run(["inspect", Self.fds, "--creds"]).stdout
        #expect(raw.contains("capabilities (effective, permitted, bounding): all capabilities (41) without CAP_SYS_RESOURCE"), "\(raw)")
    }

    @Test("a process whose parent was not dumped says so")
    func parents() throws {
        let raw = try CLI.run(["inspect", Self.fds]).stdout
        #expect(raw.contains("[23431]  fds  (parent outside the checkpoint)"), "\(raw)")
        let tree = CLI.fixture("raw/proc-tree")
        let child = try CLI.run(["inspect", tree, "--pid", "28767"]).stdout
        #expect(child.contains("[28767]  sleep  (child of 28764)"), "\(child)")
        let document = try JSON.parse(try CLI.run(["inspect", tree, "--format", "json"]).stdout)
        guard case .array(let processes)? = document["processes"] else { Issue.record("no processes"); return }
        #expect(processes.map { $0["parent_in_checkpoint"] } == [.bool(false)] + Array(repeating: .bool(true), count: 4))
    }

    @Test("Podman's create command and named volumes; what --ignore-rootfs / --ignore-volumes left out")
    func podmanMetadata() throws {
        // Ground truth: config.dump's CreateCommand.
        let config = try #require(try JSONSerialization.jsonObject(with: try CLI.tool("/usr/bin/tar", ["-xOf", Self.volume, "config.dump"]).stdout) as? [String: Any])
        #expect(config["CreateCommand"] as? [String] == ["podman", "run", "-d", "--name", "ck-vol", "--network", "none", "-v", "vol1:/vol", "-e",
                                                          "CKPT_ENV_MARKER=CKPT-ENV-PODMAN-VOL", "localhost/bb:latest", "/bin/sh", "-c",
                                                          "echo VOLUME-FILE-MARKER > /vol/v.txt; echo ROOTFS-CHANGE > /data/changed.txt; exec /bin/marker CKPT-MARKER-VOL /vol/m.pid"])
        let text = try CLI.run(["inspect", Self.volume]).stdout
        #expect(text.contains("Create command: podman run -d --name ck-vol --network none -v vol1:/vol -e CKPT_ENV_MARKER=CKPT-ENV-PODMAN-VOL localhost/bb:latest /bin/sh -c 'echo VOLUME-FILE-MARKER > /vol/v.txt; echo ROOTFS-CHANGE > /data/changed.txt; exec /bin/marker CKPT-MARKER-VOL /vol/m.pid'"), "\(text)")
        #expect(text.contains("Volume: vol1 -> /vol\n"))
        #expect(!text.contains("Exported with"))
        let all = try CLI.run(["inspect", Self.volume, "--rootfs"]).stdout
        #expect(all.contains("Volume vol1 -> /vol (3 entries)"))

        // The same archive without what --ignore-rootfs and --ignore-volumes leave out.
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let stripped = dir.appendingPathComponent("ck-vol-ignored.tar").path
        try FileManager.default.copyItem(atPath: Self.volume, toPath: stripped)
        #expect(try CLI.tool("/usr/bin/tar", ["--delete", "-f", stripped, "rootfs-diff.tar", "volumes/vol1.tar"]).status == 0)
        let ignored = try CLI.run(["inspect", stripped, "--rootfs"]).stdout
        #expect(ignored.contains("Volume: vol1 -> /vol (not in the archive)"), "\(ignored)")
        #expect(ignored.contains("Exported with --ignore-rootfs: the container's file system changes (rootfs-diff.tar) are not in the archive"))
        #expect(ignored.contains("Exported with --ignore-volumes: the contents of 1 named volume are not in the archive"))
        #expect(!ignored.contains("Root FS diff ("))
        let document = try JSON.parse(try CLI.run(["inspect", stripped, "--format", "json"]).stdout)
        #expect(document["container"]?["export_options"] == .array([.string("--ignore-rootfs"), .string("--ignore-volumes")]))
        #expect(document["container"]?["named_volumes"] == .array([.object(["name": .string("vol1"), "destination": .string("/vol"),
                                                                           "options": .array(["rw", "rprivate", "nosuid", "nodev", "rbind"].map(JSON.string))])]))
    }

    @Test("no empty headings for a CRIU dump; tmpfs contents under their mount point")
    func headings() throws {
        let raw = try CLI.run(["inspect", Self.fds, "--all"]).stdout
        #expect(!raw.contains("Root FS diff"), "\(raw)")
        #expect(!raw.contains("├── Mounts\n") && raw.contains("Mounts: none in the checkpoint"))
        // tmpfs-dev-56.tar.gz.img holds the file system whose root_dev is 0:56, mounted whole (root /) at
        // /dev (crit's mountpoints-13.img; /proc/timer_list is a bind mount of one file of it).
        let mounts = try Self.json("podman/ck-vol.none.tar/checkpoint/mountpoints-13.img.json")
        guard case .array(let entries)? = mounts["entries"] else { Issue.record("no mounts"); return }
        #expect(entries.first { $0["root_dev"] == .string("0:56") && $0["root"] == .string("/") }?["mountpoint"] == .string("/dev"))
        let podman = try CLI.run(["inspect", Self.volume, "--rootfs"]).stdout
        #expect(podman.contains("├── tmpfs /dev (15 entries)"), "\(podman)")
        #expect(podman.contains("├── tmpfs /proc/acpi (1 entry)"))
        #expect(!podman.contains("tmpfs image tmpfs-dev"))
        #expect(podman.contains("├── Root FS diff (2 entries)\n│   ├── file  data/changed.txt  14 B  mode 0644"))
        let document = try JSON.parse(try CLI.run(["inspect", Self.volume, "--format", "json"]).stdout)
        guard case .array(let tmpfs)? = document["tmpfs"] else { Issue.record("no tmpfs"); return }
        #expect(tmpfs.first { $0["image"] == .string("tmpfs-dev-56.tar.gz.img") }?["mountpoint"] == .string("/dev"))
    }

    /// marker-static with its process moved into network namespace 99 (ids-28716.img's net_ns_id byte
    /// patched from 2 to 99) and the raw images of that namespace added.
    static func networkFixture(_ dir: URL) throws -> String {
        let root = dir.appendingPathComponent("netns").path
        try FileManager.default.copyItem(atPath: CLI.fixture("raw/marker-static"), toPath: root)
        for name in try FileManager.default.contentsOfDirectory(atPath: root) {
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: root + "/" + name)
        }
        var ids = try [UInt8](Data(contentsOf: URL(fileURLWithPath: root + "/ids-28716.img")))
        #expect(ids[0x16] == 0x30 && ids[0x17] == 2)  // after the 12-byte header: field 6 (net_ns_id), varint 2
        ids[0x17] = 99
        try Data(ids).write(to: URL(fileURLWithPath: root + "/ids-28716.img"))
        let (ifaddr, route, rule) = NetlinkDump.sample()
        let files: [(String, [UInt8])] = [
            ("ifaddr-99.img", ifaddr), ("route-99.img", route), ("route6-99.img", NetlinkDump(magic: NetlinkDump.routeMagic).bytes),
            ("rule-99.img", rule),
            ("iptables-99.img", Array("# Generated by iptables-save v1.8.9\n*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 22 -j DROP\nCOMMIT\n".utf8)),
            ("ip6tables-99.img", []),
            ("nftables-99.img", Array("table inet filter {\n\tchain input {\n\t\ttype filter hook input priority 0;\n\t}\n}\n".utf8)),
        ]
        for (name, bytes) in files { try Data(bytes).write(to: URL(fileURLWithPath: root + "/" + name)) }
        return root
    }

    @Test("the network namespace's addresses, routes, rules and firewall rules, from the raw images")
    func network() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let root = try Self.networkFixture(dir)
        let r = try CLI.run(["inspect", root, "--namespaces"])
        #expect(r.status == 0, "\(r.stderr)")
        let expected = """
            ├── Network namespace 99 (own)
            │   ├── Addresses (3)
            │   │   ├── lo 127.0.0.1/8 (host)
            │   │   ├── eth0 10.88.0.5/16
            │   │   └── lo ::1/128 (host)
            │   ├── Routes (2)
            │   │   ├── default via 10.88.0.1 dev eth0
            │   │   └── 10.88.0.0/16 dev eth0 src 10.88.0.5
            │   ├── Rules (2)
            │   │   ├── 0: from all lookup local
            │   │   └── 32766: from all lookup main
            │   ├── iptables (4 lines)
            │   │   ├── *filter
            │   │   ├── :INPUT ACCEPT [0:0]
            │   │   ├── -A INPUT -p tcp --dport 22 -j DROP
            │   │   └── COMMIT
            │   ├── ip6tables: no rules
            │   └── nftables (5 lines)
            │       ├── table inet filter {
            │       ├──         chain input {
            │       ├──                 type filter hook input priority 0;
            │       ├──         }
            │       └── }
            """
        #expect(r.stdout.contains(expected), "\(r.stdout)")
        #expect(!r.stdout.contains("\\t"))
        #expect(r.stdout.contains("Namespaces: own: net 99; shared with the host: pid 1, ipc 3, uts 4, mnt 6, user 7, cgroup 8, time 5"))
        let document = try JSON.parse(try CLI.run(["inspect", root, "--format", "json"]).stdout)
        #expect(try JSONSchema(file: CLI.projectRoot.appendingPathComponent("Schemas/inspect.schema.json").path).validate(document) == [])
        guard case .array(let namespaces)? = document["network_namespaces"], let ns = namespaces.first(where: { $0["id"] == .integer(99) }),
              case .array(let addresses)? = ns["addresses"], case .array(let routes)? = ns["routes"] else {
            Issue.record("no namespace 99"); return
        }
        #expect(addresses.map { $0["address"] } == [.string("127.0.0.1"), .string("10.88.0.5"), .string("::1")])
        #expect(addresses.map { $0["prefix_length"] } == [.integer(8), .integer(16), .integer(128)])
        #expect(routes.first?["gateway"] == .string("10.88.0.1") && routes.first?["output_interface"] == .integer(2))
        #expect(ns["shared_with_host"] == .bool(false))
    }
}
