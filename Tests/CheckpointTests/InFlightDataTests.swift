@testable import Checkpoint
import CheckpointArchive
import CRIUImages
import Foundation
import Testing

/// In-flight data against crit's JSON of the same images (its base64 `extra` payloads), the
/// programs that wrote it (Fixtures/programs/fds.c) and the fixture notes.
@Suite struct InFlightDataTests {
    /// crit's decoded entries of an image of a fixture.
    static func critEntries(_ fixture: String, _ image: String) throws -> [[String: Any]] {
        let url = Fixture.root.appendingPathComponent("crit-json/\((fixture as NSString).lastPathComponent)/\(image).json")
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
        return object?["entries"] as? [[String: Any]] ?? []
    }

    static func base64(_ value: Any?) -> [UInt8] {
        guard let text = value as? String else { return [] }
        return Array(Data(base64Encoded: text.replacingOccurrences(of: "\n", with: "")) ?? Data())
    }

    /// Every source's bytes, by id, read with the given chunk size.
    static func bytes(_ c: Checkpoint, chunkSize: Int = 1 << 20) throws -> [String: [UInt8]] {
        let sources = try c.inFlightData()
        var out: [String: [UInt8]] = [:]
        for s in sources { out[s.id] = Array(repeating: 0, count: Int(s.length)) }
        try c.streamInFlightData(sources, chunkSize: chunkSize) { index, offset, chunk in
            out[sources[index].id]!.replaceSubrange(Int(offset)..<Int(offset) + chunk.count, with: chunk)
        }
        return out
    }

    /// Each TCP queue, pipe buffer, socket queue and ghost file holds exactly crit's payload bytes.
    @Test(arguments: ["raw/fds-sockets", "raw/forensic"])
    func sourcesHoldCritsPayloads(fixture: String) throws {
        let c = try Checkpoint.open(Fixture.path(fixture))
        let sources = try c.inFlightData()
        let data = try Self.bytes(c)
        var expected: [String: [UInt8]] = [:]
        let images = try FileManager.default.contentsOfDirectory(atPath: Fixture.path("crit-json/\((fixture as NSString).lastPathComponent)")).filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }
        for image in images {
            let entries = try Self.critEntries(fixture, image)
            if image.hasPrefix("tcp-stream-"), let inode = UInt32(image.dropFirst("tcp-stream-".count).dropLast(4), radix: 16) {
                let extra = entries.first?["extra"] as? [String: Any]
                expected["tcp-recv-queue:\(inode)"] = Self.base64(extra?["inq"])
                expected["tcp-send-queue:\(inode)"] = Self.base64(extra?["outq"])
            } else if image == "pipes-data.img" {
                for e in entries { expected["pipe:\(e["pipe_id"] as! Int)"] = Self.base64(e["extra"]) }
            } else if image.hasPrefix("ghost-file-"), let id = Int(image.dropFirst("ghost-file-".count).dropLast(4)) {
                var content: [UInt8] = []
                if entries.first?["chunks"] as? Bool == true {
                    content = Array(repeating: 0, count: entries.first?["size"] as? Int ?? 0)
                    for chunk in entries.dropFirst() {
                        let off = chunk["off"] as! Int, bytes = Self.base64(chunk["extra"])
                        content.replaceSubrange(off..<off + bytes.count, with: bytes)
                    }
                } else {
                    content = Self.base64(entries.first?["extra"])
                }
                expected["ghost-file:\(id)"] = content
            } else if image == "sk-queues.img" {
                // In order: one source per socket, its messages concatenated.
                var order: [Int] = []
                var queued: [Int: [UInt8]] = [:]
                for e in entries {
                    let id = e["id_for"] as! Int
                    if queued[id] == nil { order.append(id) }
                    queued[id, default: []] += Self.base64(e["extra"])
                }
                let queues = sources.filter { $0.kind == .socketQueue }
                #expect(queues.count == order.count)
                for (s, id) in zip(queues, order) { expected[s.id] = queued[id] }
            }
        }
        #expect(!expected.isEmpty)
        for (id, bytes) in expected {
            #expect(data[id] == bytes, "\(fixture) \(id)")
            #expect(sources.first { $0.id == id }?.length == UInt64(bytes.count), "\(fixture) \(id)")
        }
        // Nothing listed that crit does not know, but memfds (checked against memory below).
        #expect(Set(sources.filter { $0.kind != .memfd }.map(\.id)) == Set(expected.keys))
    }

    /// fds-sockets: every source is named by its kind, holder and endpoints as the program and `ss`
    /// in notes/fds-sockets.txt describe it, with the bytes fds.c wrote.
    @Test func fdsSocketsSourcesAreNamedAndHoldTheirBytes() throws {
        let c = try Checkpoint.open(Fixture.path("raw/fds-sockets"))
        let sources = try c.inFlightData()
        let data = try Self.bytes(c)
        func source(_ id: String) -> InFlightData? { sources.first { $0.id == id } }
        // notes: fd 15 -> socket:[46842] (client, 127.0.0.1:44724 -> :47001), fd 16 -> socket:[46843] (accepted).
        #expect(source("tcp-recv-queue:46842")?.name == "tcp receive queue, fd 15 of pid 23431, 127.0.0.1:44724 -> 127.0.0.1:47001")
        #expect(data["tcp-recv-queue:46842"] == Array("TCP-SERVER-TO-CLIENT".utf8))
        #expect(source("tcp-recv-queue:46843")?.name == "tcp receive queue, fd 16 of pid 23431, 127.0.0.1:47001 -> 127.0.0.1:44724")
        #expect(data["tcp-recv-queue:46843"] == Array("TCP-CLIENT-TO-SERVER-INFLIGHT".utf8))
        #expect(source("tcp-send-queue:46842")?.length == 0)
        // fd 7 and 8 -> pipe:[46835].
        #expect(source("pipe:46835")?.holders.map(\.fd) == [7, 8])
        #expect(data["pipe:46835"] == Array("PIPE-DATA-IN-FLIGHT".utf8))
        // fd 10 -> socket:[46837] (stream end B), fd 11 -> socket:[46838] (dgram end A).
        #expect(source("socket-queue:46837")?.holders == [.init(pid: 23431, fd: 10, role: .fd)])
        #expect(source("socket-queue:46837")?.packets == 1)
        #expect(data["socket-queue:46837"] == Array("UNIX-SOCKPAIR-QUEUED".utf8))
        #expect(data["socket-queue:46838"] == Array("UNIX-DGRAM-QUEUED".utf8))
        // fd 6: deleted.txt, unlinked after writing 26 bytes.
        #expect(source("ghost-file:1")?.path == "/tmp/fxrun/fdswork/deleted.txt")
        #expect(source("ghost-file:1")?.holders.first == .init(pid: 23431, fd: 6, role: .fd))
        #expect(data["ghost-file:1"] == Array("DELETED-FILE-CONTENT-CKPT\n".utf8))
        // fd 23: memfd 'ckpt-memfd' with 18 bytes, also mapped at 0x7f8c0070f000 (inode 161).
        let memfd = try #require(source("memfd:161"))
        #expect(memfd.path == "/memfd:ckpt-memfd" && memfd.length == 18)
        #expect(memfd.holders.contains(.init(pid: 23431, fd: 23, role: .fd)) && memfd.holders.contains(.init(pid: 23431, fd: nil, role: .mapping)))
        #expect(data["memfd:161"] == Array("MEMFD-CONTENT-CKPT".utf8))
        #expect(try c.readMemory(pid: 23431, address: 0x7f8c_0070_f000, length: 18).first?.bytes == data["memfd:161"])
        // The shared anonymous mapping (/dev/zero, shmid 162) is memory, not a memfd.
        #expect(source("memfd:162") == nil)
    }

    /// forensic: the deleted executable's ghost file and the fileless program's memfd (notes (b)),
    /// and the reverse shell's empty queues (notes (c)).
    @Test func forensicGhostMemfdAndQueues() throws {
        let c = try Checkpoint.open(Fixture.path("raw/forensic"))
        let sources = try c.inFlightData()
        let ghost = try #require(sources.first { $0.kind == .ghostFile })
        #expect(ghost.path == "/tmp/newfx/run/dev/dev-vanish" && ghost.length == 16384)
        #expect(ghost.holders.contains(.init(pid: 7059, fd: nil, role: .executable)))
        #expect(ghost.name == "ghost file, exe of pid 7059, /tmp/newfx/run/dev/dev-vanish (deleted)")
        let memfd = try #require(sources.first { $0.kind == .memfd })
        #expect(memfd.id == "memfd:4918" && memfd.length == 762480 && memfd.path == "/memfd:dev-fileless-pl")
        #expect(memfd.holders.contains(.init(pid: 7050, fd: nil, role: .executable)))
        // The memfd holds the program pid 7050 runs: its r-xp mapping at 0x401000 is file offset 0x1000.
        let bytes = try c.readInFlightData(memfd)
        #expect(Array(bytes.prefix(8)) == [0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x03])
        let code = try c.readMemory(pid: 7050, address: 0x401000, length: 0x4000)
        #expect(code.count == 1 && code[0].bytes == Array(bytes[0x1000..<0x5000]))
        let queues = sources.filter { $0.kind == .tcpReceiveQueue || $0.kind == .tcpSendQueue }
        #expect(queues.map(\.id) == ["tcp-recv-queue:70072", "tcp-send-queue:70072"])
        #expect(queues.allSatisfy { $0.length == 0 && $0.localEndpoint == "127.0.0.1:47714" && $0.remoteEndpoint == "127.0.0.1:41234" })
        #expect(queues[0].holders.map { "\($0.pid):\($0.fd!)" } == ["7064:0", "7064:1", "7064:2", "7095:0", "7095:1", "7095:2"])
    }

    /// Chunks of 7 bytes, and a gzip archive of the same images (one pass), give the same bytes.
    @Test func smallChunksAndCompressedArchivesGiveTheSameBytes() throws {
        let c = try Checkpoint.open(Fixture.path("raw/fds-sockets"))
        let expected = try Self.bytes(c)
        #expect(try Self.bytes(c, chunkSize: 7) == expected)
        let dir = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let archive = dir.appendingPathComponent("fds.tar.gz").path
        try Fixture.run("/usr/bin/env", ["tar", "-C", Fixture.path("raw/fds-sockets"), "-czf", archive, "."])
        let gz = try Checkpoint.open(archive)
        #expect(!gz.source.isSeekable)
        #expect(try Self.bytes(gz) == expected)
        #expect(try gz.inFlightData().map(\.name) == c.inFlightData().map(\.name))
    }

    /// search's in-flight pass finds what the programs queued, names its source, leaves out
    /// memfds the memory pass covers, and honours pids.
    @Test func searchCoversInFlightData() throws {
        let c = try Checkpoint.open(Fixture.path("raw/fds-sockets"))
        let text = "TCP-CLIENT-TO-SERVER-INFLIGHT"
        let hits = try MemorySearch(pattern: .bytes(Array("INFLIGHT".utf8))).runInFlight(in: c)
        #expect(hits.map(\.source.id) == ["tcp-recv-queue:46843"])
        #expect(hits.first?.offset == UInt64(text.utf8.count - "INFLIGHT".count))
        let regex = try MemorySearch(pattern: .regex("UNIX-[A-Z]+-QUEUED")).runInFlight(in: c)
        #expect(regex.map { String(decoding: $0.match, as: UTF8.self) } == ["UNIX-SOCKPAIR-QUEUED", "UNIX-DGRAM-QUEUED"])
        // The memfd is mapped by pid 23431: the memory pass finds it as shmem 161, not this one.
        #expect(try MemorySearch(pattern: .bytes(Array("MEMFD-CONTENT".utf8))).runInFlight(in: c).isEmpty)
        #expect(try MemorySearch(pattern: .bytes(Array("PIPE-DATA".utf8)), pids: [1]).runInFlight(in: c).isEmpty)
        #expect(try MemorySearch(pattern: .bytes(Array("PIPE-DATA".utf8)), pids: [23431]).runInFlight(in: c).count == 1)
        let limited = try MemorySearch(pattern: .regex("[A-Z]+"), maxHits: 3).runInFlight(in: c)
        #expect(limited.count == 3)
        let forensic = try Checkpoint.open(Fixture.path("raw/forensic"))
        let elf = try MemorySearch(pattern: .bytes([0x7f, 0x45, 0x4c, 0x46])).runInFlight(in: forensic)
        #expect(elf.map(\.source.id) == ["ghost-file:1"] && elf.first?.offset == 0)
    }
}

/// Damaged in-flight images: every truncation of the images that say where the data is either
/// still lists what can be read or fails with an error naming the image; never a crash, never
/// bytes from past the end.
@Suite struct InFlightDamageTests {
    @Test(arguments: ["pipes-data.img", "sk-queues.img", "tcp-stream-b6fb.img", "ghost-file-1.img"])
    func truncatedImages(image: String) throws {
        let dir = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Fixture.run("/bin/cp", ["-a", Fixture.path("raw/fds-sockets"), dir.path])
        let copy = dir.appendingPathComponent("fds-sockets")
        let original = try Data(contentsOf: copy.appendingPathComponent(image))
        var failures = 0
        for length in 0..<original.count {
            try original.prefix(length).write(to: copy.appendingPathComponent(image))
            let c: Checkpoint
            do { c = try Checkpoint.open(copy.path) } catch { continue }
            do {
                let sources = try c.inFlightData()
                try c.streamInFlightData(sources) { index, offset, bytes in
                    #expect(offset + UInt64(bytes.count) <= sources[index].length)
                }
            } catch let error as CheckpointError {
                failures += 1
                #expect(error.file?.hasSuffix(image) == true, "\(image) cut at \(length): \(error)")
            }
        }
        #expect(failures > 0)
    }
}
