@testable import Checkpoint
import CheckpointArchive
import CRIUImages
import Foundation
import Testing

/// The container's files at their container paths, read in place, against what the Podman
/// fixtures' containers wrote (notes/marker-hits.txt: `echo CONTAINER-WRITTEN-FILE-MARKER > /data/written.txt`)
/// and the listings of their nested tars.
@Suite struct ContainerFilesTests {
    static func content(_ c: Checkpoint, _ path: String) throws -> [UInt8]? {
        var out: [UInt8]?
        try c.streamContainerFiles({ $0.path == path && !$0.isShadowed }) { _, chunk in out = (out ?? []) + chunk }
        return out
    }

    @Test(arguments: ["podman/ck-basic.none.tar", "podman/ck-basic.gzip.tar.gz", "podman/ck-basic.zstd.tar.zst"])
    func rootfsDiffFilesAtTheirPaths(fixture: String) throws {
        let c = try Checkpoint.open(Fixture.path(fixture))
        let files = try c.containerFiles()
        let written = try #require(files.first { $0.path == "/data/written.txt" })
        #expect(written.layer == .rootfsDiff && written.layerMember == "rootfs-diff.tar" && written.kind == .file)
        #expect(written.size == 30 && written.mode == 0o644 && !written.isShadowed)
        #expect(try Self.content(c, "/data/written.txt") == Array("CONTAINER-WRITTEN-FILE-MARKER\n".utf8))
        // /tmp/m.pid holds the marker process's pid (7 in notes/marker-hits.txt: pagemap-7.img).
        #expect(try Self.content(c, "/tmp/m.pid") == Array("7\n".utf8))
        // The listing the loader made of the same nested tars agrees.
        #expect(files.filter { $0.layer == .rootfsDiff }.map(\.path) == c.rootfsDiff.map { "/" + $0.path })
    }

    /// tmpfs images are placed at the mount whose root_dev names them; /dev/shm's own tar covers
    /// the tmpfs's shm directory; a volume is at its destination from config.dump.
    @Test func tmpfsDevshmAndVolumeLayers() throws {
        let c = try Checkpoint.open(Fixture.path("podman/ck-vol.none.tar"))
        let files = try c.containerFiles()
        for (image, _) in c.tmpfs {
            let number = UInt32(image.dropFirst("tmpfs-dev-".count).dropLast(".tar.gz.img".count))!
            let mount = c.mounts.values.flatMap { $0 }.filter { $0.rootDevice == number }.map(\.mountPoint.description).min { $0.count < $1.count }
            #expect(files.first { $0.layer == .tmpfs(image) }?.mountPoint == mount, "\(image)")
        }
        let dev = try #require(files.first { $0.path == "/dev/null" })
        #expect(dev.kind == .other && dev.mountPoint == "/dev")
        let shm = files.filter { $0.path == "/dev/shm" }
        #expect(shm.count == 2)
        #expect(shm.first { $0.layer == .devshm }?.isShadowed == false)
        #expect(shm.first { $0.layer != .devshm }?.isShadowed == true)
        let volume = try #require(files.first { $0.path == "/vol/v.txt" })
        #expect(volume.layer == .volume("vol1") && volume.mountPoint == "/vol" && volume.size == 19)
        #expect(try Self.content(c, "/vol/v.txt") == Array("VOLUME-FILE-MARKER\n".utf8))
        #expect(try Self.content(c, "/data/changed.txt") == Array("ROOTFS-CHANGE\n".utf8))
        // Only the layers asked for are read.
        var seen = Set<String>()
        try c.streamContainerFiles(layers: [.volume("vol1")], { _ in true }) { f, _ in seen.insert(f.layer.description) }
        #expect(seen == ["volume vol1"])
    }

    /// A raw CRIU directory has no file layers.
    @Test func rawDirectoryHasNone() throws {
        #expect(try Checkpoint.open(Fixture.path("raw/fds-sockets")).containerFiles().isEmpty)
    }

    @Test func pathsJoinTheMountPoint() {
        #expect(Checkpoint.containerPath(Array("./m.pid".utf8), mountPoint: "/vol") == Array("/vol/m.pid".utf8))
        #expect(Checkpoint.containerPath(Array("./".utf8), mountPoint: "/vol") == Array("/vol".utf8))
        #expect(Checkpoint.containerPath(Array("data//x/./y".utf8), mountPoint: "/") == Array("/data/x/y".utf8))
        #expect(Checkpoint.containerPath(Array("a".utf8), mountPoint: nil) == Array("/a".utf8))
    }
}

/// containerd's checkpoint image: the rw layer is a blob of the OCI layout (notes/containerd-nfx-ck.txt:
/// `c6215b00...` layer.v1.tar+gzip, "only dirs dev/ proc/ run/ sys/").
@Suite struct ContainerdFilesTests {
    @Test func rwLayerIsTheRootfsDiff() throws {
        let c = try Checkpoint.open(Fixture.path("containerd/nfx-ck.checkpoint-image.oci.tar"))
        let diff = try c.containerFiles().filter { $0.layer == .rootfsDiff }
        #expect(diff.map(\.path).sorted() == ["/dev", "/proc", "/run", "/sys"])
        #expect(diff.allSatisfy { $0.kind == .directory && $0.layerMember.hasPrefix("blobs/sha256/c6215b00") })
        // /dev and /run are tmpfs mounts CRIU saved: the layer's directories there are covered.
        #expect(diff.filter(\.isShadowed).map(\.path).sorted() == ["/dev", "/run"])
    }
}
