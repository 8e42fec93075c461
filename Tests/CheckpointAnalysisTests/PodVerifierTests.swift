import CheckpointAnalysis
import Checkpoint
import Foundation
import Testing

/// `verify` of pod checkpoints: clean on every fixture of Fixtures/pods, and each kind of damage is
/// found, naming the manifest field or the archive.
@Suite struct PodVerifierTests {
    static let variants = ["pods/cri-o-manifest-v1", "pods/containerd-manifest-v2", "pods/containerd-manifest-v1", "pods/containerd-prototype",
                           "pods/cri-o-pod-archive.tar", "pods/containerd-pod-archive.tar"]
    static let webArchiveA = "containers/0f5f644edcef7ec657bd7aa0a8b54ab02d618b0c6a61c541d667f2bc65c8e7ea.tar"
    static let workerArchiveB = "container-043b29d32956ab44820a87807b918248c39b6067b419ab442b4fe79deb8ed190.tar"

    @Test(arguments: variants)
    func untouchedFixturesAreClean(_ fixture: String) throws {
        let report = try PodVerifier.verify(VerifyFixture.path(fixture))
        #expect(report.findings.isEmpty, "\(report.findings.map { "\($0.id) \($0.location ?? "") \($0.message)" })")
        #expect(report.containers.map(\.name) == ["web", "worker"])
        #expect(report.containers.allSatisfy { $0.report?.isClean == true })
        #expect(report.isClean)
        #expect(report.checks.contains("pod.container.name.duplicate") && report.checks.contains("pod.file.type"))
        if fixture.hasSuffix("cri-o-manifest-v1") { #expect(report.checks.contains("pod.archive.sha256")) }
        if fixture.hasSuffix("containerd-manifest-v2") { #expect(report.checks.contains("pod.oci.digest")) }
    }

    /// Verifies a copy of `fixture` after `damage`, and returns the pod findings with `id`.
    static func findings(_ fixture: String, _ id: String, _ damage: (URL) throws -> Void) throws -> [Finding] {
        let copy = try VerifyFixture.copy(fixture)
        defer { VerifyFixture.remove(copy) }
        try VerifyFixture.run("/bin/chmod", ["-R", "u+w", copy.path])
        try damage(copy)
        let report = try PodVerifier.verify(copy.path)
        #expect(!report.isClean)
        return report.findings.filter { $0.id == id }
    }

    static func edit(_ url: URL, _ change: (String) -> String) throws {
        let text = try String(contentsOf: url, encoding: .utf8)
        let changed = change(text)
        #expect(changed != text, "the edit changed nothing")
        try changed.write(to: url, atomically: false, encoding: .utf8)
    }

    static func manifest(_ dir: URL) -> URL { dir.appendingPathComponent("checkpoint-manifest.json") }

    @Test func aOneByteChangeInAnArchiveIsCaughtByItsDigest() throws {
        let found = try Self.findings("pods/cri-o-manifest-v1", "pod.archive.sha256") { dir in
            let url = dir.appendingPathComponent(Self.webArchiveA)
            var bytes = try VerifyFixture.bytes(url)
            bytes[300_000] ^= 0x01  // inside checkpoint/pages-1.img
            try VerifyFixture.write(bytes, url)
        }
        #expect(found.count == 1)
        #expect(found.first?.image == Self.webArchiveA)
        #expect(found.first?.field == "containers[0].sha256")
        #expect(found.first?.message.contains("the manifest records c3737decfd89e52b3644fe1dc7cfa0dd8d4f713f5f03e0c238364d438b1c7e4a") == true)
    }

    @Test func aOneByteChangeInABlobIsCaughtByItsDigest() throws {
        let found = try Self.findings("pods/containerd-manifest-v2", "pod.oci.digest") { dir in
            let url = dir.appendingPathComponent(Self.workerArchiveB)
            var bytes = try VerifyFixture.bytes(url)
            bytes[200_000] ^= 0x01  // inside the CRIU tar blob
            try VerifyFixture.write(bytes, url)
        }
        #expect(found.count == 1)
        #expect(found.first?.image?.hasPrefix(Self.workerArchiveB + ": blobs/sha256/") == true)
    }

    @Test func strictJSON() throws {
        let unknown = try Self.findings("pods/containerd-manifest-v1", "pod.json.unknown-field") { dir in
            try Self.edit(Self.manifest(dir)) { $0.replacingOccurrences(of: "{\"name\":\"worker\"", with: "{\"name\":\"worker\",\"sha256\":\"00\"") }
        }
        #expect(unknown.map(\.field) == ["containers[1].sha256"])
        #expect(unknown.first?.image == "checkpoint-manifest.json")
        let duplicate = try Self.findings("pods/containerd-manifest-v1", "pod.json") { dir in
            try Self.edit(Self.manifest(dir)) { $0.replacingOccurrences(of: "{\"version\":1,", with: "{\"version\":1,\"version\":1,") }
        }
        #expect(duplicate.map(\.field) == ["version"])
        #expect(duplicate.first?.message == "not strict JSON: duplicate key \"version\" (the last one is used)")
        #expect(duplicate.first?.offset == 13)  // the second key, after {"version":1,
        let trailing = try Self.findings("pods/containerd-prototype", "pod.json") { dir in
            try Self.edit(Self.manifest(dir)) { $0 + "{}" }
        }
        #expect(trailing.first?.message == "not strict JSON: data after the JSON value")
        let type = try Self.findings("pods/cri-o-manifest-v1", "pod.json.type") { dir in
            try Self.edit(Self.manifest(dir)) { $0.replacingOccurrences(of: "\"runtimeHandler\":\"runc\"", with: "\"runtimeHandler\":7") }
        }
        #expect(type.map(\.field) == ["runtimeHandler"])
    }

    @Test func namesAndIds() throws {
        let names = try Self.findings("pods/containerd-manifest-v1", "pod.container.name.duplicate") { dir in
            try Self.edit(Self.manifest(dir)) { $0.replacingOccurrences(of: "\"name\":\"worker\"", with: "\"name\":\"web\"") }
        }
        #expect(names.map(\.field) == ["containers[1].name"])
        #expect(names.first?.message == "name \"web\" is also containers[0]'s")
        let ids = try Self.findings("pods/containerd-manifest-v1", "pod.container.id.duplicate") { dir in
            try Self.edit(Self.manifest(dir)) {
                $0.replacingOccurrences(of: "874d90fabc16c5ea61fc4189c0756d2b1674f8e7629d1206bdbe0dd96d9ce08a", with: "cbb1ca0618920b2e6f822c1615e01149e02d40258aa3ac95274e4d1e58b26969")
            }
        }
        #expect(ids.map(\.field) == ["containers[1].id"])
        let empty = try Self.findings("pods/containerd-manifest-v1", "pod.container.name") { dir in
            try Self.edit(Self.manifest(dir)) { $0.replacingOccurrences(of: "\"name\":\"worker\"", with: "\"name\":\"\"") }
        }
        #expect(empty.map(\.field) == ["containers[1].name"])
    }

    @Test func archiveNamesAreDerivedFromIds() throws {
        let found = try Self.findings("pods/containerd-manifest-v1", "pod.archive.name") { dir in
            // Both the manifest and the file say container-worker.tar: the name no longer derives from the id.
            try FileManager.default.moveItem(at: dir.appendingPathComponent(Self.workerArchiveB), to: dir.appendingPathComponent("container-worker.tar"))
            try Self.edit(Self.manifest(dir)) { $0.replacingOccurrences(of: Self.workerArchiveB, with: "container-worker.tar") }
        }
        #expect(found.map(\.field) == ["containers[1].archive"])
        #expect(found.first?.message == "archive \"container-worker.tar\" is not the name derived from the id, \(Self.workerArchiveB)")
        let missing = try Self.findings("pods/containerd-manifest-v1", "pod.archive.missing") { dir in
            try FileManager.default.removeItem(at: dir.appendingPathComponent(Self.workerArchiveB))
        }
        #expect(missing.map(\.image) == [Self.workerArchiveB])
    }

    @Test func noSymbolicLinks() throws {
        let found = try Self.findings("pods/containerd-prototype", "pod.file.type") { dir in
            let archive = dir.appendingPathComponent("container-worker.tar")
            try FileManager.default.moveItem(at: archive, to: dir.appendingPathComponent("elsewhere.tar"))
            try FileManager.default.createSymbolicLink(atPath: archive.path, withDestinationPath: "elsewhere.tar")
        }
        #expect(found.map(\.image) == ["container-worker.tar"])
        #expect(found.first?.message.hasPrefix("a symbolic link to elsewhere.tar") == true)
    }

    @Test func namesOutsideTheDirectory() throws {
        let dir = try VerifyFixture.copy("pods/containerd-pod-archive.tar").deletingLastPathComponent()
        defer { try? FileManager.default.removeItem(at: dir) }
        let tar = dir.appendingPathComponent("containerd-pod-archive.tar").path
        // Appends a member named ../escape (GNU tar would strip the ..; Python's tarfile writes it as given).
        try VerifyFixture.run("/usr/bin/env", ["python3", "-c", """
            import io, tarfile, sys
            with tarfile.open(sys.argv[1], 'a') as t:
                info = tarfile.TarInfo('../escape'); info.size = 2
                t.addfile(info, io.BytesIO(b'hi'))
            """, tar])
        let report = try PodVerifier.verify(tar)
        #expect(report.findings.filter { $0.id == "pod.path.outside" }.map(\.image) == ["../escape"])
    }

    @Test func versionsRuntimeAndCounts() throws {
        // An unknown version or runtime is no variant a reader reads: the pod is not opened.
        let version = try Self.findings("pods/containerd-manifest-v2", "pod.variant") { dir in
            try Self.edit(Self.manifest(dir)) { $0.replacingOccurrences(of: "{\"version\":2,", with: "{\"version\":3,") }
        }
        #expect(version.first?.image == "checkpoint-manifest.json")
        #expect(version.first?.message.hasPrefix("unknown pod checkpoint manifest: version 3") == true)
        let runtime = try Self.findings("pods/cri-o-manifest-v1", "pod.variant") { dir in
            try Self.edit(Self.manifest(dir)) { $0.replacingOccurrences(of: "\"runtime\":\"cri-o\"", with: "\"runtime\":\"crio\"") }
        }
        #expect(runtime.count == 1)
        let none = try Self.findings("pods/containerd-manifest-v1", "pod.containers.count") { dir in
            try "{\"version\":1,\"sandboxId\":\"x\",\"containers\":[]}".write(to: Self.manifest(dir), atomically: false, encoding: .utf8)
        }
        #expect(none.map(\.field) == ["containers"])
        let sandbox = try Self.findings("pods/containerd-manifest-v1", "pod.sandbox-id") { dir in
            try Self.edit(Self.manifest(dir)) { $0.replacingOccurrences(of: "\"sandboxId\":\"1add16e9e1aec93ac6fb02747bcd025a7db2180ada88e8d6fda2c01d53b1d931\"", with: "\"sandboxId\":\"\"") }
        }
        #expect(sandbox.map(\.field) == ["sandboxId"])
        let podOptions = try Self.findings("pods/cri-o-pod-archive.tar", "pod.variant") { tar in
            // pod.options version 2, rewritten in place (same length).
            var bytes = try VerifyFixture.bytes(tar)
            let needle = Array("\"version\": 1".utf8)
            let at = try #require((0..<bytes.count - needle.count).first { Array(bytes[$0..<$0 + needle.count]) == needle })
            bytes[at + needle.count - 1] = UInt8(ascii: "2")
            try VerifyFixture.write(bytes, tar)
        }
        #expect(podOptions.first?.image == "pod.options")
    }

    @Test func sizeLimits() throws {
        // CRI-O's reader bounds every JSON file by 4 MiB: a 5 MiB manifest still opens (containerd allows 16) but fails.
        let crio = try Self.findings("pods/cri-o-manifest-v1", "pod.size") { dir in
            try Self.edit(Self.manifest(dir)) { $0 + String(repeating: " ", count: 5 << 20) }
        }
        #expect(crio.first?.message.hasSuffix("is over the 4194304-byte limit of the cri-o reader") == true)
        let containerd = try Self.findings("pods/containerd-manifest-v2", "pod.size") { dir in
            try Self.edit(Self.manifest(dir)) { $0 + String(repeating: " ", count: 16 << 20) }
        }
        #expect(containerd.first?.message.hasSuffix("bytes is over the limit of 16777216 bytes") == true)
    }

    @Test func configsAndStatuses() throws {
        let config = try Self.findings("pods/cri-o-manifest-v1", "pod.container.config") { dir in
            try Self.edit(Self.manifest(dir)) { text in
                // containers[1]'s config becomes null.
                let start = text.range(of: "\"config\":", options: .backwards)!.upperBound
                return String(text[..<start]) + "null}]}"
            }
        }
        #expect(config.map(\.field) == ["containers[1].config"])
        let name = try Self.findings("pods/containerd-manifest-v2", "pod.container.config") { dir in
            try Self.edit(Self.manifest(dir)) { $0.replacingOccurrences(of: "\"config\":{\"metadata\":{\"name\":\"worker\"}", with: "\"config\":{\"metadata\":{\"name\":\"other\"}") }
        }
        #expect(name.map(\.field) == ["containers[1].config.metadata.name"])
        let status = try Self.findings("pods/containerd-manifest-v2", "pod.container.status") { dir in
            try Self.edit(Self.manifest(dir)) {
                $0.replacingOccurrences(of: "\"status\":{\"id\":\"874d90fabc16c5ea61fc4189c0756d2b1674f8e7629d1206bdbe0dd96d9ce08a\"", with: "\"status\":{\"id\":\"abc\"")
                    .replacingOccurrences(of: "\"image_ref\":\"sha256:a00ccab1a1275a9e687c5bd48f81815fa388219b4c0742257e9d5595bd809dbc\"", with: "\"image_ref\":\"localhost/bb:latest\"")
            }
        }
        #expect(status.map(\.field).sorted { ($0 ?? "") < ($1 ?? "") } == ["containers[0].status.image_ref", "containers[1].status.id"])
        let podConfig = try Self.findings("pods/containerd-prototype", "pod.pod-config") { dir in
            try FileManager.default.removeItem(at: dir.appendingPathComponent("pod-config.json"))
        }
        #expect(podConfig.map(\.image) == ["pod-config.json"])
    }

    @Test func containerLayoutAndDirectories() throws {
        // containerd's layout: a symbolic link entry in a container's OCI tar.
        let entry = try Self.findings("pods/containerd-manifest-v2", "pod.oci.entry") { dir in
            let scratch = dir.deletingLastPathComponent()
            try FileManager.default.createSymbolicLink(atPath: scratch.appendingPathComponent("link").path, withDestinationPath: "/etc/passwd")
            try VerifyFixture.run("/usr/bin/tar", ["-rf", dir.appendingPathComponent(Self.workerArchiveB).path, "-C", scratch.path, "link"])
        }
        #expect(entry.map(\.image) == [Self.workerArchiveB + ": link"])
        // A pod tar whose pod.options names a directory that is not there.
        let directory = try Self.findings("pods/cri-o-pod-archive.tar", "pod.options.directory") { tar in
            var bytes = try VerifyFixture.bytes(tar)
            let needle = Array("-k8s_worker_store".utf8)
            // The first occurrence is pod.options' value (it comes before the directories).
            let at = try #require((0..<bytes.count - needle.count).first { Array(bytes[$0..<$0 + needle.count]) == needle })
            bytes[at + 5] = UInt8(ascii: "W")
            try VerifyFixture.write(bytes, tar)
        }
        #expect(directory.first?.field == "containers.worker")
        #expect(directory.first?.message.hasSuffix("-k8s_Worker_store_default_7b3c1e52-6f0a-4d2b-9c1e-2a4f5b6c7d8e_0\" is not a directory of the pod checkpoint") == true)
    }
}
