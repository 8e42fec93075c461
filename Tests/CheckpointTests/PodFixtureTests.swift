import CheckpointArchive
import Foundation
import Testing

/// Fixtures/pods is exactly what Scripts/make-pod-fixtures.py writes from the real checkpoints.
@Suite struct PodFixtureTests {
    static func files(under root: URL) throws -> [String: Data] {
        var out: [String: Data] = [:]
        let base = root.standardizedFileURL.path
        let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
        while let url = walker?.nextObject() as? URL {
            guard try url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile == true else { continue }
            let path = url.standardizedFileURL.path
            out[String(path.dropFirst(base.count + 1))] = try Data(contentsOf: url)
        }
        return out
    }

    @Test func committedFixturesAreWhatTheScriptWrites() throws {
        let dir = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = Fixture.root.deletingLastPathComponent().appendingPathComponent("Scripts/make-pod-fixtures.py").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", script, dir.path]
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let written = try Self.files(under: dir)
        var committed = try Self.files(under: Fixture.root.appendingPathComponent("pods"))
        committed.removeValue(forKey: "README.md")
        #expect(written.keys.sorted() == committed.keys.sorted())
        for (name, data) in written { #expect(committed[name] == data, "\(name) differs from the script's output") }
        #expect(written.count == 18)
    }

    @Test func sha256() throws {
        // FIPS 180-4 examples, and a file against sha256sum.
        #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        let data = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Fixture.path("podman/ck-basic.none.tar"))))
        var hasher = SHA256()
        // Odd-sized pieces cross block boundaries.
        var offset = 0
        for size in [1, 63, 64, 65, 1000, 4096] where offset < data.count {
            let end = min(data.count, offset + size)
            data[offset..<end].withUnsafeBytes { hasher.update($0) }
            offset = end
        }
        data[offset...].withUnsafeBytes { hasher.update($0) }
        let shaSum = try Fixture.run("/usr/bin/sha256sum", [Fixture.path("podman/ck-basic.none.tar")])
        #expect(hasher.finalizeHex() == String(shaSum.prefix(64)))
    }
}
