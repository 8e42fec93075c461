import CheckpointAnalysis
import CRIUImages
import Foundation
import Testing

/// Node files that differ from this machine's in one way each: exactly the expected finding fires, and
/// only for the checkpoint that needs what the node lacks (real fixtures: their own cores, dump.log,
/// cgroup.img, inventory, mountpoints, files and spec.dump; copies edited where a fixture has none of a thing).
@Suite struct NodeCheckTests {
    /// This machine's facts, adjusted so that every fixture fits: the baseline each variant changes one way.
    static let fitting: NodeFacts = {
        var n = NodeFacts.capture(options: .init(runPrograms: false))
        n.hostname = "node"
        n.architecture = "x86_64"
        n.pageSize = 4096
        n.kernelRelease = "6.18.44-fc-v782"
        n.criu = .init(installed: true, path: "/usr/sbin/criu", version: "4.2", pluginDirectory: "/usr/lib/criu",
                       plugins: ["amdgpu_plugin.so", "cuda_plugin.so"])
        var cpu = n.cpu ?? NodeFacts.CPU()
        cpu.vendor = "AuthenticAMD"
        cpu.capabilityWords = cpu.capabilityWords ?? [UInt32](repeating: 0xffff_ffff, count: 19)
        cpu.xfeaturesMask = 0x2e7  // x87, SSE, AVX, AVX-512, PKRU: all the fixtures' dumping CPU offered, and more
        cpu.xsaveSize = 2440
        cpu.xsaveSizeMax = 2440
        n.cpu = cpu
        n.kernelFeatures = HostCheck.Feature.allCases.map { .init(name: $0.key, available: true, evidence: "test") }
        n.cgroups = .init(version: "hybrid", v1Controllers: ["blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "memory", "name=systemd", "pids"],
                          v2Mount: "/sys/fs/cgroup/unified", v2Controllers: [])
        n.lsm = .init(active: ["capability"], criuType: "none", apparmorEnabled: false, selinuxEnabled: false)
        n.images = [.init(engine: "containers-storage", id: "a00ccab1a1275a9e687c5bd48f81815fa388219b4c0742257e9d5595bd809dbc",
                          digests: [], names: ["localhost/bb:latest"], store: "test")]
        n.engines = []
        n.ports = []
        n.gpus = []
        n.unknown = []
        return n
    }()

    /// Verifies `path` against the baseline and every variant in one walk; returns, per variant, the
    /// findings it has that the baseline has not (id and severity) and the ones it lost.
    static func deltas(_ path: String, _ variants: [(String, @Sendable (inout NodeFacts) -> Void)], baselineRestores: Bool = true) throws
        -> [String: (added: [String], lost: [String], verdict: NodeVerdict)] {
        var environments = [HostEnvironment(node: fitting, name: "node")]
        for (_, change) in variants {
            var node = fitting
            change(&node)
            environments.append(HostEnvironment(node: node, name: "node"))
        }
        let report = try Verifier.verify(path, options: .init(targets: environments))
        let base = report.targets[0]
        #expect(base.blocking.isEmpty == baselineRestores, "baseline: \(base.blocking.map(\.message))")
        func keys(_ v: NodeVerdict) -> [String] { v.report.findings.map { "\($0.id) \($0.severity.rawValue): \($0.message)" } }
        let baseKeys = Set(keys(base))
        var out: [String: (added: [String], lost: [String], verdict: NodeVerdict)] = [:]
        for (i, (name, _)) in variants.enumerated() {
            let v = report.targets[i + 1]
            let k = keys(v)
            let added = k.filter { !baseKeys.contains($0) }.map { String($0.prefix { $0 != ":" }) }.sorted()
            let lost = baseKeys.filter { !Set(k).contains($0) }.map { String($0.prefix { $0 != ":" }) }.sorted()
            out[name] = (added, lost, v)
        }
        return out
    }

    static func expectOnly(_ d: [String: (added: [String], lost: [String], verdict: NodeVerdict)], _ name: String, _ expected: [String],
                           sourceLocation: SourceLocation = #_sourceLocation) {
        guard let r = d[name] else { Issue.record("no variant \(name)", sourceLocation: sourceLocation); return }
        #expect(r.added == expected.sorted(), "\(name): \(r.verdict.report.findings.map(\.message))", sourceLocation: sourceLocation)
        #expect(r.lost == [], "\(name)", sourceLocation: sourceLocation)
    }

    // MARK: Variants shared by the fixtures

    static let variants: [(String, @Sendable (inout NodeFacts) -> Void)] = [
        ("arm", { $0.architecture = "aarch64" }),
        ("64k pages", { $0.pageSize = 65536 }),
        ("criu 4.1", { $0.criu?.version = "4.1" }),
        ("no criu", { $0.criu = .init(installed: false) }),
        ("no pkru", { $0.cpu?.xfeaturesMask = 0xe7 }),
        ("no avx", { $0.cpu?.xfeaturesMask = 0x203 }),
        ("bigger xsave", { $0.cpu?.xsaveSize = 2696 }),
        ("intel", { $0.cpu?.vendor = "GenuineIntel" }),
        ("no pid ns", { n in n.kernelFeatures = n.kernelFeatures.map { .init(name: $0.name, available: $0.name == "pid_namespace" ? false : true, evidence: "test") } }),
        ("no tcp repair", { n in n.kernelFeatures = n.kernelFeatures.map { .init(name: $0.name, available: $0.name != "tcp_repair", evidence: "test") } }),
        ("no overlayfs", { n in n.kernelFeatures = n.kernelFeatures.map { .init(name: $0.name, available: $0.name != "overlayfs", evidence: "test") } }),
        ("no memfd", { n in n.kernelFeatures = n.kernelFeatures.map { .init(name: $0.name, available: $0.name != "memfd", evidence: "memfd_create: ENOSYS") } }),
        ("features unknown", { n in n.kernelFeatures = []; n.kernelRelease = nil }),
        ("cgroup v2", { $0.cgroups = .init(version: "v2", v2Mount: "/sys/fs/cgroup", v2Controllers: ["cpu", "memory", "pids"]) }),
        ("no pids", { $0.cgroups?.v1Controllers.removeAll { $0 == "pids" } }),
        ("no image", { $0.images = [] }),
        ("images unknown", { $0.images = nil; $0.markUnknown("images", "/var/lib/containers/storage: permission denied (needs root)") }),
        ("port 8080 busy", { $0.ports = [.init(protocolName: "tcp", address: "0.0.0.0", port: 8080)] }),
        ("port 47001 busy", { $0.ports = [.init(protocolName: "tcp", address: "0.0.0.0", port: 47001)] }),
        ("port 47001 elsewhere", { $0.ports = [.init(protocolName: "tcp", address: "10.1.2.3", port: 47001)] }),
    ]

    /// A Podman container (own pid, net, ipc, uts and mount namespaces; overlay root; v1+v2 cgroups; a
    /// locally built image; httpd on 127.0.0.1:8080 in its own network namespace; no dump.log in the archive).
    @Test func podmanContainer() throws {
        let d = try Self.deltas(VerifyFixture.path("podman/ck-basic.none.tar"), Self.variants)
        Self.expectOnly(d, "arm", ["host.arch.mismatch error"])
        Self.expectOnly(d, "64k pages", ["host.page-size.mismatch error"])
        Self.expectOnly(d, "criu 4.1", ["host.criu.older error"])
        Self.expectOnly(d, "no criu", ["host.criu.missing warning"])
        // Its threads saved PKRU state (xstate_bv 0x202); nothing records that the dumping CPU had AVX.
        Self.expectOnly(d, "no pkru", ["host.cpu.xsave warning"])
        Self.expectOnly(d, "no avx", [])
        Self.expectOnly(d, "bigger xsave", [])
        Self.expectOnly(d, "intel", [])
        Self.expectOnly(d, "no pid ns", ["host.feature.missing error"])
        Self.expectOnly(d, "no tcp repair", [])
        Self.expectOnly(d, "no overlayfs", ["host.feature.missing error"])
        Self.expectOnly(d, "no memfd", [])
        Self.expectOnly(d, "cgroup v2", ["host.cgroup.version error"])
        Self.expectOnly(d, "no pids", ["host.cgroup.controller error"])
        Self.expectOnly(d, "no image", ["host.image.missing error"])
        Self.expectOnly(d, "images unknown", ["host.unknown info"])
        // 8080 belongs to the container's own network namespace.
        Self.expectOnly(d, "port 8080 busy", [])
        Self.expectOnly(d, "port 47001 busy", [])

        let pid = try #require(d["no pid ns"]?.verdict.blocking.first)
        #expect(pid.message.contains("PID namespaces (ids-1.img: pid_ns_id 9, CRIU's own 1)"))
        let overlay = try #require(d["no overlayfs"]?.verdict.blocking.first)
        #expect(overlay.message.contains("mountpoints-13.img entry 28: / is an overlay mount"))
        let cgroup = try #require(d["cgroup v2"]?.verdict.blocking.first)
        #expect(cgroup.message.contains("(blkio, cpu, cpuacct, cpuset, devices, freezer, memory, name=systemd, pids)"))
        #expect(d["no pids"]?.verdict.blocking.first?.message.contains("v1 controller pids, not mounted") == true)
        let image = try #require(d["no image"]?.verdict.blocking.first)
        #expect(image.message.contains("localhost/bb:latest, id a00ccab1a127"))
        #expect(d["images unknown"]?.verdict.unknowns.contains { $0.message.contains("permission denied (needs root)") } == true)
        let xsave = try #require(d["no pkru"]?.verdict.warnings.first)
        #expect(xsave.message.contains("4 threads saved PKRU state") && xsave.image == "checkpoint/core-1.img")
        #expect(d["criu 4.1"]?.verdict.blocking.first?.image == "checkpoint/pagemap-1.img")
        // The same node, with the fixture's port busy in its own namespace: compared no more (issue 18).
        let busy = try #require(d["port 8080 busy"]?.verdict)
        #expect(busy.report.busyPorts.isEmpty && busy.canRestore)
        #expect(busy.report.findings.contains { $0.id == "host.port.not-compared" && $0.message.hasPrefix("tcp/8080 belongs to the checkpoint's own network namespace") })
    }

    /// A bare CRIU dump of one process in CRIU's own namespaces, with established TCP, a listener on
    /// 127.0.0.1:47001 and dump.log (the dumping CPU offered AVX and PKRU, a 2440-byte XSAVE area).
    @Test func rawProcessWithSockets() throws {
        let d = try Self.deltas(VerifyFixture.path("raw/fds-sockets"), Self.variants)
        Self.expectOnly(d, "arm", ["host.arch.mismatch error"])
        Self.expectOnly(d, "criu 4.1", ["host.criu.older error"])
        Self.expectOnly(d, "no pkru", ["host.cpu.xsave warning"])
        // dump.log says the dumping CPU offered AVX: programs may use it.
        Self.expectOnly(d, "no avx", ["host.cpu.xsave error"])
        Self.expectOnly(d, "bigger xsave", ["host.cpu.xsave-size warning"])
        Self.expectOnly(d, "intel", ["host.cpu warning"])
        Self.expectOnly(d, "no pid ns", [])
        Self.expectOnly(d, "no tcp repair", ["host.feature.missing error"])
        Self.expectOnly(d, "no overlayfs", [])
        Self.expectOnly(d, "no memfd", ["host.feature.missing error"])
        Self.expectOnly(d, "cgroup v2", [])
        Self.expectOnly(d, "no image", [])
        Self.expectOnly(d, "port 8080 busy", [])
        Self.expectOnly(d, "port 47001 busy", ["host.port.in-use error"])
        Self.expectOnly(d, "port 47001 elsewhere", [])
        let port = try #require(d["port 47001 busy"]?.verdict)
        #expect(port.report.busyPorts == [47001])
        #expect(port.blocking.first?.message.hasPrefix("tcp port 47001 on 127.0.0.1 (file id 20) is already in use on node (0.0.0.0:47001)") == true)
        let avx = try #require(d["no avx"]?.verdict.blocking.first)
        #expect(avx.message.hasPrefix("node's CPU lacks AVX (XSAVE features 0x203): 1 thread saved PKRU state (xstate_bv); the dumping CPU offered AVX, PKRU (dump.log: xfeatures_mask 0x205)"))
        #expect(d["bigger xsave"]?.verdict.warnings.first?.message.contains("2696 bytes, larger than the dumping CPU's 2440") == true)
        #expect(d["no tcp repair"]?.verdict.blocking.first?.message.contains("TCP repair (files.img entry") == true)
        #expect(d["no memfd"]?.verdict.blocking.first?.message == "the checkpoint needs memfd (memfd.img: 2 memfds), which node lacks: memfd_create: ENOSYS")
        // Nothing recorded about the kernel: every needed feature is unknown, none passes or fails.
        let unknown = try #require(d["features unknown"]?.verdict)
        #expect(unknown.blocking.isEmpty)
        #expect(unknown.unknowns.filter { $0.message.contains("(needed") }.count == unknown.report.requiredFeatures.count)
        #expect(unknown.report.requiredFeatures == ["checkpoint/restore support", "TCP repair", "memfd"])
        // Files are reopened by path; a node file does not record them.
        let base = try #require(d["intel"]?.verdict)
        #expect(base.report.findings.contains { $0.id == "host.file.not-compared" && $0.message.hasPrefix("8 files are reopened by path") })
        #expect(base.unknowns.contains { $0.message.contains("the checkpoint has no cpuinfo.img") })
    }

    /// A static process with no namespaces, no sockets, no cgroup.img: only the machine-wide checks apply.
    @Test func rawStaticProcess() throws {
        let d = try Self.deltas(VerifyFixture.path("raw/marker-static"), Self.variants)
        Self.expectOnly(d, "64k pages", ["host.page-size.mismatch error"])
        Self.expectOnly(d, "no avx", ["host.cpu.xsave error"])
        for name in ["no pid ns", "no tcp repair", "no overlayfs", "cgroup v2", "no pids", "no image", "images unknown", "port 47001 busy"] {
            Self.expectOnly(d, name, [])
        }
    }

    // MARK: Copies with what the fixtures lack

    /// cpuinfo.img as `criu dump --cpu-cap` writes it, for this CPU (field numbers of CRIU-FORMAT.md's cpuinfo_x86_entry).
    static func cpuinfoImage(words: [UInt32], mask: UInt64, size: UInt32) -> [UInt8] {
        var x86 = Proto([])
        x86.fields = [(1, .varint(2)), (2, .varint(26)), (3, .varint(2)), (4, .varint(1)), (5, .varint(2))]
        x86.fields += words.map { (6, .varint(UInt64($0))) }
        x86.fields += [(7, .bytes(Array("AMD EPYC".utf8))), (8, .varint(mask)), (9, .varint(UInt64(size))), (10, .varint(UInt64(size)))]
        var entry = Proto([])
        entry.fields = [(1, .bytes(x86.serialized))]
        let message = entry.serialized
        var out: [UInt8] = [0x19, 0x43, 0x56, 0x54, 0x13, 0x40, 0x40, 0x61]
        withUnsafeBytes(of: UInt32(message.count).littleEndian) { out += $0 }
        return out + message
    }

    @Test func cpuinfoImageRules() throws {
        let words = try #require(Self.fitting.cpu?.capabilityWords)
        let copy = try VerifyFixture.copy("raw/marker-static")
        defer { VerifyFixture.remove(copy) }
        try VerifyFixture.write(Self.cpuinfoImage(words: words, mask: 0x2e7, size: 2440), copy.appendingPathComponent("cpuinfo.img"))
        func clearing(_ name: String) -> @Sendable (inout NodeFacts) -> Void {
            { n in
                let f = (CPUFeatures.instructionFeatures + CPUFeatures.fpuFeatures).first { $0.name == name }!
                n.cpu?.capabilityWords?[f.word] &= ~(1 << UInt32(f.bit))
            }
        }
        let present = CPUFeatures.instructionFeatures.filter { CPUFeatures.has($0, in: words) }.map(\.name)
        var variants: [(String, @Sendable (inout NodeFacts) -> Void)] = [
            ("no xsaves", clearing("xsaves")),
            ("smaller xsave", { $0.cpu?.xsaveSize = 2432 }),
            ("no pkru", { $0.cpu?.xfeaturesMask = 0xe7 }),
            ("v1 words", { $0.cpu?.capabilityWords = nil; $0.markUnknown("cpu.capability_words", "not an x86 machine") }),
        ]
        // The instruction-set features this CPU has: taking any one away fires the `ins` rule.
        for name in ["sse4_2", "avx2", "avx512f", "sha_ni"] where present.contains(name) { variants.append((name, clearing(name))) }
        let d = try Self.deltas(copy.path, variants)
        // cpuinfo.img replaces the unknown of "no cpuinfo.img" in every verdict.
        #expect(d["no pkru"]?.verdict.unknowns.contains { $0.message.contains("no cpuinfo.img") } == false)
        let xsaves = words.count > 10 && words[10] & (1 << 3) != 0
        Self.expectOnly(d, "no xsaves", xsaves ? ["host.cpu.fpu error"] : [])
        if xsaves { #expect(d["no xsaves"]?.verdict.blocking.first?.message == "cpuinfo.img's CPU has xsaves, which node's CPU lacks") }
        Self.expectOnly(d, "smaller xsave", ["host.cpu.xsave-size error"])
        Self.expectOnly(d, "no pkru", ["host.cpu.xsave warning"])
        Self.expectOnly(d, "v1 words", ["host.unknown info"])
        for name in ["sse4_2", "avx2", "avx512f", "sha_ni"] where present.contains(name) {
            Self.expectOnly(d, name, ["host.cpu.instructions error"])
            #expect(d[name]?.verdict.blocking.first?.message.hasSuffix("1 instruction-set feature node's CPU lacks: \(name)") == true)
        }
    }

    @Test func pluginsAndGPUs() throws {
        let copy = try VerifyFixture.copy("raw/marker-static")
        defer { VerifyFixture.remove(copy) }
        var inventory = try ImageEdit(copy.appendingPathComponent("inventory.img"))
        inventory.edit(0) { p in
            var plugins = Proto([])
            plugins.fields = [(12, .bytes(Array("amdgpu_plugin".utf8)))]
            p.fields.removeAll { $0.number == 12 }
            p.fields.append((12, .bytes(plugins.serialized)))
        }
        try inventory.write()
        let d = try Self.deltas(copy.path, [
            ("gpu", { $0.gpus = [.init(vendor: "amd", device: "/dev/kfd", driver: "amdgpu")] }),
            ("gpu, no plugin", { $0.gpus = [.init(vendor: "amd", device: "/dev/kfd", driver: "amdgpu")]; $0.criu?.plugins = [] }),
            ("nvidia only", { $0.gpus = [.init(vendor: "nvidia", device: "/dev/nvidia0", driver: "nvidia")] }),
            ("gpus unknown", { $0.gpus = nil }),
        ], baselineRestores: false)
        // The baseline has no GPU: it is the one that cannot restore.
        let report = try Verifier.verify(copy.path, options: .init(targets: [HostEnvironment(node: Self.fitting, name: "node")]))
        #expect(report.targets[0].blocking.map(\.id) == ["host.plugin.device"])
        #expect(report.targets[0].blocking.first?.message == "the checkpoint was dumped with CRIU's amdgpu_plugin (inventory.img plugins), and node has no AMD GPU (/dev/kfd)")
        #expect(d["gpu"]?.lost == ["host.plugin.device error"] && d["gpu"]?.added == [])
        #expect(d["gpu, no plugin"]?.added == ["host.plugin.missing error"])
        #expect(d["nvidia only"]?.added == [] && d["nvidia only"]?.lost == [])
        #expect(d["gpus unknown"]?.added == ["host.unknown info"])
    }

    /// The dump ran under AppArmor and the task carries a profile (inventory lsmtype and creds.lsm_profile
    /// set in a copy); a spec that names an AppArmor profile and an SELinux label (spec.dump edited).
    @Test func securityModules() throws {
        let copy = try VerifyFixture.copy("raw/marker-static")
        defer { VerifyFixture.remove(copy) }
        var inventory = try ImageEdit(copy.appendingPathComponent("inventory.img"))
        inventory.edit(0) { $0.set(6, 2) }  // APPARMOR
        try inventory.write()
        var core = try ImageEdit(copy.appendingPathComponent("core-28716.img"))
        core.edit(0) { c in
            c.edit(5) { t in t.edit(10) { creds in creds.fields.append((15, .bytes(Array("ckpt-test (enforce)".utf8)))) } }
        }
        try core.write()
        let d = try Self.deltas(copy.path, [
            ("selinux node", { $0.lsm = .init(criuType: "selinux", apparmorEnabled: false, selinuxEnabled: true) }),
            ("profile not loaded", { $0.lsm = .init(criuType: "apparmor", apparmorEnabled: true, apparmorProfiles: ["docker-default"]) }),
            ("profiles unknown", { $0.lsm = .init(criuType: "apparmor", apparmorEnabled: true) }),
            ("profile loaded", { $0.lsm = .init(criuType: "apparmor", apparmorEnabled: true, apparmorProfiles: ["ckpt-test", "docker-default"]) }),
        ], baselineRestores: false)
        // The baseline (no LSM) cannot restore labels dumped under AppArmor.
        #expect(d["profile loaded"]?.lost == ["host.lsm.type error"] && d["profile loaded"]?.added == [])
        #expect(d["selinux node"]?.verdict.blocking.map(\.id) == ["host.lsm.type"])
        #expect(d["selinux node"]?.verdict.blocking.first?.message.contains("dumped under apparmor and its tasks carry labels (ckpt-test, core-28716.img creds.lsm_profile)") == true)
        #expect(d["profile not loaded"]?.verdict.blocking.map(\.id) == ["host.lsm.profile"])
        #expect(d["profiles unknown"]?.verdict.canRestore == true && d["profiles unknown"]?.verdict.unknowns.contains { $0.message.contains("AppArmor profile ckpt-test") } == true)

        // The Podman archive, its spec.dump naming a profile and a label.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-nodes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try VerifyFixture.run("/bin/tar", ["-xf", VerifyFixture.path("podman/ck-basic.none.tar"), "-C", dir.path])
        let specURL = dir.appendingPathComponent("spec.dump")
        var spec = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: specURL)) as? [String: Any])
        var process = try #require(spec["process"] as? [String: Any])
        process["apparmorProfile"] = "containers-default-0.50.1"
        process["selinuxLabel"] = "system_u:system_r:container_t:s0:c1,c2"
        spec["process"] = process
        try JSONSerialization.data(withJSONObject: spec).write(to: specURL)
        let p = try Self.deltas(dir.path, [
            ("apparmor without the profile", { $0.lsm = .init(criuType: "apparmor", apparmorEnabled: true, apparmorProfiles: ["docker-default"], selinuxEnabled: false) }),
            ("apparmor with it", { $0.lsm = .init(criuType: "apparmor", apparmorEnabled: true, apparmorProfiles: ["containers-default-0.50.1"], selinuxEnabled: false) }),
            ("selinux", { $0.lsm = .init(criuType: "selinux", apparmorEnabled: false, selinuxEnabled: true, selinuxEnforcing: true, selinuxPolicy: "targeted") }),
        ], baselineRestores: false)
        let pb = try Verifier.verify(dir.path, options: .init(targets: [HostEnvironment(node: Self.fitting, name: "node")])).targets[0]
        #expect(Set(pb.blocking.map(\.id)) == ["host.lsm.profile", "host.lsm.label"])
        #expect(pb.blocking.contains { $0.message == "AppArmor profile containers-default-0.50.1 (spec.dump process.apparmorProfile) is needed, and AppArmor is not enabled on node" })
        #expect(p["apparmor without the profile"]?.verdict.blocking.map(\.id).sorted() == ["host.lsm.label", "host.lsm.profile"])
        #expect(p["apparmor with it"]?.verdict.blocking.map(\.id) == ["host.lsm.label"])
        #expect(p["selinux"]?.verdict.blocking.map(\.id) == ["host.lsm.profile"])
        #expect(p["selinux"]?.verdict.unknowns.contains { $0.message.contains("(targeted) defines system_u:system_r:container_t:s0:c1,c2") } == true)
    }

    /// External resources the dump names, from the images themselves (crit's JSON of mountpoints-13.img
    /// lists 15 ext_key mounts; files.img two pipes whose read ends are conmon's).
    @Test func externalResources() throws {
        let report = try Verifier.verify(VerifyFixture.path("podman/ck-basic.none.tar"), options: .init(targets: [HostEnvironment(node: Self.fitting, name: "node")]))
        let v = report.targets[0]
        let mounts = try #require(v.infos.first { $0.id == "host.external.mount" })
        #expect(mounts.message.hasPrefix("15 external mounts must be given to the restore on node (--external mnt[KEY]:PATH): /proc/timer_list (ext_key /dev/null); /proc/keys (ext_key /dev/null)"))
        let fds = try #require(v.infos.first { $0.id == "host.external.fd" })
        #expect(fds.message.hasSuffix("pipe:[68034] (only its write end is in the dump: file id 3); pipe:[68035] (only its write end is in the dump: file id 4)"))
        let raw = try Verifier.verify(VerifyFixture.path("raw/marker-static"), options: .init(targets: [HostEnvironment(node: Self.fitting, name: "node")]))
        #expect(!raw.targets[0].report.findings.contains { $0.id.hasPrefix("host.external") })
    }
}
