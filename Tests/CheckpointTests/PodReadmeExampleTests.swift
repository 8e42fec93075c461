import Checkpoint
import Foundation
import Testing
import TestSupport

/// README's `PodCheckpoint` example (section "Pod checkpoints (KEP-5823)"), run on a fixture; the lines
/// between the markers are the README's block line for line, only the path differs.
@Suite struct PodReadmeExampleTests {
    @Test func podExampleRuns() throws {
        var printed: [String] = []
        func print(_ items: Any...) { printed.append(items.map { "\($0)" }.joined(separator: " ")) }
        let path = Fixture.path("pods/containerd-pod-archive.tar")

        // README example begin
        let pod = try PodCheckpoint.open(path)
        print(pod.variant.rawValue, pod.pod.namespace ?? "-", pod.pod.name ?? "-", pod.pod.config?.hostname ?? "-")
        for container in pod.containers {
            let processes = container.checkpoint?.processes.count ?? 0
            print(container.name, container.config?.image ?? "-", processes, container.error?.description ?? "")
        }
        // README example end

        // D keeps no CRI ContainerConfig (its containers are directories of containerd's CRI archive).
        #expect(printed == ["containerd-pod-archive default store store", "web - 4 ", "worker - 4 "])
    }

    @Test func readmeBlockIsTheCodeRunHere() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let block = try #require(ReadmeBlock.swiftBlock(in: readme, section: "## Pod checkpoints (KEP-5823)", importing: "Checkpoint"))
        let test = try String(contentsOfFile: #filePath, encoding: .utf8)
        try ReadmeBlock.expectRunVerbatim(block, in: test,
                                          placeholders: ["\"/var/lib/kubelet/pod-checkpoints/checkpoint-store_default-2026-12-02T11:00:00Z\""])
    }
}
