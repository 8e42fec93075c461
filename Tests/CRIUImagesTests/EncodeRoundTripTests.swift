import TestSupport
import Foundation
import Testing
@testable import CRIUImages

/// The encoder against the fixtures: every protobuf image decodes to JSON that encodes back to the
/// same file, byte for byte, in every rendering; crit's own JSON encodes to the image it came from.
@Suite struct EncodeRoundTripTests {
    /// The CRIU images inside containerd's checkpoint image (its `criu.checkpoint.criu.tar` blob),
    /// extracted once per test process with /usr/bin/tar.
    static let containerdImages: [String] = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-inspect-encode-\(getpid())")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let blob = "blobs/sha256/906368401433c9a1f5f16f36cede54ccbc13d51d60edf564e9bf36f0128a4eac"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "tar -xOf \"$0\" \(blob) | tar -xf - -C \"$1\"", Fixtures.path("containerd/nfx-ck.checkpoint-image.oci.tar"), dir.path]
        try? p.run()
        p.waitUntilExit()
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { ($0.hasSuffix(".img") || $0 == "stats-dump") && ImageKind.raw(forFileName: $0) == nil }
            .sorted().map { dir.appendingPathComponent($0).path }
    }()

    /// Every protobuf image of the fixtures: Fixtures/raw, the Podman archives, containerd's image.
    static var allImages: [String] { Fixtures.allImages() + containerdImages }

    static let renderings: [(String, CritJSON.Options)] = [
        ("pretty", .init()),
        ("plain", .init(pretty: false)),
        ("crit-compatible", .init(critCompatible: true)),
    ]

    @Test func everyFixtureImageRoundTrips() throws {
        let images = Self.allImages
        #expect(Self.containerdImages.count == 33, "containerd's CRIU images: \(Self.containerdImages.count)")
        #expect(images.count == 353, "fixture set changed: \(images.count) protobuf images")
        var identical = 0, entries = 0, payloads = 0
        for path in images {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            let name = (path as NSString).lastPathComponent
            let image = try ImageFile.parse(bytes, fileName: name)
            entries += image.entries.count
            payloads += image.entries.filter { $0.extra != nil }.count
            var sameInEvery = true
            for (label, options) in Self.renderings {
                let renderer = CritJSON(options: options)
                let json = try renderer.render(bytes, fileName: name)
                let text = json.serialized(pretty: options.pretty)
                let parsed = try JSONValue(parsing: text)
                #expect(parsed == json, "\(path) [\(label)]: the JSON text does not parse back to its value")
                let encoded = try renderer.encodeImage(parsed)
                if encoded != bytes {
                    sameInEvery = false
                    Issue.record("\(path) [\(label)]: encode(decode(image)) differs from the image (\(encoded.count) vs \(bytes.count) bytes)")
                    continue
                }
                // decode(encode(json)) == json, on the text as a user would pipe it.
                #expect(try renderer.render(encoded, fileName: name).serialized(pretty: options.pretty) == text)
            }
            if sameInEvery { identical += 1 }
        }
        print("encode round trip: \(images.count) protobuf images (\(entries) entries, \(payloads) with extra payloads), " +
              "\(identical) byte-identical after decode and encode in all \(Self.renderings.count) renderings (pretty, plain, crit-compatible)")
        #expect(identical == images.count)
        #expect(entries > 1000)
    }

    @Test func critsOwnJSONEncodesToTheOriginalImage() throws {
        let pairs = Fixtures.critPairs()
        #expect(pairs.count == 320)
        var identical = 0
        for pair in pairs {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: pair.image)))
            let text = try Data(contentsOf: URL(fileURLWithPath: pair.json))
            let json = try JSONValue(parsing: [UInt8](text))
            let encoded = try CritJSON(options: .init(critCompatible: true)).encodeImage(json)
            if encoded == bytes { identical += 1 } else { Issue.record("\(pair.label): crit's JSON encodes to other bytes") }
        }
        print("crit's JSON: \(pairs.count) files encoded, \(identical) give the image crit decoded, byte for byte")
        #expect(identical == pairs.count)
    }

    /// `GenericEncoder` alone: every entry of every image re-encodes to its own bytes.
    @Test func everyEntryReencodes() throws {
        var count = 0
        for path in Self.allImages {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            let image = try ImageFile.parse(bytes, fileName: (path as NSString).lastPathComponent)
            try bytes.withUnsafeBytes { buffer in
                for entry in image.entries {
                    let message = try GenericDecoder().decode(entry, in: buffer)
                    #expect(try GenericEncoder().encode(message) == Array(bytes[entry.range]), "\(path)#\(entry.index)")
                    count += 1
                }
            }
        }
        #expect(count > 1000)
    }

    // MARK: - What the JSON (and the decoder) cannot carry

    /// CRIU writes each message in one canonical form: fields in number order, each once, minimal
    /// varints, repeated fields unpacked. A message in another form decodes to the same values, and
    /// so to the same JSON; encoding gives the canonical bytes, not the original ones. These are the
    /// only inputs whose bytes the round trip changes (the decode of the result is the same).
    @Test(arguments: [
        // (what, input message, canonical bytes)
        ("fields out of number order", Proto().varint(2, 5).varint(1, 7).bytes, Proto().varint(1, 7).varint(2, 5).bytes),
        ("a non-minimal varint", [0x08, 0x87, 0x80, 0x00, 0x10, 0x05], Proto().varint(1, 7).varint(2, 5).bytes),
        ("a non-minimal key", [0x88, 0x00, 0x07, 0x10, 0x05], Proto().varint(1, 7).varint(2, 5).bytes),
        ("a singular field twice (the last wins)", Proto().varint(1, 9).varint(2, 5).varint(1, 7).bytes, Proto().varint(1, 7).varint(2, 5).bytes),
        ("a uint32 sent as a 64-bit varint (protobuf keeps the low 32 bits)", Proto().varint(1, 0x1_0000_0007).varint(2, 5).bytes, Proto().varint(1, 7).varint(2, 5).bytes),
    ] as [(String, [UInt8], [UInt8])])
    func nonCanonicalMessagesBecomeCanonical(what: String, input: [UInt8], canonical: [UInt8]) throws {
        // pipe_data_entry: pipe_id = 1, bytes = 2 (the payload length: 5).
        let original = image([Magic.common, 0x5645_3709], [(Proto(bytes: input), Array("hello".utf8))])
        let json = try CritJSON().render(original, fileName: "pipes-data.img")
        let encoded = try CritJSON().encodeImage(json)
        #expect(encoded == image([Magic.common, 0x5645_3709], [(Proto(bytes: canonical), Array("hello".utf8))]), "\(what)")
        #expect(encoded != original, "\(what)")
        #expect(try CritJSON().render(encoded, fileName: "pipes-data.img") == json, "\(what)")
    }

    @Test func packedRunsAndMergedMessagesBecomeCanonical() throws {
        // pstree_entry.threads (repeated uint32, field 5) packed in two runs: written unpacked.
        let head = Proto().varint(1, 1).varint(2, 0).varint(3, 1).varint(4, 1)
        let packed = head.packed(5, [1, 150]).packed(5, [3])
        let unpacked = head.varint(5, 1).varint(5, 150).varint(5, 3)
        let json = try CritJSON().render(image([Magic.common, 0x5027_3030], [packed]), fileName: "pstree.img")
        #expect(try CritJSON().encodeImage(json) == image([Magic.common, 0x5027_3030], [unpacked]))
        // An empty packed run: the field is present and empty ([] in the JSON), which only an empty
        // run can say, so an empty run is written.
        let empty = head.packed(5, [])
        let emptyJSON = try CritJSON().render(image([Magic.common, 0x5027_3030], [empty]), fileName: "pstree.img")
        #expect(emptyJSON.serialized(pretty: false).contains("\"threads\": []"))
        #expect(try CritJSON().encodeImage(emptyJSON) == image([Magic.common, 0x5027_3030], [empty]))
        // A singular message field that occurs twice is merged (protobuf's rule) and written once.
        let tc1 = Proto().varint(1, 1).varint(2, 0)
        let tc2 = Proto().varint(3, 8)
        let core = Proto().varint(1, 1).message(3, tc1).message(3, tc2)
        let merged = Proto().varint(1, 1).message(3, tc1.varint(3, 8))
        let coreJSON = try CritJSON().render(image([Magic.common, 0x5505_3847], [core]), fileName: "core-1.img")
        #expect(try CritJSON().encodeImage(coreJSON) == image([Magic.common, 0x5505_3847], [merged]))
        // A bool written as 4 is true, and true is written as 1 (pagemap_entry.in_parent, field 3).
        let pagemap = [Proto().varint(1, 2), Proto().varint(1, 0x1000).varint(2, 1).varint(3, 4)]
        let pagemapJSON = try CritJSON().render(image([Magic.common, 0x5608_4025], pagemap), fileName: "pagemap-1.img")
        #expect(try CritJSON().encodeImage(pagemapJSON) == image([Magic.common, 0x5608_4025], [pagemap[0], Proto().varint(1, 0x1000).varint(2, 1).varint(3, 1)]))
    }

    /// Fields the schema does not know survive decode and encode with their bytes as they were
    /// (non-minimal varints included), in their place when they were in number order.
    @Test func unknownFieldsSurvive() throws {
        // pagemap_head: pages_id = 1; unknown 7 (a varint written in 3 bytes) and 9 (bytes), in number order.
        let head = Proto().varint(1, 3).bytes + [0x38, 0x85, 0x80, 0x00] + Proto().bytes(9, [1, 2, 3]).bytes
        let entry = Proto().varint(1, 0x1000).varint(2, 0).varint(4, 4).varint(5, 1)
        // pagemap_entry: unknown 6, after the last known field.
        let withUnknown = Proto(bytes: entry.bytes + [0x30, 0x01])
        let original = image([Magic.common, 0x5608_4025], [Proto(bytes: head), withUnknown])
        let json = try CritJSON().render(original, fileName: "pagemap-1.img")
        let text = json.serialized()
        #expect(text.contains("\"#unknown\": \"OIWAAEoDAQID\\n\""), "\(text)")
        #expect(text.contains("\"#unknown\": \"MAE=\\n\""))
        #expect(try CritJSON().encodeImage(json) == original)
        #expect(try CritJSON().encodeImage(JSONValue(parsing: text)) == original)
        // Out of number order: an unknown field is written before the first known field above it.
        let shuffled = Proto(bytes: [0x48, 0x02] + Proto().varint(1, 3).bytes)
        let shuffledImage = image([Magic.common, 0x5608_4025], [shuffled])
        let shuffledJSON = try CritJSON().render(shuffledImage, fileName: "pagemap-1.img")
        #expect(try CritJSON().encodeImage(shuffledJSON) == image([Magic.common, 0x5608_4025], [Proto(bytes: Proto().varint(1, 3).bytes + [0x48, 0x02])]))
        // crit's JSON has no unknown fields; the decoder's is crit's with one more key, only where they exist.
        #expect(try CritJSON().render(image([Magic.common, 0x5608_4025], [Proto().varint(1, 3)]), fileName: "pagemap-1.img").serialized().contains("#unknown") == false)
    }

    // MARK: - Framings and payloads the fixtures lack

    @Test(arguments: [
        ("big-endian", "pstree.img", image([Magic.common, 0x5027_3030], [Proto().varint(1, 1).varint(2, 0).varint(3, 1).varint(4, 1).varint(5, 1)], endian: .big)),
        ("ancient single magic word", "pstree.img", image([0x5027_3030], [Proto().varint(1, 1).varint(2, 0).varint(3, 1).varint(4, 1)])),
        ("inventory behind IMG_COMMON", "inventory.img", image([Magic.common, Magic.inventory], [Proto().varint(1, 2)])),
        ("service word", "stats-dump", image([Magic.service, 0x5709_3306], [Proto().message(1, Proto().varint(1, 5).varint(2, 6).varint(3, 7).varint(4, 8).varint(5, 9).varint(6, 0).varint(7, 0))])),
        ("magic only", "irmap-cache", image([Magic.service, 0x5700_4059], [Proto]())),
        ("an empty entry", "seccomp.img", image([Magic.common, 0x6441_3049], [Proto()])),
        ("semaphores, big-endian", "ipcns-sem-1.img", image([Magic.common, 0x5957_3019], [(Proto().message(1, Self.desc).varint(2, 3), [0, 1, 0, 2, 0xFF, 0xFF, 0, 0])], endian: .big)),
        ("message queue", "ipcns-msg-1.img", image([Magic.common, 0x5545_3737], [(Proto().message(1, Self.desc).varint(2, 16384).varint(3, 2),
            [4, 0, 0, 0] + Proto().varint(1, 1).varint(2, 3).bytes + Array("abc".utf8) + [0, 0, 0, 0, 0]
            + [4, 0, 0, 0] + Proto().varint(1, 2).varint(2, 0).bytes)])),
        ("old SysV shm contents, then a modern entry", "ipcns-shm-1.img", image([Magic.common, 0x4628_3044], [
            (Proto().message(1, Self.desc).varint(2, 5), [1, 2, 3, 4, 5, 0, 0, 0]), (Proto().message(1, Self.desc).varint(2, 4096).varint(3, 1), [])])),
        ("bpf map data", "bpfmap-data.img", image([Magic.common, 0x6432_4033], [(Proto().varint(1, 4).varint(2, 4).varint(3, 8).varint(4, 1), [UInt8](repeating: 7, count: 12))])),
        ("ghost file in chunks", "ghost-file-2.img", image([Magic.common, 0x5258_3605], [
            (Proto().varint(1, 0).varint(2, 0).varint(3, 0o100644).varint(9, 1).varint(10, 20000), []),
            (Proto().varint(1, 4).varint(2, 0), Array("abcd".utf8)), (Proto().varint(1, 2).varint(2, 16384), Array("yz".utf8))])),
        ("ghost file contents", "ghost-file-3.img", image([Magic.common, 0x5258_3605], [(Proto().varint(1, 0).varint(2, 0).varint(3, 0o100644).varint(10, 3), Array("xyz".utf8))])),
        ("ghost directory (nothing follows)", "ghost-file-4.img", image([Magic.common, 0x5258_3605], [Proto().varint(1, 0).varint(2, 0).varint(3, 0o40755)])),
        ("socket queue", "sk-queues.img", image([Magic.common, 0x5626_4026], [(Proto().varint(1, 9).varint(2, 3), [0xAA, 0xBB, 0xCC])])),
        ("negative int32 and sint", "core-1.img", image([Magic.common, 0x5505_3847], [Proto().varint(1, 1).message(3, Proto().varint(1, 1).varint(14, UInt64(bitPattern: -1000)))])),
    ] as [(String, String, [UInt8])])
    func handMadeImagesRoundTrip(what: String, name: String, bytes: [UInt8]) throws {
        for (label, options) in Self.renderings {
            let renderer = CritJSON(options: options)
            let json = try renderer.render(bytes, fileName: name)
            let encoded = try renderer.encodeImage(JSONValue(parsing: json.serialized(pretty: options.pretty)))
            #expect(encoded == bytes, "\(what) [\(label)]: \(json.serialized(pretty: false))")
        }
    }

    static let desc = Proto().varint(1, 1).varint(2, 0).varint(3, 0).varint(4, 0).varint(5, 0).varint(6, 0o600).varint(7, 5)
}
