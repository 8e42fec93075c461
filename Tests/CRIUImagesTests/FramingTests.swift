import TestSupport
import Foundation
import Testing
@testable import CRIUImages

/// Hand-made images for what the fixtures lack (CRIU-FORMAT.md 1.1-1.5).
@Suite struct FramingTests {
    let common = Magic.common
    let pstree: UInt32 = 0x5027_3030

    @Test func inventoryHasOneMagicWord() throws {
        let bytes = image([Magic.inventory], [Proto().varint(1, 2).varint(2, 1)])
        let file = try ImageFile.parse(bytes, fileName: "inventory.img")
        #expect(file.kind.name == "INVENTORY")
        #expect(file.magicWords == [Magic.inventory])
        #expect(file.entries.count == 1)
        #expect(file.entries[0].offset == 4)
        #expect(try json(bytes, "inventory.img").contains("\"img_version\": 2"))
    }

    @Test func ancientSingleMagicImage() throws {
        // Before image format v1.1 every image started with its own magic only.
        let bytes = image([pstree], [Proto().varint(1, 1).varint(2, 0).varint(3, 1).varint(4, 1).varint(5, 1)])
        let file = try ImageFile.parse(bytes, fileName: "pstree.img")
        #expect(file.kind.name == "PSTREE")
        #expect(file.magicWords == [pstree])
        #expect(file.entries.count == 1)
        #expect(file.entries[0].range == 8..<18)
    }

    @Test func bigEndianMagicIsRecognised() throws {
        let message = Proto().varint(1, 7).varint(2, 0).varint(3, 7).varint(4, 7).varint(5, 7)
        let bytes = image([common, pstree], [message, message], endian: .big)
        #expect(Array(bytes[0..<4]) == [0x54, 0x56, 0x43, 0x19])
        let file = try ImageFile.parse(bytes, fileName: "pstree.img")
        #expect(file.byteOrder == .bigEndian)
        #expect(file.kind.name == "PSTREE")
        #expect(file.entries.count == 2)
        let little = try ImageFile.parse(image([common, pstree], [message, message]), fileName: "pstree.img")
        #expect(little.byteOrder == .littleEndian)
        // The same JSON but for the byte order, which crit's layout cannot say (the encoder needs it).
        let littleJSON = try json(image([common, pstree], [message, message]), "pstree.img")
        let expected = littleJSON.replacingOccurrences(of: "\"magic\": \"PSTREE\",", with: "\"magic\": \"PSTREE\",\n    \"byte_order\": \"big\",")
        #expect(expected != littleJSON)
        #expect(try json(bytes, "pstree.img") == expected)
    }

    @Test func zeroSizeEntriesAndMagicOnlyFiles() throws {
        let seccomp: UInt32 = 0x6441_3049
        let empty = image([common, seccomp], [Proto()])
        #expect(empty.count == 12)
        #expect(try json(empty, "seccomp.img") == "{\n    \"magic\": \"SECCOMP\",\n    \"entries\": [\n        {}\n    ]\n}")
        let magicOnly = image([common, 0x5621_3732], [Proto]())
        let file = try ImageFile.parse(magicOnly, fileName: "fdinfo-2.img")
        #expect(file.entries.isEmpty)
        #expect(try json(magicOnly, "fdinfo-2.img") == "{\n    \"magic\": \"FDINFO\",\n    \"entries\": []\n}")
    }

    @Test func serviceImages() throws {
        let stats = image([Magic.service, 0x5709_3306], [Proto().message(1, Proto().varint(1, 10).varint(2, 20).varint(3, 30).varint(4, 40).varint(5, 50))])
        let file = try ImageFile.parse(stats, fileName: "stats-dump")
        #expect(file.kind.name == "STATS")
        // A service magic after the common word is wrong.
        let wrong = image([common, 0x5709_3306], [Proto()])
        #expect(throws: ImageError.self) { try ImageFile.parse(wrong, fileName: "stats-dump") }
    }

    @Test func sharedMagicsAreResolvedByFileName() throws {
        let head = Proto().varint(1, 3)
        let bytes = image([common, 0x5608_4025], [head])
        #expect(try ImageFile.parse(bytes, fileName: "pagemap-1.img").kind.name == "PAGEMAP")
        #expect(try ImageFile.parse(bytes, fileName: "pagemap-shmem-161.img").kind.name == "SHMEM_PAGEMAP")
        // crit names the magic by value, so both print "PAGEMAP".
        #expect(try json(bytes, "pagemap-shmem-161.img").contains("\"magic\": \"PAGEMAP\""))
        let signal = image([common, 0x5925_5647], [Proto().bytes(1, [1, 2, 3])])
        #expect(try ImageFile.parse(signal, fileName: "signal-p-7.img").kind.name == "PSIGNAL")
        #expect(try ImageFile.parse(signal, fileName: "signal-s-7.img").kind.name == "SIGNAL")
        let binfmt = image([common, 0x6734_3323], [Proto().string(1, "x")])
        #expect(try ImageFile.parse(binfmt, fileName: "binfmt-misc-42.img").kind.name == "BINFMT_MISC_OLD")
        #expect(try ImageFile.parse(binfmt, fileName: "binfmt-misc.img").kind.name == "BINFMT_MISC")
    }

    @Test(arguments: [
        ("pages-1.img", "PAGES"), ("ifaddr-9.img", "IFADDR"), ("route-9.img", "ROUTE"), ("route6-9.img", "ROUTE6"),
        ("rule-9.img", "RULE"), ("iptables-9.img", "IPTABLES"), ("ip6tables-9.img", "IP6TABLES"),
        ("nftables-9.img", "NFTABLES"), ("tmpfs-dev-44.tar.gz.img", "TMPFS_DEV"), ("tmpfs-3.tar.gz.img", "TMPFS_IMG"),
        ("netns-ct-9.img", "NETNF_CT"), ("netns-exp-9.img", "NETNF_EXP"),
    ])
    func rawImagesAreRecognisedByName(name: String, kind: String) throws {
        // Raw content that happens to start with a magic is still raw.
        let file = try ImageFile.parse(image([common, pstree], [Proto()]), fileName: name)
        #expect(file.kind.name == kind)
        #expect(file.kind.isRaw)
        #expect(file.entries.isEmpty)
        #expect(try ImageFile.parse([], fileName: name).size == 0)
        #expect { try json([1, 2, 3, 4], name) } throws: { ($0 as? ImageError)?.code == .rawImage }
    }

    @Test func pipeAndFifoDataPayloads() throws {
        let entry = Proto().varint(1, 77).varint(2, 5)
        let bytes = image([common, 0x5645_3709], [(entry, Array("hello".utf8)), (Proto().varint(1, 78).varint(2, 0), [])])
        let file = try ImageFile.parse(bytes, fileName: "pipes-data.img")
        #expect(file.entries.count == 2)
        #expect(file.entries[0].extra == .bytes(16..<21))
        let text = try json(bytes, "pipes-data.img")
        #expect(text.contains("\"extra\": \"aGVsbG8=\\n\""))
        #expect(text.contains("\"extra\": \"\""))
        let fifo = image([common, 0x5933_3054], [(entry, Array("hello".utf8))])
        #expect(try ImageFile.parse(fifo, fileName: "fifo-data.img").entries[0].extra == .bytes(16..<21))
    }

    @Test func socketQueueAndTCPStreamPayloads() throws {
        let queue = image([common, 0x5626_4026], [(Proto().varint(1, 9).varint(2, 3), [0xAA, 0xBB, 0xCC])])
        #expect(try ImageFile.parse(queue, fileName: "sk-queues.img").entries[0].extra?.byteCount == 3)
        let tcp = image([common, 0x5146_5506], [(Proto().varint(1, 2).varint(2, 100).varint(3, 3).varint(4, 200), Array("inOUT".utf8))])
        let file = try ImageFile.parse(tcp, fileName: "tcp-stream-b6fa.img")
        guard case .tcpQueues(let inq, let outq)? = file.entries[0].extra else { Issue.record("no tcp payload"); return }
        #expect(inq.count == 2 && outq.count == 3)
        #expect(try json(tcp, "tcp-stream-b6fa.img").contains("\"inq\": \"aW4=\\n\",\n                \"outq\": \"T1VU\\n\""))
    }

    @Test func semaphorePayloadIsPaddedToEight() throws {
        let desc = Proto().varint(1, 1).varint(2, 0).varint(3, 0).varint(4, 0).varint(5, 0).varint(6, 0o600).varint(7, 5)
        let entry = Proto().message(1, desc).varint(2, 3)
        let bytes = image([common, 0x5957_3019], [(entry, [1, 0, 2, 0, 3, 0, 0, 0]), (entry, [4, 0, 5, 0, 6, 0, 0, 0])])
        let file = try ImageFile.parse(bytes, fileName: "ipcns-sem-11.img")
        #expect(file.entries.map(\.extra) == [.semaphores([1, 2, 3]), .semaphores([4, 5, 6])])
        #expect(try json(bytes, "ipcns-sem-11.img").contains("\"extra\": [\n                1,\n                2,\n                3\n            ]"))
        let big = image([common, 0x5957_3019], [(entry, [0, 1, 0, 2, 0, 3, 0, 0])], endian: .big)
        #expect(try ImageFile.parse(big, fileName: "ipcns-sem-11.img").entries[0].extra == .semaphores([1, 2, 3]))
    }

    @Test func messageQueuePayload() throws {
        let desc = Proto().varint(1, 1).varint(2, 0).varint(3, 0).varint(4, 0).varint(5, 0).varint(6, 0o600).varint(7, 5)
        let entry = Proto().message(1, desc).varint(2, 16384).varint(3, 2)
        let m1 = Proto().varint(1, 1).varint(2, 3)
        let m2 = Proto().varint(1, 2).varint(2, 9)
        func record(_ m: Proto, _ data: [UInt8]) -> [UInt8] {
            [UInt8(m.bytes.count), 0, 0, 0] + m.bytes + data + [UInt8](repeating: 0, count: (8 - data.count % 8) % 8)
        }
        let payload = record(m1, Array("abc".utf8)) + record(m2, Array("123456789".utf8))
        let bytes = image([common, 0x5545_3737], [(entry, payload)])
        let file = try ImageFile.parse(bytes, fileName: "ipcns-msg-11.img")
        guard case .messages(let records)? = file.entries[0].extra else { Issue.record("no messages"); return }
        #expect(records.map(\.data.count) == [3, 9])
        #expect(file.entries.count == 1)
        let text = try json(bytes, "ipcns-msg-11.img")
        #expect(text.contains("{\"mtype\": 1, \"msize\": 3}") == false) // objects are pretty-printed within the entry
        #expect(text.contains("\"mtype\": 1"))
        #expect(text.contains("\"YWJj\\n\""))
    }

    @Test func sysvSharedMemoryPayloadOnlyWhenNotInPagemaps() throws {
        let desc = Proto().varint(1, 1).varint(2, 0).varint(3, 0).varint(4, 0).varint(5, 0).varint(6, 0o600).varint(7, 5)
        // Modern: in_pagemaps = true, nothing follows; two entries frame as two (crit swallows the second).
        let modern = Proto().message(1, desc).varint(2, 4096).varint(3, 1)
        let bytes = image([common, 0x4628_3044], [modern, modern])
        #expect(try ImageFile.parse(bytes, fileName: "ipcns-shm-11.img").entries.count == 2)
        // Very old: no in_pagemaps, `size` bytes rounded up to 4 follow.
        let old = Proto().message(1, desc).varint(2, 5)
        let oldBytes = image([common, 0x4628_3044], [(old, [1, 2, 3, 4, 5, 0, 0, 0]), (old, [6, 7, 8, 9, 10, 0, 0, 0])])
        let file = try ImageFile.parse(oldBytes, fileName: "ipcns-shm-11.img")
        #expect(file.entries.map { $0.extra?.byteCount } == [5, 5])
    }

    @Test func bpfMapDataPayload() throws {
        let entry = Proto().varint(1, 4).varint(2, 4).varint(3, 8).varint(4, 1)
        let bytes = image([common, 0x6432_4033], [(entry, [UInt8](repeating: 7, count: 12))])
        #expect(try ImageFile.parse(bytes, fileName: "bpfmap-data.img").entries[0].extra?.byteCount == 12)
    }

    @Test func ghostFileWithChunks() throws {
        let head = Proto().varint(1, 0).varint(2, 0).varint(3, 0o100644).varint(9, 1).varint(10, 20000)
        let chunk1 = Proto().varint(1, 4).varint(2, 0)
        let chunk2 = Proto().varint(1, 2).varint(2, 16384)
        let bytes = image([common, 0x5258_3605], [(head, []), (chunk1, Array("abcd".utf8)), (chunk2, Array("yz".utf8))])
        let file = try ImageFile.parse(bytes, fileName: "ghost-file-2.img")
        #expect(file.entries.map(\.message) == ["ghost_file_entry", "ghost_chunk_entry", "ghost_chunk_entry"])
        #expect(file.entries.map { $0.extra?.byteCount } == [nil, 4, 2])
        let text = try json(bytes, "ghost-file-2.img")
        #expect(text.contains("\"chunks\": true"))
        #expect(text.contains("\"extra\": \"YWJjZA==\\n\""))
        // Unchunked: the rest of the file is the contents.
        let plain = image([common, 0x5258_3605], [(Proto().varint(1, 0).varint(2, 0).varint(3, 0o100644).varint(10, 3), Array("xyz".utf8))])
        #expect(try ImageFile.parse(plain, fileName: "ghost-file-3.img").entries[0].extra?.byteCount == 3)
    }

    @Test func pagemapFirstEntryIsTheHead() throws {
        // A pre-3.5 entry (in_parent, no flags) and a pre-4.2 one (count in field 2 only).
        let bytes = image([common, 0x5608_4025], [Proto().varint(1, 2), Proto().varint(1, 0x1000).varint(2, 3).varint(3, 1), Proto().varint(1, 0x5000).varint(2, 2)])
        let file = try ImageFile.parse(bytes, fileName: "pagemap-1.img")
        #expect(file.entries.map(\.message) == ["pagemap_head", "pagemap_entry", "pagemap_entry"])
        let text = try json(bytes, "pagemap-1.img")
        #expect(text.contains("\"vaddr\": \"0x1000\",\n            \"compat_nr_pages\": 3,\n            \"in_parent\": true"))
    }

    @Test func singleEntryImagesRejectASecondEntry() throws {
        let core: UInt32 = 0x5505_3847
        let bytes = image([common, core], [Proto().varint(1, 1), Proto().varint(1, 1)])
        #expect { try ImageFile.parse(bytes, fileName: "core-1.img") } throws: { error in
            let e = error as? ImageError
            return e?.code == .unexpectedEntryCount && e?.entry == 1 && e?.offset == 14 && e?.file == "core-1.img"
        }
    }

    @Test func unknownFieldsAreSkippedAndPackedRepeatedAccepted() throws {
        // pstree threads packed (field 5) instead of unpacked, plus an unknown field 99.
        let message = Proto().varint(1, 1).varint(2, 0).varint(3, 1).varint(4, 1).packed(5, [1, 7, 8]).varint(99, 5)
        let decoded = try GenericDecoder().decode("pstree_entry", from: message.bytes)
        #expect(decoded["threads"]?.values == [.unsigned(1), .unsigned(7), .unsigned(8)])
        #expect(decoded.unknownFields.map(\.number) == [99])
    }
}
