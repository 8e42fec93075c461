import Checkpoint
import CheckpointAnalysis
import CheckpointArchive
import Foundation
import Testing

/// Damaged and incomplete evidence, built from the real fixtures: archives cut inside every member
/// and at member boundaries, a corrupted byte in every member, a dump directory with stale images
/// from another dump. Every case must open, report what it holds, and say where reading stopped;
/// never crash, hang or refuse what is readable.
@Suite("Partial evidence")
struct PartialEvidenceTests {
    /// The members of a plain tar: name, where its data starts, its size (ustar headers, read here
    /// without libarchive so the test does not trust the code under test).
    static func tarMembers(_ bytes: [UInt8]) -> [(name: String, data: Int, size: Int)] {
        var out: [(String, Int, Int)] = []
        var at = 0
        while at + 512 <= bytes.count {
            let header = bytes[at..<at + 512]
            if header.allSatisfy({ $0 == 0 }) { break }
            let name = String(decoding: header.prefix(100).prefix { $0 != 0 }, as: UTF8.self)
            let sizeText = String(decoding: bytes[at + 124..<at + 136].prefix { $0 != 0 && $0 != 0x20 }, as: UTF8.self)
            let size = Int(sizeText, radix: 8) ?? 0
            out.append((name, at + 512, size))
            at += 512 + (size + 511) / 512 * 512
        }
        return out
    }

    /// Cut inside each member and at each boundary of the plain tar, then gzip and zstd of the cut
    /// tar: the checkpoint opens with the members before the cut, the damage names the member the
    /// cut is in (or none, in a header) and the byte where the file ends, and verify reports it as a
    /// finding.
    @Test(arguments: [("ck-basic", "none"), ("ck-basic", "gzip"), ("ck-basic", "zstd"), ("ck-vol", "none"), ("nfx-ck", "none")])
    func truncatedInsideEveryMemberAndAtEveryBoundary(_ fixture: String, _ compression: String) throws {
        let archive = VerifyFixture.path("podman/\(fixture).none.tar")
        let whole = try VerifyFixture.bytes(URL(fileURLWithPath: archive))
        let members = Self.tarMembers(whole)
        let intact = try Checkpoint.open(archive)
        #expect(members.count == intact.source.members.count)
        let pids = intact.processes.map(\.pid).sorted()
        let lastTaskImage = members.filter { $0.name.hasPrefix("checkpoint/ids-") }.map { $0.data + $0.size }.max() ?? 0
        let temp = FileManager.default.temporaryDirectory.appendingPathComponent("partial-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: temp) }
        var cuts: [(at: Int, member: String?)] = []
        for m in members where m.size > 0 { cuts.append((m.data + m.size / 2, m.name)) }  // inside the data
        for m in members { cuts.append((m.data - 512, nil)) }  // at a boundary: the header is missing
        var opened = 0
        for (k, cut) in cuts.enumerated() where cut.at > 1024 {
            let tar = temp.appendingPathComponent("cut-\(k).tar")
            try VerifyFixture.write(Array(whole[..<cut.at]), tar)
            var path = tar.path
            if compression != "none" {
                path += compression == "gzip" ? ".gz" : ".zst"
                try VerifyFixture.run("/bin/sh", ["-c", "\(compression == "gzip" ? "gzip -c" : "zstd -q -c") '\(tar.path)' > '\(path)'"])
            }
            let c = try Checkpoint.open(path)
            opened += 1
            let damage = try #require(c.damage, "cut at \(cut.at)")
            #expect(damage.code == .truncated, "cut at \(cut.at): \(damage)")
            if compression == "none" {
                #expect(damage.fileOffset == UInt64(cut.at), "cut at \(cut.at): \(damage)")
            } else {
                #expect(damage.streamOffset == UInt64(cut.at), "cut at \(cut.at): \(damage)")
                #expect(damage.fileOffset == UInt64(try VerifyFixture.bytes(URL(fileURLWithPath: path)).count))
            }
            if let member = cut.member {
                #expect(damage.member == member, "cut at \(cut.at): \(damage)")
            } else {
                #expect(damage.member == nil, "cut at \(cut.at): \(damage)")  // between members: the header is what is missing
            }
            #expect(c.warnings.first?.contains(damage.description) == true)
            // Every member wholly before the cut is readable.
            let before = members.filter { $0.data + $0.size <= cut.at && $0.name.hasSuffix(".img") && !$0.name.contains("pages-") }
            for m in before {
                let member = try #require(try c.source.member(named: m.name), "\(m.name) before the cut at \(cut.at)")
                #expect(try c.source.read(member).count == m.size)
            }
            // Processes: from pstree.img when it was read, else reconstructed from the per-task images.
            let pstreeRead = members.contains { $0.name == "checkpoint/pstree.img" && $0.data + $0.size <= cut.at }
            #expect(c.processTree == (pstreeRead ? .pstree : c.processes.isEmpty ? .pstree : .reconstructed), "cut at \(cut.at)")
            if lastTaskImage <= cut.at {
                #expect(c.processes.map(\.pid).sorted() == pids, "cut at \(cut.at)")
            }
            _ = try c.processStrings()
            let report = try Verifier.verify(path)
            #expect(report.findings.contains { $0.id == "archive.damaged" && $0.image == damage.member }, "cut at \(cut.at)")
        }
        #expect(opened > 2 * members.count - 20)
    }

    /// One byte flipped in the data of every member of the plain tar: the archive still opens, the
    /// member's image is reported unreadable or decodes, and nothing else is lost.
    @Test(arguments: ["ck-basic", "ck-vol", "nfx-ck"])
    func corruptedByteInEveryMember(_ fixture: String) throws {
        let archive = VerifyFixture.path("podman/\(fixture).none.tar")
        let whole = try VerifyFixture.bytes(URL(fileURLWithPath: archive))
        let processes = try Checkpoint.open(archive).processes.count
        let temp = FileManager.default.temporaryDirectory.appendingPathComponent("partial-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: temp) }
        var unreadable = 0
        for (k, m) in Self.tarMembers(whole).enumerated() where m.size > 0 {
            var bytes = whole
            bytes[m.data + min(m.size - 1, 9)] ^= 0xff
            let path = temp.appendingPathComponent("bad-\(k).tar").path
            try VerifyFixture.write(bytes, URL(fileURLWithPath: path))
            let c = try Checkpoint.open(path)
            #expect(c.damage == nil, "\(m.name)")
            #expect(c.processes.count == processes, "\(m.name): a damaged member hides no process")
            if let error = c.unreadableImages[m.name] {
                unreadable += 1
                #expect(error.contains(m.name), "\(m.name): \(error)")
                #expect(c.warnings.contains(error))
            }
            _ = try c.processStrings()
            _ = try Verifier.verify(path)
        }
        #expect(unreadable > 5)
    }

    /// A dump directory with images of another dump copied in (a shared-memory pagemap claiming the
    /// process's own pages file, one whose pages file is absent, an ids image of a pid not in the
    /// tree): verify names them as stale and does not call the process's consistent pagemap broken.
    @Test func staleImagesFromAnotherDump() throws {
        let dir = try VerifyFixture.copy("raw/marker-static")
        defer { VerifyFixture.remove(dir) }
        for name in ["pagemap-shmem-161.img", "pagemap-shmem-162.img", "ids-23431.img"] {
            try FileManager.default.copyItem(atPath: VerifyFixture.path("raw/fds-sockets/\(name)"), toPath: dir.appendingPathComponent(name).path)
        }
        let report = try Verifier.verify(dir.path)
        #expect(report.errors.isEmpty, "\(report.errors.map(\.message))")
        let stale = report.findings.filter { $0.id == "image.stale" }
        #expect(stale.map(\.image) == ["ids-23431.img", "pagemap-shmem-161.img", "pagemap-shmem-162.img"])
        #expect(stale.allSatisfy { $0.severity == .warning })
        // fds-sockets' shmem 161 has pages_id 1, like marker-static's process.
        #expect(stale[1].message.contains("it claims pages-1.img like pagemap-28716.img (pages_id 1)"), "\(stale[1].message)")
        #expect(stale[2].message.contains("its pages file pages-2.img is absent too"), "\(stale[2].message)")
        #expect(!report.findings.contains { $0.id == "pagemap.pages.extra" })
        // The original directory has none of these.
        #expect(try Verifier.verify(VerifyFixture.path("raw/marker-static")).findings.filter { $0.id == "image.stale" }.isEmpty)
    }
}
