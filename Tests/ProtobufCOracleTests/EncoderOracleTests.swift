import Foundation
import Testing
import CRIUImages

/// libprotobuf-c (the runtime CRIU restores with) reads what our encoder writes: every encoded
/// message unpacks to the values our decoder read from the original, on the fixtures and on the
/// committed mutation corpus.
@Suite struct EncoderOracleTests {
    let judge = OracleJudge()

    /// The entries of the images the oracle's own fixture set leaves out (its corpus is built from
    /// that set): the Podman nfx-ck archive and containerd's checkpoint image.
    static let laterEntries: [OracleFixtures.Entry] = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-inspect-encoder-oracle-\(getpid())")
        let podman = dir.appendingPathComponent("podman"), containerd = dir.appendingPathComponent("containerd")
        for d in [podman, containerd] { try? FileManager.default.createDirectory(at: d, withIntermediateDirectories: true) }
        let fixtures = OracleFixtures.root.path
        let blob = "blobs/sha256/906368401433c9a1f5f16f36cede54ccbc13d51d60edf564e9bf36f0128a4eac"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "tar -xf \"$0/podman/nfx-ck.none.tar\" -C \"$1\" && tar -xOf \"$0/containerd/nfx-ck.checkpoint-image.oci.tar\" \(blob) | tar -xf - -C \"$2\"",
                       fixtures, podman.path, containerd.path]
        try? p.run()
        p.waitUntilExit()
        var result: [OracleFixtures.Entry] = []
        for base in [podman, containerd] {
            guard let walker = FileManager.default.enumerator(atPath: base.path) else { continue }
            for case let rel as String in walker {
                let name = (rel as NSString).lastPathComponent
                guard name.hasSuffix(".img") || name == "stats-dump", ImageKind.raw(forFileName: name) == nil,
                      let data = FileManager.default.contents(atPath: base.appendingPathComponent(rel).path) else { continue }
                let bytes = [UInt8](data)
                guard let image = try? ImageFile.parse(bytes, fileName: name) else { continue }
                for entry in image.entries {
                    result.append(.init(message: entry.message, bytes: Array(bytes[entry.range]), origin: "\(base.lastPathComponent)/\(rel)#\(entry.index)"))
                }
            }
        }
        return result.sorted { $0.origin < $1.origin }
    }()

    /// Our decoding of `bytes`, re-encoded; nil when our decoder rejects them.
    static func reencode(_ message: String, _ bytes: [UInt8]) -> (decoded: DecodedMessage, encoded: [UInt8])? {
        guard let decoded = try? GenericDecoder().decode(message, from: bytes),
              let encoded = try? GenericEncoder().encode(decoded) else { return nil }
        return (decoded, encoded)
    }

    /// The message with every unknown field's offset zeroed (they locate the original bytes).
    static func withoutOffsets(_ m: DecodedMessage) -> DecodedMessage {
        var m = m
        for i in m.unknownFields.indices { m.unknownFields[i].offset = 0 }
        for i in m.fields.indices {
            m.fields[i].values = m.fields[i].values.map { if case .message(let sub) = $0 { .message(withoutOffsets(sub)) } else { $0 } }
        }
        return m
    }

    /// A required field without a default is absent here or in a nested message (protobuf-c rejects those).
    static func lacksRequiredField(_ m: DecodedMessage) -> Bool {
        guard let descriptor = Schema.criu.message(m.type) else { return false }
        if descriptor.fields.contains(where: { f in f.label == .required && f.defaultValue == nil && m.field(f.number) == nil }) { return true }
        return m.fields.contains { $0.values.contains { if case .message(let sub) = $0 { lacksRequiredField(sub) } else { false } } }
    }

    @Test func fixtureEntriesEncodeToWhatProtobufCReadsAlike() throws {
        let entries = OracleFixtures.entries + Self.laterEntries
        #expect(Self.laterEntries.count > 150)
        var identical = 0
        for entry in entries {
            let (decoded, encoded) = try #require(Self.reencode(entry.message, entry.bytes), "\(entry.origin)")

            if encoded == entry.bytes { identical += 1 }
            guard case .accepted(let original) = ProtobufC.unpack(entry.message, entry.bytes),
                  case .accepted(let again) = ProtobufC.unpack(entry.message, encoded) else {
                Issue.record("\(entry.origin): protobuf-c rejects the original or the encoding")
                continue
            }
            #expect(again == original, "\(entry.origin)")
            #expect(judge.compare(decoded, again, path: entry.message) == nil, "\(entry.origin)")
        }
        print("encoder oracle: \(entries.count) fixture entries encoded, \(identical) byte-identical, protobuf-c unpacks every one to the original's values")
        #expect(identical == entries.count)
    }

    /// Every case of the committed corpus that our decoder accepts: the encoding decodes (ours) to
    /// the same message, is canonical (encoding it again changes nothing), and protobuf-c unpacks it
    /// to the values we decoded from the original, or rejects it only for a required field the
    /// original lacked too (or for an unknown field's overlong key, kept as it came). Where protobuf-c accepted the original as we read it, it reads the
    /// encoding identically.
    @Test func mutatedCorpusEncodesToWhatProtobufCReadsAlike() throws {
        let corpus = try ProtobufCOracleTests.committedCorpus()
        var tally: [String: Int] = [:]
        var failures: [String] = []
        for (i, c) in corpus.cases.enumerated() {
            guard let first = Self.reencode(c.message, c.bytes) else {
                tally["rejected by our decoder", default: 0] += 1
                continue
            }
            let (decoded, encoded) = first
            func fail(_ why: String) {
                if failures.count < 20 { failures.append("case \(i) \(c.message) [\(c.strategy)]: \(why)") }
            }
            guard let again = try? GenericDecoder().decode(c.message, from: encoded) else { fail("the encoding does not decode"); continue }
            if Self.withoutOffsets(again) != Self.withoutOffsets(decoded) { fail("the encoding decodes to other values") }
            if encoded == c.bytes { tally["already canonical", default: 0] += 1 }
            switch ProtobufC.unpack(c.message, encoded) {
            case .accepted(let pc):
                tally["protobuf-c reads the encoding as we do", default: 0] += 1
                if let mismatch = judge.compare(decoded, pc, path: c.message) { fail("protobuf-c reads \(mismatch)") }
            case .rejected where Self.lacksRequiredField(decoded):
                tally["both lack a required field", default: 0] += 1
            case .rejected where ["long-key", "long-length"].contains(judge.judge(c.message, encoded).rule ?? ""):
                // An unknown field's bytes are kept as they came, its overlong key or length with them,
                // which protobuf-c 1.4.1 refuses in the original as in the encoding.
                tally["unknown fields kept with their overlong keys", default: 0] += 1
            case let outcome:
                fail("protobuf-c: \(outcome)")
            }
        }
        let summary = tally.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        print("encoder oracle, corpus: \(corpus.cases.count) cases; \(summary)")
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        #expect(tally["protobuf-c reads the encoding as we do", default: 0] > 5000)
    }
}
