import Foundation
import Testing

/// An OCI image layout (and an oci-archive of it) built from a fixture archive, as
/// `podman container checkpoint --create-image` + `podman save --format oci-archive` lay it out.
@Suite struct OCIImageTests {
    static func sha256(_ path: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        p.arguments = [path]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return String(out.prefix(64))
    }

    static func makeLayout(at dir: URL) throws {
        let fm = FileManager.default
        let blobs = dir.appendingPathComponent("blobs/sha256")
        try fm.createDirectory(at: blobs, withIntermediateDirectories: true)
        func addBlob(_ data: Data) throws -> (String, Int) {
            let tmp = dir.appendingPathComponent("tmp-blob")
            try data.write(to: tmp)
            let digest = try sha256(tmp.path)
            try fm.moveItem(at: tmp, to: blobs.appendingPathComponent(digest))
            return (digest, data.count)
        }
        let layer = try addBlob(Data(contentsOf: URL(fileURLWithPath: CLI.fixture("podman/ck-basic.none.tar"))))
        let config = try addBlob(Data("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:\(layer.0)\"]}}".utf8))
        let annotations = "{\"io.podman.annotations.checkpoint.name\":\"ck-basic\",\"org.criu.checkpoint.engine.name\":\"podman\",\"org.criu.checkpoint.criu.version\":\"40200\"}"
        let manifest = try addBlob(Data("""
        {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",\
        "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:\(config.0)","size":\(config.1)},\
        "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:\(layer.0)","size":\(layer.1)}],\
        "annotations":\(annotations)}
        """.utf8))
        try Data("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:\(manifest.0)\",\"size\":\(manifest.1)}]}".utf8)
            .write(to: dir.appendingPathComponent("index.json"))
        try Data("{\"imageLayoutVersion\":\"1.0.0\"}".utf8).write(to: dir.appendingPathComponent("oci-layout"))
    }

    /// inspect JSON without the keys that describe the source rather than the checkpoint.
    static func comparable(_ text: String) throws -> JSON {
        guard case .object(var o) = try JSON.parse(text) else { return .null }
        for key in ["path", "source", "oci"] { o.removeValue(forKey: key) }
        if case .object(var sizes)? = o["sizes"] { sizes.removeValue(forKey: "total"); o["sizes"] = .object(sizes) }
        return .object(o)
    }

    @Test func layoutAndArchiveOpenLikeTheArchive() throws {
        let fm = FileManager.default
        let root = fm.temporaryDirectory.appendingPathComponent("oci-\(UUID().uuidString)")
        defer { try? fm.removeItem(at: root) }
        let layout = root.appendingPathComponent("layout")
        try Self.makeLayout(at: layout)
        let ociArchive = root.appendingPathComponent("image.oci.tar").path
        _ = try Process.run(URL(fileURLWithPath: "/usr/bin/tar"), arguments: ["-cf", ociArchive, "-C", layout.path, "oci-layout", "index.json", "blobs"]).waitUntilExit()

        let reference = try CLI.run(["inspect", "--all", "--format", "json", CLI.fixture("podman/ck-basic.none.tar")])
        let schema = try JSONSchema(file: CLI.projectRoot.appendingPathComponent("Schemas/inspect.schema.json").path)
        for path in [layout.path, ociArchive] {
            let result = try CLI.run(["inspect", "--all", "--format", "json", path])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(try Self.comparable(result.stdout) == (try Self.comparable(reference.stdout)), "\(path)")
            let json = try JSON.parse(result.stdout)
            #expect(json["oci"]?["annotations"]?["org.criu.checkpoint.criu.version"] == .string("40200"))
            #expect(schema.validate(json) == [])
        }
        let search = try CLI.run(["search", ociArchive, "CKPT-MARKER-PODMAN"])
        #expect(search.status == 0)
        #expect(search.stdout.contains("pid 7 0x10000012"))
    }
}
