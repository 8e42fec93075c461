import Foundation
import Testing
import CProtobufCOracle
import CRIUImages
import CheckpointArchive

/// The differential oracle: our generic decoder against libprotobuf-c 1.4.1 (the runtime CRIU
/// restores with), compiled by protoc-c from the same Schema/*.proto. Deliberate differences are
/// listed in `OracleJudge` and docs/ORACLE.md; anything else is a failure.
@Suite struct ProtobufCOracleTests {
    let judge = OracleJudge()

    @Test func schemasAgree() throws {
        let schema = Schema.criu
        #expect(Set(ProtobufC.messageNames) == Set(schema.messages.keys))
        for (name, message) in schema.messages {
            let descriptor = try #require(ProtobufC.descriptor(name), "\(name)")
            let d = descriptor.pointee
            var theirs: [String] = []
            for i in 0..<Int(d.n_fields) {
                let f = d.fields[i]
                let type = ProtobufC.type(f.type)
                theirs.append("\(f.id) \(String(cString: f.name)) \(ProtobufC.label(f.label)) \(type) \(ProtobufC.typeName(f, type) ?? "-")")
            }
            let ours = message.fields.map { f in
                "\(f.number) \(f.name) \(f.label) \(f.type) \(f.type == .message || f.type == .enumeration ? f.typeName ?? "?" : "-")"
            }
            #expect(theirs.sorted() == ours.sorted(), "\(name)")
        }
    }

    @Test func generatedCodeIsCurrent() throws {
        let version = Process()
        version.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        version.arguments = ["protoc-c", "--version"]
        let pipe = Pipe()
        version.standardOutput = pipe
        version.standardError = FileHandle.nullDevice
        guard (try? version.run()) != nil else { return }  // protoc-c not installed: nothing to check
        version.waitUntilExit()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard version.terminationStatus == 0, text.hasPrefix("protobuf-c 1.4.1") else { return }
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/bin/bash")
        check.arguments = [OracleFixtures.packageRoot.appendingPathComponent("Scripts/generate-protobuf-c.sh").path, "--check"]
        check.standardOutput = FileHandle.nullDevice
        try check.run()
        check.waitUntilExit()
        #expect(check.terminationStatus == 0, "Sources/CProtobufCOracle/generated is stale: run Scripts/generate-protobuf-c.sh")
    }

    /// Every entry of every fixture image: both accept, and every value agrees (no explanations allowed).
    @Test func fixtureEntriesAgree() {
        let entries = OracleFixtures.entries
        #expect(entries.count > 500)
        var types = Set<String>()
        for entry in entries {
            types.insert(entry.message)
            let verdict = judge.judge(entry.message, entry.bytes)
            #expect(verdict == .bothAccept, "\(entry.origin) (\(entry.message)): \(verdict)")
        }
        #expect(types.count >= 20, "only \(types.count) message types in the fixtures")
    }

    /// The size and seed of the mutation corpus; the committed file must hold exactly these.
    static let corpusSize = 20_000
    static let corpusSeed: UInt64 = 0xC1_0C_4E_C7

    /// The committed corpus: a zstd-compressed tar holding `mutations.bin` (format in
    /// `OracleCorpusFile`), written by Scripts/generate-oracle-corpus.sh.
    static let corpusArchive = OracleFixtures.root.appendingPathComponent("oracle/mutations.tar.zst").path

    /// Reads the committed corpus through libarchive (`CheckpointSource`), as the product reads archives.
    static func committedCorpus() throws -> OracleCorpusFile.Contents {
        let limit = 64 << 20
        let source = try CheckpointSource.open(path: corpusArchive, options: .init(inMemoryLimit: UInt64(limit)))
        let member = try #require(try source.member(named: "mutations.bin"), "\(corpusArchive) has no mutations.bin")
        return try OracleCorpusFile.decode(try source.read(member, maxBytes: limit))
    }

    static func generatedCorpus() -> [OracleCase] {
        var generator = MutationCorpus(entries: OracleFixtures.entries.map { ($0.message, $0.bytes) }, seed: corpusSeed)
        return generator.generate(count: corpusSize)
    }

    /// The generator is the source of truth: the committed corpus must be exactly what it
    /// produces from today's fixtures, schema and seed. With `CKPT_WRITE_ORACLE_CORPUS=PATH` the
    /// test writes the generated corpus to PATH instead (Scripts/generate-oracle-corpus.sh).
    @Test func committedCorpusIsCurrent() throws {
        let generated = Self.generatedCorpus()
        if let target = ProcessInfo.processInfo.environment["CKPT_WRITE_ORACLE_CORPUS"], !target.isEmpty {
            let bytes = OracleCorpusFile.encode(.init(seed: Self.corpusSeed, cases: generated))
            #expect(try OracleCorpusFile.decode(bytes).cases == generated)
            try Data(bytes).write(to: URL(fileURLWithPath: target))
            print("oracle corpus: wrote \(generated.count) cases (\(bytes.count) bytes) to \(target)")
            return
        }
        let committed = try Self.committedCorpus()
        let stale = "Fixtures/oracle/mutations.tar.zst is stale: run Scripts/generate-oracle-corpus.sh"
        #expect(committed.seed == Self.corpusSeed, "\(stale)")
        #expect(committed.cases.count == generated.count, "\(stale)")
        #expect(OracleCorpusFile.digest(committed.cases) == OracleCorpusFile.digest(generated), "\(stale)")
        if let i = zip(committed.cases, generated).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
            Issue.record("case \(i) differs: committed \(committed.cases[i].message) [\(committed.cases[i].strategy)], generated \(generated[i].message) [\(generated[i].strategy)]; \(stale)")
        }
    }

    @Test func corpusFileFormat() throws {
        let cases = [OracleCase(message: "pagemap_head", bytes: [0x08, 0x01], strategy: "flip-bit"),
                     OracleCase(message: "core_entry", bytes: [], strategy: "truncate")]
        let bytes = OracleCorpusFile.encode(.init(seed: 7, cases: cases))
        // magic 8 + version 2 + seed 8 + count 4; records 1+12+1+8+4+2 and 1+10+1+8+4; digest 8
        #expect(bytes.count == 22 + 28 + 24 + 8)
        #expect(Array(bytes.prefix(12)) == Array("CKORACLE".utf8) + [1, 0, 7, 0])
        #expect(try OracleCorpusFile.decode(bytes) == .init(seed: 7, cases: cases))
        var flipped = bytes
        flipped[22 + 26] ^= 0x01  // the first payload's first byte
        #expect(throws: OracleCorpusFile.FormatError.self) { try OracleCorpusFile.decode(flipped) }
        #expect(throws: OracleCorpusFile.FormatError.self) { try OracleCorpusFile.decode(Array(bytes.dropLast())) }
        #expect(throws: OracleCorpusFile.FormatError.self) { try OracleCorpusFile.decode(bytes + [0]) }
        #expect(throws: OracleCorpusFile.FormatError.self) { try OracleCorpusFile.decode([0x28, 0xB5, 0x2F, 0xFD] + bytes.dropFirst(4)) }
    }

    /// Every entry of the committed corpus: agreement, or a documented difference checked on the bytes.
    @Test func mutatedCorpusAgrees() throws {
        let corpus = try Self.committedCorpus()
        let cases = corpus.cases
        #expect(cases.count >= 10_000)
        #expect(cases.count == Self.corpusSize)
        #expect(corpus.seed == Self.corpusSeed)
        #expect(Set(cases.map(\.strategy)).isSubset(of: MutationCorpus.strategies))
        var tally: [String: Int] = [:]
        var unexplained: [String] = []
        let verbose = ProcessInfo.processInfo.environment["ORACLE_VERBOSE"] != nil
        for (i, c) in cases.enumerated() {
            let verdict = judge.judge(c.message, c.bytes)
            switch verdict {
            case .bothAccept: tally["both accept", default: 0] += 1
            case .bothReject: tally["both reject", default: 0] += 1
            case .explained(let rule, let detail):
                tally["explained: " + rule, default: 0] += 1
                // ORACLE_VERBOSE=1 shows the first examples of each rule.
                if verbose, tally["explained: " + rule]! <= 3 {
                    print("  \(rule) case \(i) \(c.message) [\(c.strategy)]: \(detail)")
                }
            case .unexplained(let why):
                tally["UNEXPLAINED", default: 0] += 1
                if unexplained.count < 20 {
                    unexplained.append("case \(i) \(c.message) [\(c.strategy)] \(c.bytes.map { String(format: "%02x", $0) }.joined()): \(why)")
                }
            }
        }
        let summary = tally.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        let digest = String(OracleCorpusFile.digest(cases), radix: 16)
        print("oracle corpus: \(cases.count) cases, \(cases.reduce(0) { $0 + $1.bytes.count }) bytes, digest \(digest); \(summary)")
        #expect(tally.values.reduce(0, +) == cases.count)
        #expect(unexplained.isEmpty, "\(unexplained.joined(separator: "\n"))")
        // The corpus must exercise both sides: plenty of accepted and of rejected inputs.
        #expect(tally["both accept", default: 0] > cases.count / 10)
        #expect(tally["both reject", default: 0] > cases.count / 10)
    }

    // MARK: - Each deliberate difference, pinned

    static func varint(_ v: UInt64) -> [UInt8] { MutationCorpus.varint(v) }

    @Test func missingRequiredField() throws {
        // pagemap_entry with only `vaddr`: protobuf-c rejects, we decode and report the gap.
        let bytes: [UInt8] = [0x08, 0x80, 0x20]
        #expect(judge.judge("pagemap_entry", bytes).rule == "missing-required")
        let decoded = try GenericDecoder().decode("pagemap_entry", from: bytes)
        #expect(decoded.missingRequiredFields() == ["compat_nr_pages"])
    }

    @Test func requiredFieldsWithDefaultsAreNotEnforcedByProtobufC() {
        // user_desc_t.read_exec_only / seg_not_present are `required ... [default = true]`:
        // protobuf-c fills in the default instead of rejecting (and so do we: absent fields stay absent).
        let message = "user_desc_t"
        guard let descriptor = Schema.criu.message(message) else { return }
        var bytes: [UInt8] = []
        for f in descriptor.fields where f.label == .required && f.defaultValue == nil {
            bytes += MutationCorpus.key(f.number, f.type.wireType.rawValue) + [0]
        }
        #expect(judge.judge(message, bytes) == .bothAccept)
    }

    @Test func varintOverflow() throws {
        // vaddr as a 10-byte varint whose last byte is 2: protobuf-c drops the bit past 64.
        let bytes: [UInt8] = [0x08] + Array(repeating: 0xFF, count: 9) + [0x02, 0x10, 0x00]
        #expect(judge.judge("pagemap_entry", bytes).rule == "varint-overflow")
        #expect(throws: ImageError.self) { try GenericDecoder().decode("pagemap_entry", from: bytes) }
    }

    @Test func fieldNumberAboveTheProtobufLimit() {
        // Field 2^29 (one past the largest legal number) as an unknown varint field.
        let bytes: [UInt8] = [0x08, 0x01] + MutationCorpus.key(1 << 29, 0) + [0x01]
        #expect(judge.judge("pagemap_head", bytes).rule == "field-number")
    }

    @Test func boolWithAnyWireType() {
        // in_parent (bool, field 3) sent as fixed32: protobuf-c never checks a bool's wire type.
        let bytes: [UInt8] = [0x08, 0x00, 0x10, 0x00, 0x1D, 0x01, 0x00, 0x00, 0x00]
        #expect(judge.judge("pagemap_entry", bytes).rule == "bool-wire-type")
        guard case .accepted(let pc) = ProtobufC.unpack("pagemap_entry", bytes) else {
            Issue.record("protobuf-c rejected")
            return
        }
        #expect(pc.field(3)?.values == [.bool(true)])
    }

    @Test func overlongKey() {
        // pages_id with its key zero-padded to 6 bytes: valid protobuf, protobuf-c reads at most 5.
        let bytes: [UInt8] = [0x88, 0x80, 0x80, 0x80, 0x80, 0x00, 0x07]
        #expect(judge.judge("pagemap_head", bytes).rule == "long-key")
    }

    @Test func overlongLengthPrefix() {
        // seccomp_filter.filter with a 6-byte length prefix.
        let filter: [UInt8] = [0x0A, 0x82, 0x80, 0x80, 0x80, 0x80, 0x00, 0xAA, 0xBB]
        let bytes: [UInt8] = [0x0A] + Self.varint(UInt64(filter.count)) + filter
        #expect(judge.judge("seccomp_entry", bytes).rule == "long-length")
    }

    @Test func fieldNumberZero() {
        // Field 0 in a one-byte key: both reject. In a zero-padded two-byte key (80 00),
        // protobuf-c 1.4.1 misses the check and keeps it as an unknown field.
        #expect(judge.judge("pagemap_head", [0x08, 0x01, 0x00, 0x00]) == .bothReject)
        #expect(judge.judge("pagemap_head", [0x08, 0x01, 0x80, 0x00, 0x00]).rule == "field-number")
    }

    @Test func lengthsOf2To32AndMoreAreRejected() {
        // A 5-byte length prefix of 2^32 (+1): no wrap-around in either decoder.
        #expect(judge.judge("pagemap_head", [0x08, 0x01, 0x12, 0x80, 0x80, 0x80, 0x80, 0x10]) == .bothReject)
        #expect(judge.judge("pagemap_head", [0x08, 0x01, 0x12, 0x81, 0x80, 0x80, 0x80, 0x10, 0x00]) == .bothReject)
    }

    @Test func stringsStopAtNULInProtobufC() throws {
        let bytes: [UInt8] = [0x0A, 0x03, 0x61, 0x00, 0x62, 0x12, 0x00]
        #expect(judge.judge("utsns_entry", bytes) == .bothAccept)
        let decoded = try GenericDecoder().decode("utsns_entry", from: bytes)
        #expect(decoded["nodename"]?.values == [.string([0x61, 0x00, 0x62])])
    }

    @Test func unknownEnumValuesAreKept() throws {
        // fdinfo_entry.type = 99 (no such fd_types value): both keep the number.
        let bytes: [UInt8] = [0x08, 0x01, 0x10, 0x00, 0x18, 0x63, 0x20, 0x05]
        #expect(judge.judge("fdinfo_entry", bytes) == .bothAccept)
        let decoded = try GenericDecoder().decode("fdinfo_entry", from: bytes)
        #expect(decoded["type"]?.values == [.enumeration(99, name: nil)])
    }

    @Test func packedAndUnpackedRepeatedFieldsAgree() throws {
        let head: [UInt8] = [0x08, 0x01, 0x10, 0x00, 0x18, 0x01, 0x20, 0x01]
        let unpacked = head + [0x28, 0x01, 0x28, 0x96, 0x01, 0x28, 0x03]
        let packed = head + [0x2A, 0x04, 0x01, 0x96, 0x01, 0x03]
        let mixed = head + [0x28, 0x01, 0x2A, 0x03, 0x96, 0x01, 0x03, 0x2A, 0x00]
        for bytes in [unpacked, packed, mixed] {
            #expect(judge.judge("pstree_entry", bytes) == .bothAccept)
            let decoded = try GenericDecoder().decode("pstree_entry", from: bytes)
            #expect(decoded["threads"]?.values == [.unsigned(1), .unsigned(150), .unsigned(3)])
        }
    }

    @Test func sint32TakesTheLow32BitsBeforeZigZag() throws {
        // reg_file_entry.mnt_id (sint32) as the varint 2^32 + 3: protobuf (and protobuf-c) truncate
        // to 32 bits (3) and then unzigzag (-2). The decoder used to unzigzag the 64-bit value.
        let fown: [UInt8] = [0x08, 0x00, 0x10, 0x00, 0x18, 0x00, 0x20, 0x00, 0x28, 0x00]
        var bytes: [UInt8] = [0x08, 0x01, 0x10, 0x00, 0x18, 0x00, 0x2A, UInt8(fown.count)] + fown + [0x32, 0x01, 0x2F]
        bytes += [0x38] + Self.varint((1 << 32) + 3)
        #expect(judge.judge("reg_file_entry", bytes) == .bothAccept)
        let decoded = try GenericDecoder().decode("reg_file_entry", from: bytes)
        #expect(decoded["mnt_id"]?.values == [.signed(-2)])
        // And int32 / uint32 keep the low 32 bits of longer varints, like protobuf-c.
        let pid = try GenericDecoder().decode("pagemap_head", from: [0x08] + Self.varint(0x1_0000_0007))
        #expect(pid["pages_id"]?.values == [.unsigned(7)])
    }

    @Test func mergedRequiredSubmessagesDiffer() throws {
        // A core entry whose thread_info occurs twice: we merge it recursively (fpregs' repeated
        // fields are concatenated); protobuf-c's merge_messages keeps only the last fpregs.
        guard let core = OracleFixtures.entries.first(where: { $0.message == "core_entry" }),
              let fields = MutationCorpus.fields(core.bytes),
              let threadInfo = fields.first(where: { $0.number == 2 }) else {
            Issue.record("no x86 core_entry in the fixtures")
            return
        }
        let bytes = core.bytes + core.bytes[threadInfo.range]
        let verdict = judge.judge("core_entry", bytes)
        #expect(verdict.rule == "merge-required", "\(verdict)")
    }

    @Test func duplicatedScalarsTakeTheLastValue() {
        // Singular scalar and string fields: the last occurrence wins in both.
        let bytes: [UInt8] = [0x0A, 0x01, 0x61, 0x12, 0x00, 0x0A, 0x01, 0x62]
        #expect(judge.judge("utsns_entry", bytes) == .bothAccept)
        let pagemap: [UInt8] = [0x08, 0x01, 0x10, 0x02, 0x08, 0x03, 0x18, 0x01, 0x18, 0x00]
        #expect(judge.judge("pagemap_entry", pagemap) == .bothAccept)
    }
}
