import CheckpointArchive
import Checkpoint
import Foundation
import Testing

/// containerd's own checkpoint image (Fixtures/containerd/nfx-ck.checkpoint-image.oci.tar): every
/// expected value is from Fixtures/notes/containerd-nfx-ck.txt.
@Suite struct ContainerdImageTests {
    static let path = Fixture.path("containerd/nfx-ck.checkpoint-image.oci.tar")

    @Test func opensWithEveryPart() throws {
        let c = try Checkpoint.open(Self.path)
        // The process tree (CRIU pstree: 1, then 7, 8, 9 children of 1).
        #expect(c.processes.map(\.pid) == [1, 7, 8, 9])
        #expect(c.processes.map(\.command) == ["sh", "inject", "heapmark", "sleep"])
        #expect(c.processes.dropFirst().allSatisfy { $0.ppid == 1 })
        // The spec comes from the config blob's Any (type URL in the notes).
        #expect(c.engine.engine == .containerd)
        #expect(c.engine.processArgs == ["/bin/sh", "-c", "/bin/inject & /bin/heapmark & while true; do sleep 1000; done"])
        #expect(c.engine.specNamespaces.sorted() == ["ipc", "mount", "network", "pid", "uts"])
        let image = try #require(c.engine.containerdImage)
        #expect(image.specType == "types.containerd.io/opencontainers/runtime-spec/1/Spec")
        #expect(image.imageName == "checkpoint/nfx-ck:c1")
        #expect(image.referenceName == "c1")
        #expect(image.baseImage == "localhost/nfxbb:latest")
        #expect(c.engine.imageName == "localhost/nfxbb:latest")
        #expect(image.baseImageManifest == "sha256:de8447c4bf4c00e9dc41cdc2f9ce59745beb1e13ffe7143f05bf565389f69eb3")
        #expect(image.baseImageIncluded)
        #expect(image.runtime == "io.containerd.runc.v2")
        #expect(c.engine.runtime == "io.containerd.runc.v2")
        #expect(image.snapshotter == "overlayfs")
        #expect(image.runtimeOptionsType == "containerd.runc.v1.Options")
        // checkpoint.options: value 28 01 = field 5 file_locks true; exit false (left running).
        let options = try #require(image.checkpointOptions)
        #expect(options.fileLocks && !options.exit && !options.openTCP && !options.terminal)
        #expect(image.blobs.count == 6)
        #expect(image.blobs.map(\.mediaType).contains(ContainerdCheckpointImage.MediaType.criuTar))
        #expect(image.outerIndex.manifestCount == 1 && image.outerIndex.schemaVersion == 2 && !image.outerIndex.hasAnnotations)
        // The rw layer (133 B gzip): only dev/ proc/ run/ sys/.
        #expect(c.sizes.rootfsDiff == 133)
        #expect(c.rootfsDiff.map(\.path) == ["dev", "proc", "run", "sys"])
        #expect(c.rootfsDiff.allSatisfy { $0.type == "dir" })
        // descriptors.json of the CRIU tar; the images are read from that tar.
        #expect(c.descriptors == ["/dev/null", "pipe:[81911]", "pipe:[81912]"])
        #expect(c.sizes.total == 2_128_384)
        #expect(c.sizes.pages == 73_728 + 69_632 + 65_536 + 65_536)
        #expect(c.imageLayout != nil)
        #expect(c.warnings.isEmpty, "\(c.warnings)")
    }

    static func text(_ c: Checkpoint, pid: UInt32, _ address: UInt64, _ length: UInt64) throws -> String {
        let segments = try c.readMemory(pid: pid, address: address, length: length)
        return String(decoding: segments.flatMap { $0.bytes ?? [] }, as: UTF8.self)
    }

    @Test func memoryReadsFromTheCRIUTar() throws {
        let c = try Checkpoint.open(Self.path)
        // pid 7 pages-2.img @0x8000 vaddr 0x13371000 DEV-RWX-ELFCOPY-MARKER-7Q2; @0x9100 0x13390100 DEV-RX-CODE-MARKER-K9P.
        #expect(try Self.text(c, pid: 7, 0x1337_1000, 26) == "DEV-RWX-ELFCOPY-MARKER-7Q2")
        let hits = try MemorySearch(pattern: .bytes(Array("DEV-PAGESPAN-MARKER-0123456789".utf8))).run(in: c)
        #expect(hits.map(\.address) == [0x1f2b_1ff1])
        #expect(hits.map(\.owner) == [.process(8)])
    }

    @Test func compressedAndExtractedLayoutsOpenTheSame() throws {
        let dir = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let zst = dir.appendingPathComponent("image.oci.tar.zst").path
        try Fixture.run("/usr/bin/zstd", ["-q", "-3", Self.path, "-o", zst])
        let layout = dir.appendingPathComponent("layout")
        try FileManager.default.createDirectory(at: layout, withIntermediateDirectories: true)
        try Fixture.run("/usr/bin/tar", ["-xf", Self.path, "-C", layout.path])
        let reference = try Checkpoint.open(Self.path)
        for path in [zst, layout.path] {
            let c = try Checkpoint.open(path)
            #expect(c.processes.map(\.pid) == reference.processes.map(\.pid), "\(path)")
            #expect(c.engine.containerdImage?.checkpointOptions == reference.engine.containerdImage?.checkpointOptions)
            #expect(c.rootfsDiff == reference.rootfsDiff, "\(path)")
            #expect(try Self.text(c, pid: 7, 0x1339_0100, 22) == "DEV-RX-CODE-MARKER-K9P", "\(path)")
        }
    }
}
