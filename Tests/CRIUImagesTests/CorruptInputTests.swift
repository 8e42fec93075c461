import TestSupport
import Foundation
import Testing
@testable import CRIUImages

/// Damaged images: every truncation, byte flips, absurd lengths. Each case decodes or throws an
/// ImageError that points inside the input; nothing crashes, hangs or allocates beyond the input.
@Suite struct CorruptInputTests {
    /// The fixture images, each distinct content once (the three ck-basic archives hold the same images).
    /// The sweeps stay on the first fixture set: the later CRIU 4.2 fixtures (`raw/forensic`,
    /// `podman/nfx-ck`) frame the same image kinds and would double the sweeps' time.
    static let uniqueImages: [(name: String, bytes: [UInt8])] = {
        var seen = Set<[UInt8]>()
        var result: [(String, [UInt8])] = []
        for path in Fixtures.allImages() where !path.contains("/raw/forensic/") && !path.contains("/nfx-ck.none.tar/") {
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            let bytes = [UInt8](data)
            if seen.insert(bytes).inserted { result.append(((path as NSString).lastPathComponent, bytes)) }
        }
        return result
    }()

    /// Frames and decodes every entry; returns the error if any.
    static func decodeAll(_ bytes: [UInt8], _ name: String) -> ImageError? {
        do {
            let file = try ImageFile.parse(bytes, fileName: name)
            let decoder = GenericDecoder()
            try withBytes(bytes) { (buffer) throws(ImageError) in
                for entry in file.entries { _ = try decoder.decode(entry, in: buffer) }
            }
            _ = try CritJSON().render(file, bytes: bytes)
            return nil
        } catch {
            return error
        }
    }

    @Test func everyFixtureDecodesWhole() {
        #expect(Self.uniqueImages.count > 100)
        for (name, bytes) in Self.uniqueImages {
            #expect(Self.decodeAll(bytes, name) == nil, "\(name)")
        }
    }

    @Test func truncationAtEveryOffset() {
        var cases = 0
        var rejected = 0
        for (name, bytes) in Self.uniqueImages {
            for cut in 0..<bytes.count {
                cases += 1
                let prefix = Array(bytes[0..<cut])
                guard let error = Self.decodeAll(prefix, name) else { continue }
                rejected += 1
                #expect(error.offset <= cut, "\(name) cut at \(cut): error offset \(error.offset)")
                #expect(error.file == name)
                let allowed: [ImageError.Code] = [.truncated, .lengthOutOfBounds, .emptyFile, .malformedVarint, .unexpectedEntryCount]
                #expect(allowed.contains(error.code), "\(name) cut at \(cut): \(error)")
                if cut >= 8 && error.code != .emptyFile { #expect(error.image != nil, "\(name) cut at \(cut): \(error)") }
            }
        }
        print("truncation sweep: \(cases) truncated images, \(rejected) rejected with a located error")
        #expect(cases > 100_000)
    }

    @Test func byteFlipsInSmallImages() {
        var cases = 0
        for (name, bytes) in Self.uniqueImages where bytes.count <= 2048 {
            for i in 0..<bytes.count {
                for mask: UInt8 in [0xFF, 0x80] {
                    var damaged = bytes
                    damaged[i] ^= mask
                    cases += 1
                    if let error = Self.decodeAll(damaged, name) {
                        #expect(error.offset >= 0 && error.offset <= damaged.count, "\(name) flip at \(i): \(error)")
                    }
                }
            }
        }
        print("byte-flip sweep: \(cases) damaged images")
        #expect(cases > 50_000)
    }

    @Test func absurdSizeWordIsRejectedBeforeAllocating() {
        let bytes: [UInt8] = [0x19, 0x43, 0x56, 0x54, 0x30, 0x30, 0x27, 0x50, 0xF0, 0xFF, 0xFF, 0xFF, 1, 2, 3]
        let error = Self.decodeAll(bytes, "pstree.img")
        #expect(error?.code == .lengthOutOfBounds)
        #expect(error?.offset == 8)
        #expect(error?.entry == 0)
        #expect(error?.image == "PSTREE")
        #expect(error?.description == "pstree.img: PSTREE entry 0 at byte 8: length out of bounds: pstree_entry size 4294967280 exceeds the 3 bytes left")
    }

    @Test func absurdFieldLengthInsideAMessage() throws {
        // comm (field 6 of task_core_entry) claims 2^62 bytes.
        let message = Proto().varint(1, 1).bytes(3, Proto.varint(6 << 3 | 2) + Proto.varint(1 << 62))
        let bytes = image([Magic.common, 0x5505_3847], [message])
        let error = try #require(Self.decodeAll(bytes, "core-1.img"))
        #expect(error.code == .lengthOutOfBounds)
        #expect(error.offset == 17) // the length varint of field 6
        #expect(error.entry == 0)
    }

    @Test func absurdPayloadCounts() {
        // A semaphore set claiming 2^40 values, a message queue claiming 2^31 messages.
        let sem = image([Magic.common, 0x5957_3019], [Proto().varint(2, 1 << 40)])
        #expect(Self.decodeAll(sem, "ipcns-sem-1.img")?.code == .truncated)
        let msg = image([Magic.common, 0x5545_3737], [Proto().varint(3, 1 << 31)])
        #expect(Self.decodeAll(msg, "ipcns-msg-1.img")?.code == .truncated)
        let tcp = image([Magic.common, 0x5146_5506], [Proto().varint(1, 0xFFFF_FFFF).varint(3, 0xFFFF_FFFF)])
        #expect(Self.decodeAll(tcp, "tcp-stream-1.img")?.code == .truncated)
    }

    @Test func deepNestingIsBounded() throws {
        // aa_namespace nests itself (field 3); 10,000 levels.
        var inner: [UInt8] = []
        for _ in 0..<10_000 {
            inner = Proto.varint(3 << 3 | 2) + Proto.varint(UInt64(inner.count)) + inner
        }
        let bytes = image([Magic.common, 0x5942_3047], [Proto().bytes(1, inner)])
        let error = try #require(Self.decodeAll(bytes, "apparmor.img"))
        #expect(error.code == .nestingTooDeep)
    }

    @Test func malformedVarintsAndKeys() {
        let tooLong = image([Magic.common, 0x5027_3030], [Proto(bytes: [0x08] + [UInt8](repeating: 0xFF, count: 10) + [0x01])])
        #expect(Self.decodeAll(tooLong, "pstree.img")?.code == .malformedVarint)
        let group = image([Magic.common, 0x5027_3030], [Proto(bytes: [0x0B])])
        #expect(Self.decodeAll(group, "pstree.img")?.code == .invalidWireType)
        let fieldZero = image([Magic.common, 0x5027_3030], [Proto(bytes: [0x00, 0x01])])
        #expect(Self.decodeAll(fieldZero, "pstree.img")?.code == .invalidFieldNumber)
        let wrongType = image([Magic.common, 0x5027_3030], [Proto(bytes: [0x0D, 1, 2, 3, 4])])
        let error = Self.decodeAll(wrongType, "pstree.img")
        #expect(error?.code == .wrongWireType)
        #expect(error?.offset == 12)
    }

    @Test func unknownMagicAndEmptyFile() {
        #expect(Self.decodeAll([], "core-1.img")?.code == .emptyFile)
        #expect(Self.decodeAll([0x41, 0x41, 0x41, 0x41, 0, 0, 0, 0], "core-1.img")?.code == .unknownMagic)
        let second = Self.decodeAll([0x19, 0x43, 0x56, 0x54, 0x41, 0x41, 0x41, 0x41], "core-1.img")
        #expect(second?.code == .unknownMagic)
        #expect(second?.offset == 4)
    }
}
