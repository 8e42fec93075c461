import Foundation
import Testing

/// `ckpt-inspect host` and `verify --target NODE.json`, on the built binary.
@Suite struct HostCommandTests {
    static func schema(_ name: String) throws -> JSONSchema {
        try JSONSchema(file: CLI.projectRoot.appendingPathComponent("Schemas/\(name).schema.json").path)
    }

    @Test func hostJSONValidates() throws {
        let r = try CLI.run(["host", "--format", "json", "--name", "node-a"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.isEmpty)
        let json = try JSON.parse(r.stdout)
        #expect(try Self.schema("host").validate(json) == [])
        #expect(json["schema"] == .string("ckpt-inspect/host/v1"))
        #expect(json["hostname"] == .string("node-a"))
        let release = try String(contentsOfFile: "/proc/sys/kernel/osrelease", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(json["kernel"]?["release"] == .string(release))
        guard case .array(let features)? = json["kernel_features"] else { Issue.record("no kernel_features"); return }
        #expect(features.count == 19)
        let text = try CLI.run(["host"])
        #expect(text.status == 0)
        #expect(text.stdout.hasPrefix("host "))
        #expect(text.stdout.contains("Kernel features (19)"))
        #expect(text.stdout.contains("  kernel        \(release)"))
    }

    /// This machine's node file, edited: `fit` makes it fit ck-basic (CRIU 4.2, the image, PKRU, v1+v2 cgroups).
    static func nodeFile(_ dir: URL, _ name: String, _ edit: (inout [String: Any]) -> Void) throws -> String {
        let r = try CLI.run(["host", "--format", "json", "--name", name])
        var doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        doc["architecture"] = "x86_64"
        doc["page_size"] = 4096
        doc["criu"] = ["installed": true, "path": "/usr/sbin/criu", "version": "4.2", "plugins": [String]()]
        var cpu = doc["cpu"] as? [String: Any] ?? [:]
        cpu["xsave"] = ["features_mask": "0x2e7", "size": 2440, "size_max": 2440]
        doc["cpu"] = cpu
        doc["kernel_features"] = ["checkpoint_restore", "pid_namespace", "net_namespace", "ipc_namespace", "uts_namespace", "mount_namespace",
                                  "seccomp_filters", "overlayfs"].map { ["name": $0, "available": true, "evidence": "test"] }
        doc["cgroups"] = ["version": "hybrid", "v1_controllers": ["blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "memory", "name=systemd", "pids"],
                          "v2_mount": "/sys/fs/cgroup/unified", "v2_controllers": [String]()]
        doc["images"] = [["engine": "containers-storage", "id": "a00ccab1a1275a9e687c5bd48f81815fa388219b4c0742257e9d5595bd809dbc",
                          "digests": [String](), "names": ["localhost/bb:latest"], "store": "test"]]
        doc["unknown"] = [Any]()
        edit(&doc)
        let url = dir.appendingPathComponent(name + ".json")
        try JSONSerialization.data(withJSONObject: doc).write(to: url)
        return url.path
    }

    @Test func verdictTableForThreeNodes() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cli-nodes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = try Self.nodeFile(dir, "node-a") { _ in }
        let b = try Self.nodeFile(dir, "node-b") { $0["architecture"] = "aarch64"; $0["page_size"] = 65536 }
        let c = try Self.nodeFile(dir, "node-c") { $0["cgroups"] = ["version": "v2", "v1_controllers": [String](), "v2_mount": "/sys/fs/cgroup"]; $0["images"] = [Any]() }
        let checkpoint = CLI.fixture("podman/ck-basic.none.tar")
        let r = try CLI.run(["verify", checkpoint, "--target", a, "--target", b, "--target", c])
        #expect(r.status == 1, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("Nodes (3): 1 can restore, 2 cannot"))
        let header = try #require(lines.firstIndex { $0.hasPrefix("  NODE  ") })
        #expect(lines[header].split(separator: " ").map(String.init) == ["NODE", "VERDICT", "BLOCKING", "WARNINGS", "UNKNOWN", "WHY", "NOT"])
        func row(_ name: String) -> String { lines[(header + 1)...].first { $0.hasPrefix("  \(name) ") } ?? "" }
        #expect(row("node-a").contains("can restore") && row("node-a").contains("  0  "))
        #expect(row("node-b").contains("CANNOT") && row("node-b").contains("host.arch.mismatch: the checkpoint is x86_64, node-b is aarch64 (+1 more)"))
        #expect(row("node-c").contains("CANNOT") && row("node-c").contains("host.cgroup.version: cgroup.img records cgroup v1 hierarchies"))
        // Per node: the blocking findings with their hints.
        #expect(r.stdout.contains("node-b (\(b)): cannot restore\n"))
        #expect(r.stdout.contains("    host.page-size.mismatch\n        the checkpoint uses 4096-byte pages, node-b's kernel 65536-byte pages\n"))
        #expect(r.stdout.contains("    host.image.missing  config.dump\n        the container image localhost/bb:latest, id a00ccab1a127 (config.dump) is not among the 0 images node-c holds\n"))

        let j = try CLI.run(["verify", "--format", "json", checkpoint, "--target", a, "--target", b, "--target", c])
        #expect(j.status == 1)
        let json = try JSON.parse(j.stdout)
        #expect(try Self.schema("verify").validate(json) == [])
        guard case .array(let targets)? = json["targets"] else { Issue.record("no targets"); return }
        #expect(targets.map { $0["name"] } == [.string("node-a"), .string("node-b"), .string("node-c")])
        #expect(targets.map { $0["can_restore"] } == [.bool(true), .bool(false), .bool(false)])
        #expect(targets.map { $0["file"] } == [.string(a), .string(b), .string(c)])
        func blocking(_ t: JSON) -> [JSON] {
            guard case .array(let list)? = t["blocking"] else { return [] }
            return list.compactMap { $0["id"] }
        }
        #expect(blocking(targets[1]) == [.string("host.arch.mismatch"), .string("host.page-size.mismatch")])
        #expect(blocking(targets[2]) == [.string("host.cgroup.version"), .string("host.image.missing")])

        // One node that fits: exit 0.
        let ok = try CLI.run(["verify", checkpoint, "--target", a])
        #expect(ok.status == 0, "\(ok.stdout)")
        #expect(ok.stdout.contains("Nodes (1): 1 can restore, 0 cannot"))
    }

    @Test func badNodeFileIsAUsageError() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cli-nodes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = try Self.nodeFile(dir, "bad") { $0["cpu"] = ["family": "26"] }
        let r = try CLI.run(["verify", CLI.fixture("raw/marker-static"), "--target", bad])
        #expect(r.status == 2)
        #expect(r.stderr == "ckpt-inspect: \(bad): cpu.family: expected a non-negative integer, found a string\n")
        #expect(r.stdout.isEmpty)
        let missing = try CLI.run(["verify", CLI.fixture("raw/marker-static"), "--target", dir.appendingPathComponent("none.json").path])
        #expect(missing.status == 2 && missing.stderr.hasSuffix("none.json: no such file\n"))
    }

    /// A damaged checkpoint restores nowhere, whatever the node.
    @Test func damagedCheckpointRestoresNowhere() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cli-nodes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let copy = dir.appendingPathComponent("marker-static")
        try FileManager.default.copyItem(atPath: CLI.fixture("raw/marker-static"), toPath: copy.path)
        let pages = copy.appendingPathComponent("pages-1.img")
        try Data(contentsOf: pages).dropLast(4096).write(to: pages)
        let node = try Self.nodeFile(dir, "node-a") { _ in }
        let r = try CLI.run(["verify", copy.path, "--target", node])
        #expect(r.status == 1)
        #expect(r.stdout.contains("  node-a  CANNOT (checkpoint damaged)         0 "))
        #expect(r.stdout.contains("the checkpoint has 1 structural error (above)"))
    }

    /// `--host` is the local case of the same checks: the ports of ck-basic's own network namespace are not compared (issue 18).
    @Test func hostPortsOfAContainerAreNotCompared() throws {
        let r = try CLI.run(["verify", "--host", "--format", "json", CLI.fixture("podman/ck-basic.none.tar")])
        let json = try JSON.parse(r.stdout)
        #expect(try Self.schema("verify").validate(json) == [])
        #expect(json["host"]?["busy_ports"] == .array([]))
        guard case .array(let findings)? = json["findings"] else { Issue.record("no findings"); return }
        #expect(findings.contains { $0["id"] == .string("host.port.not-compared") })
        #expect(!findings.contains { $0["id"] == .string("host.port.in-use") })
    }
}
