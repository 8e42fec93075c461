import Foundation
import Testing

/// Every command on pod checkpoints of every variant (Fixtures/pods; Scripts/make-pod-fixtures.py):
/// the built binary, its output and exit code. The pod's facts are the script's; the processes
/// and markers are the real checkpoints' (Fixtures/notes).
@Suite struct PodCommandTests {
    static let variants = ["pods/cri-o-manifest-v1", "pods/containerd-manifest-v2", "pods/containerd-manifest-v1", "pods/containerd-prototype",
                           "pods/cri-o-pod-archive.tar", "pods/containerd-pod-archive.tar"]
    /// The fixtures are named by their variant.
    static func variantName(_ fixture: String) -> String {
        String(fixture.dropFirst("pods/".count)).replacingOccurrences(of: ".tar", with: "")
    }
    static func schema(_ name: String) throws -> JSONSchema {
        try JSONSchema(file: CLI.projectRoot.appendingPathComponent("Schemas/\(name).schema.json").path)
    }
    /// The worker's pids: the Podman archive's in CRI-O's variants, the containerd image's in containerd's.
    static func workerPIDs(_ fixture: String) -> [Int64] { fixture.contains("cri-o") ? [1, 6, 7, 8] : [1, 7, 8, 9] }

    static func lines(_ text: String) -> [Substring] { text.split(separator: "\n") }

    @Test(arguments: variants)
    func showAndInspect(_ fixture: String) throws {
        let path = CLI.fixture(fixture)
        let show = try CLI.run(["show", path])
        #expect(show.status == 0, "\(show.stderr)")
        let rows = Self.lines(show.stdout)
        // The POD column, then the path the user named (the same for both containers).
        let pathColumn = String(repeating: " ", count: max(0, path.count - 4))
        #expect(rows.first?.hasPrefix("POD            PATH" + pathColumn + "  CONTAINER  IMAGE") == true, "\(show.stdout)")
        #expect(rows.count == 3)
        #expect(rows[1].hasPrefix("default/store  \(path)  web        localhost/bb:latest     cbb1ca061892"))
        #expect(rows[2].hasPrefix("default/store  \(path)  worker     localhost/nfxbb:latest"))
        let showJSON = try JSON.parse(try CLI.run(["show", "--format", "json", path]).stdout)
        #expect(try Self.schema("show").validate(showJSON) == [])
        guard case .array(let items)? = showJSON["checkpoints"] else { Issue.record("not an array"); return }
        #expect(items.map { $0["pod"]?["container"] } == [.string("web"), .string("worker")])
        #expect(items.first?["pod"]?["variant"] == .string(Self.variantName(fixture)))

        let inspect = try CLI.run(["inspect", path])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        #expect(inspect.stdout.hasPrefix("Pod store (namespace default)\n├── UID: 7b3c1e52-6f0a-4d2b-9c1e-2a4f5b6c7d8e\n├── Sandbox: 1add16e9e1aec93ac6fb02747bcd025a7db2180ada88e8d6fda2c01d53b1d931"))
        // CRI-O's pod tar (C) keeps no sandbox config; pod.options has the pod's identity.
        let hasConfig = !fixture.hasSuffix("cri-o-pod-archive.tar")
        #expect(inspect.stdout.contains("Hostname: store") == hasConfig)
        #expect(inspect.stdout.contains("Containers (2 of 2)"))
        #expect(inspect.stdout.contains("Container web") && inspect.stdout.contains("Container worker"))
        #expect(inspect.stdout.contains("[7]  marker") && inspect.stdout.contains("[8]  httpd"))
        let json = try JSON.parse(try CLI.run(["inspect", "--all", "--format", "json", path]).stdout)
        #expect(try Self.schema("inspect-pod").validate(json) == [])
        #expect(json["pod"]?["variant"] == .string(Self.variantName(fixture)))
        #expect(json["config"]?["hostname"] == (hasConfig ? .string("store") : nil))
        #expect((json["config"] == .null) == !hasConfig)
        guard case .array(let containers)? = json["containers"] else { Issue.record("no containers"); return }
        #expect(containers.map { $0["name"] } == [.string("web"), .string("worker")])
        let inspectSchema = try Self.schema("inspect")
        for c in containers {
            let checkpoint = try #require(c["checkpoint"])
            #expect(inspectSchema.validate(checkpoint) == [], "\(fixture) \(String(describing: c["name"]))")
        }
        guard case .array(let workerProcesses)? = containers[1]["checkpoint"]?["processes"] else { Issue.record("no processes"); return }
        #expect(workerProcesses.map { $0["pid"] } == Self.workerPIDs(fixture).map { JSON.integer($0) })
    }

    @Test(arguments: variants)
    func perContainerCommands(_ fixture: String) throws {
        let path = CLI.fixture(fixture)
        let ps = try CLI.run(["ps", path])
        #expect(ps.status == 0, "\(ps.stderr)")
        #expect(Self.lines(ps.stdout).first == "CONTAINER  PID  PPID  PGID  SID  STATE  THR  COMM        CMDLINE")
        #expect(Self.lines(ps.stdout).count == 9)
        #expect(ps.stdout.contains("web          8     1     1    1  alive    1    httpd     httpd -f -p 127.0.0.1:8080 -h /www"))
        let sockets = try CLI.run(["sockets", path])
        #expect(sockets.stdout.contains("web          8   3  tcp   socket:") && sockets.stdout.contains("state=LISTEN local=127.0.0.1:8080"))
        let maps = try CLI.run(["maps", "--summary", path])
        #expect(Self.lines(maps.stdout).count == 9 && maps.stdout.hasPrefix("CONTAINER  PID  COMM"))
        let mounts = try CLI.run(["mounts", "--container", "worker", path])
        #expect(mounts.status == 0 && mounts.stdout.contains(" /proc  ") && mounts.stdout.contains("overlay"))
        #expect(Self.lines(mounts.stdout).dropFirst().allSatisfy { $0.hasPrefix("worker ") })
        let search = try CLI.run(["search", path, "DEV-RWX-ELFCOPY-MARKER-7Q2"])
        #expect(search.status == 0)
        #expect(search.stdout == "container worker: pid \(Self.workerPIDs(fixture)[1]) 0x13371000 [anon 13370000-13372000]  \"DEV-RWX-ELFCOPY-MARKER-7Q2\"\n")
        // The envelope, and each container's own document in its command's schema.
        for (command, schema, extra) in [("ps", "ps", [String]()), ("files", "files", []), ("sockets", "files", []), ("mounts", "mounts", []),
                                         ("maps", "maps", []), ("search", "search", ["CKPT-MARKER-PODMAN"])] {
            let result = try CLI.run([command, "--format", "json", path] + extra)
            #expect(result.status == 0, "\(command): \(result.stderr)")
            let json = try JSON.parse(result.stdout)
            #expect(try Self.schema("pod").validate(json) == [], "\(command)")
            #expect(json["command"] == .string(command))
            guard case .array(let containers)? = json["containers"] else { Issue.record("\(command): no containers"); continue }
            #expect(containers.map { $0["name"] } == [.string("web"), .string("worker")])
            for c in containers { #expect(try Self.schema(schema).validate(try #require(c["document"])) == [], "\(command) \(fixture)") }
        }
        let verify = try CLI.run(["verify", "--format", "json", path])
        #expect(verify.status == 0, "\(verify.stdout)")
        let report = try JSON.parse(verify.stdout)
        #expect(try Self.schema("verify-pod").validate(report) == [])
        #expect(report["clean"] == .bool(true))
        guard case .array(let reports)? = report["containers"] else { Issue.record("no reports"); return }
        for r in reports { #expect(try Self.schema("verify").validate(try #require(r["report"])) == []) }
    }

    @Test(arguments: variants)
    func memoryDiffAndReportOnEveryVariant(_ fixture: String) throws {
        let path = CLI.fixture(fixture)
        let inject = String(Self.workerPIDs(fixture)[1])
        // inject's RWX region holds its ELF header copy and the marker at +0x1000 (notes/*-nfx-ck.txt).
        let read = try CLI.run(["mem", "read", path, "--container", "worker", "--pid", inject, "--address", "0x13371000", "--length", "26", "--raw"])
        #expect(read.stdout == "DEV-RWX-ELFCOPY-MARKER-7Q2", "\(read.stderr)")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pods-dump-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let dump = try CLI.run(["mem", "dump", path, "--container", "worker", "--pid", inject, "--vma", "0x13370000", "-o", dir.path])
        #expect(dump.status == 0, "\(dump.stderr)")
        let region = try Data(contentsOf: dir.appendingPathComponent("worker/\(inject)-13370000-13372000.bin"))
        #expect(region.prefix(4) == Data([0x7f, 0x45, 0x4c, 0x46]))
        let diff = try CLI.run(["diff", "--only", "processes,memory", path, path])
        #expect(diff.status == 0, "\(diff.stdout)")
        #expect(diff.stdout.contains("containers: 0 added, 0 removed, 0 changed, 2 equal"))
        let html = dir.appendingPathExtension("html")
        defer { try? FileManager.default.removeItem(at: html) }
        let report = try CLI.run(["report", path, "-o", html.path])
        #expect(report.status == 0, "\(report.stderr)")
        let page = try String(contentsOf: html, encoding: .utf8)
        #expect(page.contains("<h1>Pod checkpoint report: default/store</h1>") && page.contains("Container worker"))
    }

    @Test func containerSelection() throws {
        let path = CLI.fixture("pods/containerd-pod-archive.tar")
        let ps = try CLI.run(["ps", "--container", "web", path])
        #expect(Self.lines(ps.stdout).count == 5 && !ps.stdout.contains("worker"))
        let nope = try CLI.run(["ps", "--container", "db", path])
        #expect(nope.status == 2)
        #expect(nope.stderr == "ckpt-inspect: --container db: no such container in \(path) (containers: web, worker)\n")
        let notPod = try CLI.run(["ps", "--container", "web", CLI.fixture("podman/ck-basic.none.tar")])
        #expect(notPod.status == 2 && notPod.stderr.contains("is not a pod checkpoint"))
        // A container checkpoint's output has no CONTAINER column.
        #expect(try CLI.run(["ps", CLI.fixture("podman/ck-basic.none.tar")]).stdout.hasPrefix("PID  PPID"))
    }

    @Test func memoryOfPodContainers() throws {
        let path = CLI.fixture("pods/cri-o-manifest-v1")
        // pid 7 is marker in web (FIXED-ADDR marker at 0x10000000) and heapmark in worker.
        let one = try CLI.run(["mem", "read", path, "--container", "web", "--pid", "7", "--address", "0x10000000", "--length", "17", "--raw"])
        #expect(one.stdout == "FIXED-ADDR-MARKER")
        let both = try CLI.run(["mem", "read", path, "--pid", "7", "--address", "0x10000000", "--length", "16"])
        #expect(both.stdout.hasPrefix("container web:\n0000000010000000  46 49 58 45 44 2d 41 44  44 52 2d 4d 41 52 4b 45  |FIXED-ADDR-MARKE|\ncontainer worker:\n"))
        let ambiguous = try CLI.run(["mem", "read", path, "--pid", "7", "--address", "0x10000000", "--raw"])
        #expect(ambiguous.status == 2 && ambiguous.stderr == "ckpt-inspect: --container: pid 7 is in web, worker; name the one to read\n")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pods-dump-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let dump = try CLI.run(["mem", "dump", path, "--pid", "6", "--vma", "0x13370000", "-o", dir.path])
        #expect(dump.status == 0, "\(dump.stderr)")
        // Only the worker has pid 6 (inject, notes/podman-nfx-ck.txt): its directory alone.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["worker"])
        let region = try Data(contentsOf: dir.appendingPathComponent("worker/6-13370000-13372000.bin"))
        #expect(String(decoding: region[0x1000..<0x101a], as: UTF8.self) == "DEV-RWX-ELFCOPY-MARKER-7Q2")
    }

    @Test func diffPairsContainersByName() throws {
        // C and A hold the same Podman archives: equal.
        let same = try CLI.run(["diff", CLI.fixture("pods/cri-o-manifest-v1"), CLI.fixture("pods/cri-o-pod-archive.tar")])
        #expect(same.status == 0, "\(same.stdout)")
        #expect(same.stdout.contains("== containers ==\n= web\n= worker\ncontainers: 0 added, 0 removed, 0 changed, 2 equal\n"))
        // A pod with the worker removed and a copy named db: one removed, one added.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pods-diff-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.copyItem(atPath: CLI.fixture("pods/containerd-prototype"), toPath: dir.path)
        try FileManager.default.moveItem(at: dir.appendingPathComponent("container-worker.tar"), to: dir.appendingPathComponent("container-db.tar"))
        try "{\"sandboxId\":\"x\",\"containers\":[\"web\",\"db\"]}".write(to: dir.appendingPathComponent("checkpoint-manifest.json"), atomically: false, encoding: .utf8)
        let changed = try CLI.run(["diff", "--only", "processes", CLI.fixture("pods/containerd-prototype"), dir.path])
        #expect(changed.status == 1)
        #expect(changed.stdout.contains("== containers ==\n- worker\n+ db\n= web\ncontainers: 1 added, 1 removed, 0 changed, 1 equal\n"))
        #expect(changed.stdout.hasSuffix("\npod checkpoints differ\n"))
        let json = try JSON.parse(try CLI.run(["diff", "--format", "json", "--only", "processes", CLI.fixture("pods/containerd-prototype"), dir.path]).stdout)
        #expect(try Self.schema("diff-pod").validate(json) == [])
        #expect(json["containers_added"] == .array([.string("db")]) && json["containers_removed"] == .array([.string("worker")]))
        guard case .array(let pairs)? = json["containers"] else { Issue.record("no pairs"); return }
        #expect(pairs.map { $0["name"] } == [.string("web")])
        #expect(try Self.schema("diff").validate(try #require(pairs.first?["diff"])) == [])
        // A pod's container against a container checkpoint.
        let one = try CLI.run(["diff", "--container", "web", CLI.fixture("pods/cri-o-manifest-v1"), CLI.fixture("podman/ck-basic.none.tar")])
        #expect(one.status == 0, "\(one.stdout)")
        let none = try CLI.run(["diff", CLI.fixture("pods/cri-o-manifest-v1"), CLI.fixture("podman/ck-basic.none.tar")])
        #expect(none.status == 2 && none.stderr.contains("--container: comparing the pod checkpoint"))
    }

    @Test func reportDrawsThePod() throws {
        let html = FileManager.default.temporaryDirectory.appendingPathComponent("pods-report-\(UUID().uuidString).html")
        defer { try? FileManager.default.removeItem(at: html) }
        let r = try CLI.run(["report", CLI.fixture("pods/containerd-manifest-v2"), "-o", html.path])
        #expect(r.status == 0, "\(r.stderr)")
        let page = try String(contentsOf: html, encoding: .utf8)
        #expect(page.contains("<h1>Pod checkpoint report: default/store</h1>"))
        #expect(page.contains("<h2 id=\"container-web\">Container web</h2>") && page.contains("<h2 id=\"container-worker\">Container worker</h2>"))
        #expect(page.contains("<tr><th>Ports</th><td>8080/TCP → host 30080</td></tr>"))
        #expect(page.contains("heapmark") && page.contains("httpd"))
        #expect(page.contains("No findings: the manifest, configs, archive names and layout"))
    }

    @Test func listFindsPodCheckpoints() throws {
        let r = try CLI.run(["list", CLI.fixture("pods")])
        #expect(r.status == 0)
        let rows = Self.lines(r.stdout)
        #expect(rows.first?.hasPrefix("PATH") == true && rows.first?.contains("  POD  ") == true)
        #expect(rows.count == 13)
        for variant in Self.variants {
            #expect(rows.filter { $0.hasPrefix(CLI.fixture(variant) + " ") }.count == 2, "\(variant)")
        }
        let json = try JSON.parse(try CLI.run(["list", "--format", "json", CLI.fixture("pods")]).stdout)
        #expect(try Self.schema("show").validate(json) == [])
    }

    @Test func compressedPodTars() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pods-zst-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let zst = dir.appendingPathComponent("pod.tar.zst").path
        _ = try Process.run(URL(fileURLWithPath: "/usr/bin/tar"), arguments: ["--zstd", "-cf", zst, "-C", CLI.fixture("pods/containerd-manifest-v2"), "."]).waitUntilExit()
        let ps = try CLI.run(["ps", zst])
        #expect(ps.status == 0 && Self.lines(ps.stdout).count == 9, "\(ps.stderr)")
        let search = try CLI.run(["search", zst, "DEV-PAGESPAN-MARKER-0123456789"])
        #expect(search.stdout == "container worker: pid 8 0x1f2b1ff1 [heap 1f2af000-1f2d1000]  \"DEV-PAGESPAN-MARKER-0123456789\"\n")
        let verify = try CLI.run(["verify", zst])
        #expect(verify.status == 0, "\(verify.stdout)")
    }
}
