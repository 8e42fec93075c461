import Foundation
import Testing

/// `ckpt-inspect encode`: the JSON of `decode` (and of crit) back to the images, byte for byte.
@Suite struct EncodeCommandTests {
    static func temporaryDirectory(_ label: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("encode-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    static func sh(_ script: String, _ args: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", script] + args
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(script)")
    }

    /// Every directory of fixture images: Fixtures/raw's, the Podman archives' (extracted), containerd's CRIU tar.
    static func imageDirectories(under base: URL) throws -> [String] {
        var dirs: [String] = []
        let raw = CLI.fixture("raw")
        for case let rel as String in FileManager.default.enumerator(atPath: raw)! where !rel.split(separator: "/").contains("parent") {
            let full = (raw as NSString).appendingPathComponent(rel)
            if FileManager.default.fileExists(atPath: (full as NSString).appendingPathComponent("inventory.img")) { dirs.append(full) }
        }
        for archive in ["ck-basic.none.tar", "ck-basic.gzip.tar.gz", "ck-basic.zstd.tar.zst", "ck-vol.none.tar", "nfx-ck.none.tar"] {
            let target = base.appendingPathComponent(archive)
            try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
            try sh("tar -xf \"$0\" -C \"$1\"", [CLI.fixture("podman/" + archive), target.path])
            dirs += [target.path, target.appendingPathComponent("checkpoint").path]
        }
        let containerd = base.appendingPathComponent("containerd")
        try FileManager.default.createDirectory(at: containerd, withIntermediateDirectories: true)
        try sh("tar -xOf \"$0\" blobs/sha256/906368401433c9a1f5f16f36cede54ccbc13d51d60edf564e9bf36f0128a4eac | tar -xf - -C \"$1\"",
               [CLI.fixture("containerd/nfx-ck.checkpoint-image.oci.tar"), containerd.path])
        return dirs.sorted() + [containerd.path]
    }

    static func isImage(_ name: String) -> Bool {
        name.hasSuffix(".img") || name == "stats-dump" || name == "stats-restore" || name == "irmap-cache"
    }

    /// `decode --dir D | encode --dir OUT --raw-from D`, then every image of D is compared with its copy.
    @Test func everyFixtureImageSurvivesDecodeAndEncode() throws {
        let base = try Self.temporaryDirectory("fixtures")
        defer { try? FileManager.default.removeItem(at: base) }
        var compared = 0, raw = 0
        for (i, dir) in try Self.imageDirectories(under: base).enumerated() {
            let decoded = try CLI.run(["decode", "--dir", dir])
            #expect(decoded.status == 0, "\(dir): \(decoded.stderr)")
            let out = base.appendingPathComponent("out-\(i)").path
            let encoded = try CLI.run(["encode", "--dir", out, "--raw-from", dir], stdin: Data(decoded.stdout.utf8))
            #expect(encoded.status == 0, "\(dir): \(encoded.stderr)")
            #expect(encoded.stderr.isEmpty)
            let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter(Self.isImage).sorted()
            #expect(try FileManager.default.contentsOfDirectory(atPath: out).sorted() == names, "\(dir)")
            for name in names {
                let original = try Data(contentsOf: URL(fileURLWithPath: (dir as NSString).appendingPathComponent(name)))
                let copy = try Data(contentsOf: URL(fileURLWithPath: (out as NSString).appendingPathComponent(name)))
                #expect(copy == original, "\(dir)/\(name)")
                compared += 1
                if name.hasPrefix("pages-") || name.hasPrefix("tmpfs-") { raw += 1 }
            }
        }
        print("encode --dir: \(compared) fixture images written back byte-identical (\(compared - raw) encoded from JSON, \(raw) RAW copied)")
        #expect(compared - raw == 353)
    }

    /// The pipe of the issue, image by image, in each rendering: one image of every kind the fixtures hold.
    @Test func decodePipedToEncodeGivesTheImage() throws {
        let dir = try Self.temporaryDirectory("pipe")
        defer { try? FileManager.default.removeItem(at: dir) }
        let images = ["raw/fds-sockets/files.img", "raw/fds-sockets/core-23431.img", "raw/fds-sockets/ghost-file-1.img",
                      "raw/fds-sockets/tcp-stream-b6fa.img", "raw/fds-sockets/pipes-data.img", "raw/fds-sockets/sk-queues.img",
                      "raw/fds-sockets/pagemap-shmem-161.img", "raw/fds-sockets/stats-dump", "raw/fds-sockets/inventory.img",
                      "raw/forensic/mm-7059.img", "raw/incremental/pre1/irmap-cache"].filter { FileManager.default.fileExists(atPath: CLI.fixture($0)) }
        #expect(images.count >= 10)
        for (i, image) in images.enumerated() {
            for (j, flags) in [[], ["--raw"], ["--crit-compatible"]].enumerated() {
                let decoded = try CLI.run(["decode"] + flags + [CLI.fixture(image)])
                #expect(decoded.status == 0)
                let target = dir.appendingPathComponent("\(i)-\(j)").path
                let encodeFlags = flags == ["--crit-compatible"] ? flags : []
                let encoded = try CLI.run(["encode", "-o", target] + encodeFlags, stdin: Data(decoded.stdout.utf8))
                #expect(encoded.status == 0, "\(image) \(flags): \(encoded.stderr)")
                #expect(encoded.stdout.hasPrefix("wrote \(target): "))
                #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == Data(contentsOf: URL(fileURLWithPath: CLI.fixture(image))), "\(image) \(flags)")
                let mode = try FileManager.default.attributesOfItem(atPath: target)[.posixPermissions] as? Int
                #expect(mode == 0o600)
            }
        }
    }

    @Test func crit_sOwnJSON() throws {
        let dir = try Self.temporaryDirectory("crit")
        defer { try? FileManager.default.removeItem(at: dir) }
        let target = dir.appendingPathComponent("core.img").path
        let result = try CLI.run(["encode", "--crit-compatible", CLI.fixture("crit-json/fds-sockets/core-23431.img.json"), "-o", target])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "wrote \(target): CORE, 1 entry, 1830 bytes\n")
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == Data(contentsOf: URL(fileURLWithPath: CLI.fixture("raw/fds-sockets/core-23431.img"))))
    }

    @Test func errorsAndSafeOutput() throws {
        let dir = try Self.temporaryDirectory("errors")
        defer { try? FileManager.default.removeItem(at: dir) }
        let target = dir.appendingPathComponent("x.img").path
        let pagemap = #"{"magic": "PAGEMAP", "entries": [{"pages_id": 1}]}"#
        func run(_ args: [String], _ stdin: String) throws -> CLI.Result { try CLI.run(["encode"] + args, stdin: Data(stdin.utf8)) }

        let usage = try run([], pagemap)
        #expect(usage.status == 2)
        #expect(usage.stderr == "ckpt-inspect: encode: give either -o IMAGE or --dir DIR\n")

        let ok = try run(["-o", target], pagemap)
        #expect(ok.status == 0)
        #expect(ok.stdout == "wrote \(target): PAGEMAP, 1 entry, 14 bytes\n")
        let again = try run(["-o", target], pagemap)
        #expect(again.status == 2)
        #expect(again.stderr == "ckpt-inspect: \(target): exists (use --force to overwrite)\n")
        #expect(try run(["-o", target, "--force"], pagemap).status == 0)

        let cases: [(String, Int32, String)] = [
            ("{\"magic\": ", 1, "ckpt-inspect: <stdin>: at byte 10: invalid JSON: the text ends where a value is expected\n"),
            (#"{"magic": "PAGEMAP", "entries": [{"pages_id": 1}, {"vaddr": "0x1000", "compat_nr_pages": "many"}]}"#, 1,
             "ckpt-inspect: <stdin>: PAGEMAP entry 1: compat_nr_pages: invalid value: pagemap_entry.compat_nr_pages expects a number or 0x... text, found \"many\"\n"),
            (#"{"magic": "PIPES_DATA", "entries": [{"pipe_id": 1, "bytes": 19, "extra": "... <19B>"}]}"#, 1,
             "ckpt-inspect: <stdin>: PIPES_DATA entry 0: extra: invalid extra payload: the payload was replaced by its size (decode --no-payload): the image cannot be rebuilt\n"),
            (#"{"pstree.img": {"magic": "PSTREE", "entries": []}}"#, 2, "ckpt-inspect: <stdin>: this is `decode --dir` output (an object of images by name): use --dir\n"),
        ]
        for (json, status, stderr) in cases {
            let other = dir.appendingPathComponent("other.img").path
            let result = try run(["-o", other], json)
            #expect(result.status == status, "\(json)")
            #expect(result.stderr == stderr, "\(json)")
            #expect(!FileManager.default.fileExists(atPath: other), "nothing is written when encoding fails")
        }

        // --dir: a name that is not one path component is refused, and then nothing is written.
        let out = dir.appendingPathComponent("out").path
        let hostile = try run(["--dir", out], #"{"pstree.img": {"magic": "PSTREE", "entries": []}, "../escape.img": {"magic": "PSTREE", "entries": []}}"#)
        #expect(hostile.status == 1)
        #expect(hostile.stderr == "ckpt-inspect: <stdin>: ../escape.img: not a file name (one path component, not . or ..)\n")
        #expect(!FileManager.default.fileExists(atPath: out))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("escape.img").path))
        // RAW images are named with their size only: without --raw-from they are left out, and said so.
        let rawDir = try run(["--dir", out], #"{"pages-1.img": {"magic": "PAGES", "raw": true, "size": 4096}, "pstree.img": {"magic": "PSTREE", "entries": []}}"#)
        #expect(rawDir.status == 0)
        #expect(rawDir.stdout == "wrote 1 image to \(out); 1 RAW image not written (pages-1.img): --raw-from DIR copies them\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out) == ["pstree.img"])
        // --raw-from checks the size the JSON gives.
        let wrongSize = try run(["--dir", dir.appendingPathComponent("out2").path, "--raw-from", CLI.fixture("raw/marker-static")], #"{"pages-1.img": {"magic": "PAGES", "raw": true, "size": 4096}}"#)
        #expect(wrongSize.status == 1)
        #expect(wrongSize.stderr == "ckpt-inspect: \(CLI.fixture("raw/marker-static")): pages-1.img: 147456 bytes, the JSON says 4096\n")
    }
}
