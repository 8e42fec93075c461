import CheckpointArchive
import Checkpoint
import CRIUImages
import Foundation
import Testing

/// Pod checkpoints of every variant (Fixtures/pods, written by Scripts/make-pod-fixtures.py around
/// the real checkpoints of Fixtures/podman and Fixtures/containerd). The pod's facts are the
/// script's; the processes and markers are the checkpoints' own (Fixtures/notes).
@Suite struct PodCheckpointTests {
    static let sandboxID = "1add16e9e1aec93ac6fb02747bcd025a7db2180ada88e8d6fda2c01d53b1d931"
    static let webID = "cbb1ca0618920b2e6f822c1615e01149e02d40258aa3ac95274e4d1e58b26969"
    static let workerID = "874d90fabc16c5ea61fc4189c0756d2b1674f8e7629d1206bdbe0dd96d9ce08a"
    static let variants: [(String, PodCheckpoint.Variant)] = [
        ("pods/cri-o-manifest-v1", .crioManifest), ("pods/containerd-manifest-v2", .containerdManifest),
        ("pods/containerd-manifest-v1", .containerdManifestV1), ("pods/containerd-prototype", .prototype),
        ("pods/cri-o-pod-archive.tar", .crioPodArchive), ("pods/containerd-pod-archive.tar", .containerdPodArchive),
    ]

    static func check(_ pod: PodCheckpoint, _ variant: PodCheckpoint.Variant, _ label: String) throws {
        #expect(pod.variant == variant, "\(label)")
        #expect(pod.pod.name == "store" && pod.pod.namespace == "default", "\(label)")
        #expect(pod.pod.uid == "7b3c1e52-6f0a-4d2b-9c1e-2a4f5b6c7d8e", "\(label)")
        #expect(pod.pod.sandboxID == Self.sandboxID, "\(label)")
        #expect(pod.pod.runtime == variant.runtime, "\(label)")
        #expect(pod.containers.map(\.name) == ["web", "worker"], "\(label)")
        if variant != .prototype { #expect(pod.containers.map(\.id) == [Self.webID, Self.workerID], "\(label)") }
        let web = try #require(pod.container(named: "web")?.checkpoint, "\(label): \(pod.warnings)")
        // Fixtures/podman/ck-basic: sh, marker (CKPT-MARKER-PODMAN), httpd, sleep.
        #expect(web.processes.map(\.pid) == [1, 7, 8, 9], "\(label)")
        #expect(web.processes.map(\.command) == ["sh", "marker", "httpd", "sleep"], "\(label)")
        let worker = try #require(pod.container(named: "worker")?.checkpoint, "\(label)")
        #expect(worker.processes.map(\.command) == ["sh", "inject", "heapmark", "sleep"], "\(label)")
        // The Podman archive's pids (notes/podman-nfx-ck.txt) in CRI-O's variants, the containerd image's
        // (notes/containerd-nfx-ck.txt) in containerd's.
        #expect(worker.processes.map(\.pid) == (variant.runtime == "cri-o" ? [1, 6, 7, 8] : [1, 7, 8, 9]), "\(label)")
        let hits = try MemorySearch(pattern: .bytes(Array("DEV-RWX-ELFCOPY-MARKER-7Q2".utf8))).run(in: worker)
        #expect(hits.map(\.address) == [0x1337_1000], "\(label)")
        let marker = try MemorySearch(pattern: .bytes(Array("CKPT-MARKER-PODMAN".utf8))).run(in: web)
        #expect(!marker.isEmpty, "\(label)")
        #expect(pod.warnings.isEmpty, "\(label): \(pod.warnings)")
    }

    @Test(arguments: variants.map(\.0))
    func everyVariantOpens(_ fixture: String) throws {
        let variant = Self.variants.first { $0.0 == fixture }!.1
        try Self.check(try PodCheckpoint.open(Fixture.path(fixture)), variant, fixture)
    }

    @Test func podConfigAndCRIConfigs() throws {
        let a = try PodCheckpoint.open(Fixture.path("pods/cri-o-manifest-v1"))
        let config = try #require(a.pod.config)
        #expect(config.hostname == "store")
        #expect(config.dnsServers == ["10.96.0.10"] && config.dnsOptions == ["ndots:5"])
        #expect(config.dnsSearches == ["default.svc.cluster.local", "svc.cluster.local", "cluster.local"])
        #expect(config.portMappings == [CRIPortMapping(proto: "TCP", containerPort: 8080, hostPort: 30080, hostIP: "")])
        #expect(config.labels["app"] == "store")
        #expect(config.securityContext?.pidNamespace == "CONTAINER" && config.securityContext?.networkNamespace == "POD")
        #expect(config.sysctls == ["net.ipv4.ip_unprivileged_port_start": "0"])
        #expect(a.pod.runtimeHandler == "runc" && a.pod.formatVersion == 1)
        let web = try #require(a.container(named: "web"))
        #expect(web.location == "containers/0f5f644edcef7ec657bd7aa0a8b54ab02d618b0c6a61c541d667f2bc65c8e7ea.tar")
        // The manifest's sha256 is the archive's (the archive is Fixtures/podman/ck-basic.none.tar).
        #expect(web.recordedSHA256 == "c3737decfd89e52b3644fe1dc7cfa0dd8d4f713f5f03e0c238364d438b1c7e4a")
        let cri = try #require(web.config)
        #expect(cri.image == "localhost/bb:latest")
        #expect(cri.command == ["/bin/sh"] && cri.args.first == "-c")
        #expect(cri.environment.map(\.key) == ["PATH", "POD_NAME", "ROLE"])
        #expect(cri.environment[1] == CRIKeyValue(key: "POD_NAME", value: "store", encoding: .plain))
        #expect(cri.mounts.map(\.containerPath) == ["/etc/hosts", "/dev/termination-log"])
        #expect(cri.resources?.memoryLimit == 134_217_728 && cri.resources?.cpuQuota == 50000 && cri.resources?.cpuShares == 512)
        #expect(cri.labels["io.kubernetes.container.name"] == "web")
        // B: the same values, env written as base64 (cri-api's bytes), and the CRI status.
        let b = try PodCheckpoint.open(Fixture.path("pods/containerd-manifest-v2"))
        let worker = try #require(b.container(named: "worker"))
        #expect(worker.config?.environment[2] == CRIKeyValue(key: "ROLE", value: "worker", encoding: .base64))
        #expect(worker.status?.state == "CONTAINER_RUNNING")
        #expect(worker.status?.imageRef == "sha256:7f401a4a5064d4445fe457c8be96e27f16e0cf78787fd3e28ae70cb8484b04c4")
        #expect(worker.status?.createdAt == 1_796_209_106_980_000_000)
        // The worker's archive is containerd's checkpoint image: its real blobs (notes/containerd-nfx-ck.txt).
        let image = try #require(worker.checkpoint?.engine.containerdImage)
        #expect(image.baseImage == "localhost/nfxbb:latest" && image.checkpointOptions?.fileLocks == true)
        #expect(worker.checkpoint?.rootfsDiff.map(\.path) == ["dev", "proc", "run", "sys"])
        // D: pod.dump is the sandbox config; the containers are named from containerd's full names.
        let d = try PodCheckpoint.open(Fixture.path("pods/containerd-pod-archive.tar"))
        #expect(d.pod.config?.hostname == "store")
        #expect(d.containers.map(\.fullName) == ["web_store_default_7b3c1e52-6f0a-4d2b-9c1e-2a4f5b6c7d8e_0", "worker_store_default_7b3c1e52-6f0a-4d2b-9c1e-2a4f5b6c7d8e_0"])
        #expect(d.pod.annotations["org.criu.checkpoint.engine.name"] == "containerd")
        #expect(d.container(named: "worker")?.checkpoint?.engine.engine == .containerd)
        #expect(d.container(named: "worker")?.status?.name == "worker")
        // containerd's CRI archive: rootfs-diff.tar is gzip despite its name.
        #expect(d.container(named: "web")?.checkpoint?.rootfsDiff.isEmpty == false)
        // C: keys are the short names, the directories carry CRI-O's full names.
        let c = try PodCheckpoint.open(Fixture.path("pods/cri-o-pod-archive.tar"))
        #expect(c.containers.map(\.fullName) == ["k8s_web_store_default_7b3c1e52-6f0a-4d2b-9c1e-2a4f5b6c7d8e_0", "k8s_worker_store_default_7b3c1e52-6f0a-4d2b-9c1e-2a4f5b6c7d8e_0"])
        #expect(c.pod.annotations["org.criu.checkpoint.cgroup.version"] == "v?")
    }

    @Test func tarsOfPodDirectoriesAndDirectoriesOfPodTars() throws {
        let dir = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // A directory packed with its own name as the first component, compressed (zstd) and not.
        let name = "checkpoint-store_default-2026-12-02T11:00:00Z"
        try FileManager.default.copyItem(atPath: Fixture.path("pods/cri-o-manifest-v1"), toPath: dir.appendingPathComponent(name).path)
        let plain = dir.appendingPathComponent("a.tar").path
        try Fixture.run("/usr/bin/tar", ["-cf", plain, "-C", dir.path, name])
        let zst = dir.appendingPathComponent("a.tar.zst").path
        try Fixture.run("/usr/bin/zstd", ["-q", "-1", plain, "-o", zst])
        // B's files at the top of a gzip tar.
        let gz = dir.appendingPathComponent("b.tgz").path
        try Fixture.run("/usr/bin/tar", ["-czf", gz, "-C", Fixture.path("pods/containerd-manifest-v2"), "."])
        // D extracted to a directory.
        let extracted = dir.appendingPathComponent("d")
        try FileManager.default.createDirectory(at: extracted, withIntermediateDirectories: true)
        try Fixture.run("/usr/bin/tar", ["-xf", Fixture.path("pods/containerd-pod-archive.tar"), "-C", extracted.path])
        for (path, variant) in [(plain, PodCheckpoint.Variant.crioManifest), (zst, .crioManifest), (gz, .containerdManifest), (extracted.path, .containerdPodArchive)] {
            let pod = try PodCheckpoint.open(path)
            try Self.check(pod, variant, path)
            if path == plain || path == zst { #expect(pod.root == name) }
        }
    }

    @Test func aBigArchiveInACompressedPodTarIsRefusedClearly() throws {
        let dir = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let zst = dir.appendingPathComponent("a.tar.zst").path
        try Fixture.run("/usr/bin/tar", ["--zstd", "-cf", zst, "-C", Fixture.path("pods/cri-o-manifest-v1"), "."])
        var options = PodCheckpoint.Options()
        options.checkpoint.source.inMemoryLimit = 64 << 10
        let pod = try PodCheckpoint.open(zst, options: options)
        let error = try #require(pod.container(named: "web")?.error)
        #expect(error.code == .archive)
        #expect(error.message.contains("498176-byte archive inside a zstd-compressed archive is larger than the 65536-byte in-memory limit"))
        #expect(error.message.contains("decompress the outer archive first"))
        #expect(pod.warnings.contains { $0.contains("container web") })
    }

    /// A copy of a fixture directory with its manifest edited.
    static func editedCopy(_ fixture: String, file: String = "checkpoint-manifest.json", _ edit: (String) -> String) throws -> URL {
        let dir = try Fixture.temporaryDirectory().appendingPathComponent("pod")
        try FileManager.default.copyItem(atPath: Fixture.path(fixture), toPath: dir.path)
        let url = dir.appendingPathComponent(file)
        try edit(try String(contentsOf: url, encoding: .utf8)).write(to: url, atomically: false, encoding: .utf8)
        return dir
    }

    static func openError(_ url: URL) -> CheckpointError? {
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        do {
            _ = try PodCheckpoint.open(url.path)
            return nil
        } catch {
            return error
        }
    }

    @Test func unknownVariantsAreRefusedNamingWhatWasFound() throws {
        let v3 = Self.openError(try Self.editedCopy("pods/containerd-manifest-v2") { $0.replacingOccurrences(of: "{\"version\":2,", with: "{\"version\":3,") })
        #expect(v3?.code == .notACheckpoint)
        #expect(v3?.message.hasPrefix("unknown pod checkpoint manifest: version 3, runtime none, keys version, sandboxId, containers") == true)
        let runtime = Self.openError(try Self.editedCopy("pods/cri-o-manifest-v1") { $0.replacingOccurrences(of: "\"runtime\":\"cri-o\"", with: "\"runtime\":\"gvisor\"") })
        #expect(runtime?.message.contains("version 1, runtime \"gvisor\"") == true)
        let options = Self.openError(try Self.editedCopyOfTar("pods/cri-o-pod-archive.tar", "pod.options") { $0.replacingOccurrences(of: "\"version\": 1", with: "\"version\": 7") })
        #expect(options?.message == "unknown pod.options version 7 (read: version 1, CRI-O's and containerd's pod tars)")
        do {
            _ = try PodCheckpoint.open(Fixture.path("podman/ck-basic.none.tar"))
            Issue.record("a container archive opened as a pod")
        } catch {
            #expect(error.code == .notACheckpoint)
            #expect(error.message == "not a pod checkpoint: no checkpoint-manifest.json or pod.options at its top")
        }
        let garbage = Self.openError(try Self.editedCopy("pods/containerd-manifest-v1") { String($0.dropLast(5)) })
        #expect(garbage?.code == .malformed)
        #expect(garbage?.file == "checkpoint-manifest.json" && garbage?.offset != nil)
    }

    /// A pod tar extracted into a directory with one file edited (the tar's members are otherwise the same).
    static func editedCopyOfTar(_ fixture: String, _ file: String, _ edit: (String) -> String) throws -> URL {
        let dir = try Fixture.temporaryDirectory().appendingPathComponent("pod")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Fixture.run("/usr/bin/tar", ["-xf", Fixture.path(fixture), "-C", dir.path])
        let url = dir.appendingPathComponent(file)
        try edit(try String(contentsOf: url, encoding: .utf8)).write(to: url, atomically: false, encoding: .utf8)
        return dir
    }

    @Test func hardLimits() throws {
        // 1,025 containers.
        let many = Self.openError(try Self.editedCopy("pods/containerd-prototype") { _ in
            "{\"sandboxId\":\"x\",\"containers\":[" + (0..<1025).map { "\"c\($0)\"" }.joined(separator: ",") + "]}"
        })
        #expect(many?.code == .limitExceeded)
        #expect(many?.message == "1025 containers is over the limit of 1024")
        // A manifest over 16 MiB is refused before it is read.
        let big = try Self.editedCopy("pods/containerd-prototype") { $0 + String(repeating: " ", count: 16 << 20) }
        let error = Self.openError(big)
        #expect(error?.code == .limitExceeded)
        #expect(error?.message.hasSuffix("bytes is over the limit of 16777216 bytes") == true)
        // pod-config.json over 4 MiB.
        let config = Self.openError(try Self.editedCopy("pods/containerd-prototype", file: "pod-config.json") { $0 + String(repeating: " ", count: 4 << 20) })
        #expect(config?.file == "pod-config.json" && config?.code == .limitExceeded)
    }

    @Test func archivePathsOutsideThePodAreNotFollowed() throws {
        let url = try Self.editedCopy("pods/cri-o-manifest-v1") {
            $0.replacingOccurrences(of: "\"archive\":\"containers/0f5f644edcef7ec657bd7aa0a8b54ab02d618b0c6a61c541d667f2bc65c8e7ea.tar\"",
                                    with: "\"archive\":\"../../podman/ck-basic.none.tar\"")
        }
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let pod = try PodCheckpoint.open(url.path)
        #expect(pod.container(named: "web")?.checkpoint == nil)
        #expect(pod.container(named: "web")?.error?.message == "containers[0]: archive \"../../podman/ck-basic.none.tar\" is not a path inside the pod checkpoint")
        #expect(pod.container(named: "worker")?.checkpoint != nil, "the other container still opens")
    }

    @Test func environmentValueDecision() {
        typealias D = PodCheckpoint.Decisions
        #expect(D.environmentValue(key: "K", value: "c3RvcmU=", base64Values: true) == CRIKeyValue(key: "K", value: "store", encoding: .base64))
        #expect(D.environmentValue(key: "K", value: "c3RvcmU=", base64Values: false).encoding == .plain)
        #expect(D.environmentValue(key: "K", value: "store", base64Values: true) == CRIKeyValue(key: "K", value: "store", encoding: .plain))
        // Not canonical (non-zero padding bits), or not UTF-8, or a control character: kept as written.
        #expect(D.environmentValue(key: "K", value: "c3RvcmV=", base64Values: true).encoding == .plain)
        #expect(D.environmentValue(key: "K", value: "/w==", base64Values: true).encoding == .plain)
        #expect(D.environmentValue(key: "K", value: "AQ==", base64Values: true).encoding == .plain)
        #expect(D.environmentValue(key: "K", value: "", base64Values: true) == CRIKeyValue(key: "K", value: "", encoding: .plain))
    }

    @Test func variantDecisions() {
        typealias D = PodCheckpoint.Decisions
        #expect(D.manifestVariant(version: 1, runtime: "cri-o", hasRuntimeKey: true, containersAreNames: false) == .crioManifest)
        #expect(D.manifestVariant(version: 2, runtime: "cri-o", hasRuntimeKey: true, containersAreNames: false) == nil)
        #expect(D.manifestVariant(version: 1, runtime: nil, hasRuntimeKey: false, containersAreNames: false) == .containerdManifestV1)
        #expect(D.manifestVariant(version: 2, runtime: nil, hasRuntimeKey: false, containersAreNames: false) == .containerdManifest)
        #expect(D.manifestVariant(version: nil, runtime: nil, hasRuntimeKey: false, containersAreNames: true) == .prototype)
        #expect(D.manifestVariant(version: nil, runtime: nil, hasRuntimeKey: false, containersAreNames: false) == nil)
        #expect(D.podOptionsVariant(version: 1, hasPodDump: false) == .crioPodArchive)
        #expect(D.podOptionsVariant(version: 1, hasPodDump: true) == .containerdPodArchive)
        #expect(D.podOptionsVariant(version: 2, hasPodDump: true) == nil)
        let c = D.podOptionsContainer(key: "web", directory: "abc123-k8s_web_p_ns_u_0", variant: .crioPodArchive)
        #expect(c.name == "web" && c.id == "abc123" && c.fullName == "k8s_web_p_ns_u_0")
        let d = D.podOptionsContainer(key: "web_p_ns_u_0", directory: "abc123-web_p_ns_u_0", variant: .containerdPodArchive)
        #expect(d.name == "web" && d.id == "abc123" && d.fullName == "web_p_ns_u_0")
    }
}
