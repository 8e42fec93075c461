import Foundation
import Testing
@testable import CheckpointArchive

/// Truncates and corrupts the fixtures at many offsets: every case must end in a correct
/// result or an ArchiveError, never a crash, a hang or a wrong-but-silent member list.
@Suite("Sweeps")
struct SweepTests {
    static let archives = ["ck-basic.none.tar", "ck-basic.gzip.tar.gz", "ck-basic.zstd.tar.zst"]

    @Test(arguments: archives)
    func truncationAtManyOffsets(_ name: String) throws {
        let temp = try TempDir()
        defer { temp.cleanup() }
        let whole = try readFile(Fixture.podman(name))
        let step = max(1, whole.count / 150)
        var outcomes: [ArchiveError.Code: Int] = [:]
        for cut in stride(from: 0, to: whole.count, by: step) {
            let path = try temp.write("cut", Array(whole[..<cut]))
            do {
                let source = try CheckpointSource.open(path: path)
                // A tar cut exactly at a member boundary may list a prefix of the members; a cut
                // elsewhere keeps the members before it and records where reading stopped.
                #expect(source.members.count <= basicListing.count)
                #expect(source.members.map(\.path) == basicListing.prefix(source.members.count).map(\.0), "cut at \(cut)")
                if let damage = source.damage {
                    outcomes[damage.code, default: 0] += 1
                    #expect([.truncated, .corrupt].contains(damage.code), "cut at \(cut): \(damage)")
                    #expect(damage.fileOffset <= UInt64(cut), "cut at \(cut): \(damage)")
                }
                if let inventory = try source.image(named: "inventory.img"), source.availableSize(of: inventory) == 86 {
                    #expect(try source.read(inventory).count == 86)
                }
            } catch {
                outcomes[error.code, default: 0] += 1
                #expect([.truncated, .notAnArchive, .corrupt].contains(error.code), "cut at \(cut): \(error)")
            }
        }
        #expect(outcomes[.truncated, default: 0] > 100)
    }

    @Test(arguments: archives)
    func corruptionAtManyOffsets(_ name: String) throws {
        let temp = try TempDir()
        defer { temp.cleanup() }
        let whole = try readFile(Fixture.podman(name))
        let step = max(1, whole.count / 150)
        for at in stride(from: 0, to: whole.count, by: step) {
            var bytes = whole
            for i in at..<min(whole.count, at + 16) { bytes[i] = ~bytes[i] }
            let path = try temp.write("bad", bytes)
            do {
                let source = try CheckpointSource.open(path: path)
                for member in source.members where member.kind == .file && member.size <= 1 << 20 {
                    _ = try? source.read(member)
                }
            } catch {
                #expect(error.code != .io, "corrupt at \(at): \(error)")
            }
        }
    }
}
