import Foundation
import Testing

/// Every command on containerd's own checkpoint image; values from Fixtures/notes/containerd-nfx-ck.txt.
@Suite struct ContainerdImageCommandTests {
    static let image = CLI.fixture("containerd/nfx-ck.checkpoint-image.oci.tar")

    @Test func showNamesTheBaseImageAndRuntime() throws {
        let r = try CLI.run(["show", Self.image])
        #expect(r.status == 0, "\(r.stderr)")
        let row = try #require(r.stdout.split(separator: "\n").dropFirst().first)
        #expect(row.contains("localhost/nfxbb:latest") && row.contains("io.containerd.runc.v2") && row.contains("containerd"))
        let json = try JSON.parse(try CLI.run(["show", "--format", "json", Self.image]).stdout)
        guard case .array(let rows)? = json["checkpoints"] else { Issue.record("not an array"); return }
        #expect(rows.first?["engine"] == .string("containerd"))
        #expect(rows.first?["processes"] == .integer(4))
        #expect(rows.first?["rootfs_diff_size"] == .integer(133))
    }

    @Test func inspectShowsTheImageFacts() throws {
        let text = try CLI.run(["inspect", Self.image])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("containerd checkpoint image: checkpoint/nfx-ck:c1"))
        #expect(text.stdout.contains("Base image: localhost/nfxbb:latest (manifest sha256:de8447c4bf4c00e9dc41cdc2f9ce59745beb1e13ffe7143f05bf565389f69eb3, layers included)"))
        #expect(text.stdout.contains("Checkpoint options: left running, file locks"))
        #expect(text.stdout.contains("Process tree (4 processes, 4 threads)"))
        let result = try CLI.run(["inspect", "--all", "--format", "json", Self.image])
        let json = try JSON.parse(result.stdout)
        let schema = try JSONSchema(file: CLI.projectRoot.appendingPathComponent("Schemas/inspect.schema.json").path)
        #expect(schema.validate(json) == [])
        let c = try #require(json["containerd"])
        #expect(c["base_image"] == .string("localhost/nfxbb:latest"))
        #expect(c["snapshotter"] == .string("overlayfs"))
        #expect(c["checkpoint_options"]?["file_locks"] == .bool(true))
        #expect(c["checkpoint_options"]?["exit"] == .bool(false))
        guard case .array(let blobs)? = c["blobs"] else { Issue.record("no blobs"); return }
        #expect(blobs.count == 6)
        #expect(json["container"]?["args"] == .array([.string("/bin/sh"), .string("-c"), .string("/bin/inject & /bin/heapmark & while true; do sleep 1000; done")]))
        guard case .array(let diff)? = json["rootfs_diff"] else { Issue.record("no rootfs_diff"); return }
        #expect(diff.map { $0["path"] } == ["dev", "proc", "run", "sys"].map { JSON.string($0) })
    }

    @Test func psFilesMountsMaps() throws {
        let ps = try CLI.run(["ps", Self.image])
        #expect(ps.status == 0)
        #expect(ps.stdout.contains("sh          /bin/sh -c /bin/inject & /bin/heapmark & while true; do sleep 1000; done"))
        #expect(ps.stdout.contains("heapmark  /bin/heapmark"))
        let files = try CLI.run(["files", Self.image])
        #expect(files.stdout.contains("pipe:[81911]"))
        let mounts = try CLI.run(["mounts", "--format", "json", Self.image])
        guard case .array(let namespaces)? = try JSON.parse(mounts.stdout)["namespaces"], case .array(let list)? = namespaces.first?["mounts"] else {
            Issue.record("no mounts"); return
        }
        #expect(namespaces.first?["namespace"] == .integer(13))
        #expect(list.count == 16)
        let maps = try CLI.run(["maps", Self.image, "--pid", "7"])
        #expect(maps.stdout.contains("13370000-13372000") && maps.stdout.contains("rwxp"))
        #expect(maps.stdout.contains("13390000-13391000"))
    }

    @Test func memoryCommands() throws {
        let search = try CLI.run(["search", Self.image, "DEV-RWX-ELFCOPY-MARKER-7Q2"])
        #expect(search.status == 0)
        #expect(search.stdout.contains("pid 7 0x13371000 [anon 13370000-13372000]"))
        let utf16 = try CLI.run(["search", "--utf16", Self.image, "DEV-UTF16-MARKER-Z8R"])
        #expect(utf16.stdout.contains("pid 8 0x1f2b07d0"))
        let read = try CLI.run(["mem", "read", Self.image, "--pid", "7", "--address", "0x13390100", "--length", "22", "--raw"])
        #expect(read.stdout == "DEV-RX-CODE-MARKER-K9P")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pods-dump-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let dump = try CLI.run(["mem", "dump", Self.image, "--pid", "7", "--vma", "0x13370000", "-o", dir.path])
        #expect(dump.status == 0, "\(dump.stderr)")
        let written = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(written.count == 1)
        let bytes = try Data(contentsOf: dir.appendingPathComponent(written[0]))
        #expect(bytes.count == 0x2000)
        #expect(String(decoding: bytes[0x1000..<0x101a], as: UTF8.self) == "DEV-RWX-ELFCOPY-MARKER-7Q2")
        #expect(bytes.prefix(4) == Data([0x7f, 0x45, 0x4c, 0x46]), "the ELF header copy at +0")
    }

    @Test func verifyDiffReport() throws {
        let verify = try CLI.run(["verify", Self.image])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        let diff = try CLI.run(["diff", Self.image, Self.image])
        #expect(diff.status == 0, "\(diff.stdout)\(diff.stderr)")
        let html = FileManager.default.temporaryDirectory.appendingPathComponent("pods-report-\(UUID().uuidString).html")
        defer { try? FileManager.default.removeItem(at: html) }
        let report = try CLI.run(["report", Self.image, "-o", html.path])
        #expect(report.status == 0, "\(report.stderr)")
        let page = try String(contentsOf: html, encoding: .utf8)
        #expect(page.contains("heapmark") && page.contains("localhost/nfxbb:latest"))
    }
}
