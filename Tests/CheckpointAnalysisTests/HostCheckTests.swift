import CheckpointAnalysis
import Foundation
import Testing

@Suite struct HostCheckTests {
    /// `--host` on this machine: the facts it compared, and the test programs' binaries as they are here.
    @Test func thisMachine() throws {
        let host = HostEnvironment.probe()
        #expect(host.node.architecture == "x86_64")
        #expect(host.node.pageSize == 4096)
        let release = try #require(host.node.kernelRelease)
        #expect(!release.isEmpty)
        let report = try Verifier.verify(VerifyFixture.path("raw/marker-static"), options: .init(host: host))
        let h = try #require(report.host)
        func fact(_ key: String) -> Fact? { report.facts.first { $0.key == key } }
        #expect(fact("host architecture")?.value == "x86_64" && fact("host architecture")?.host == "x86_64" && fact("host architecture")?.matches == true)
        #expect(fact("host page size")?.value == "4096" && fact("host page size")?.host == "4096" && fact("host page size")?.matches == true)
        #expect(fact("host kernel")?.value == "6.18.44-fc-v782" && fact("host kernel")?.host == release)
        #expect(fact("host CRIU")?.value == "4.2")
        // files.img names the static binary by its path on the dumping machine.
        let binary = "/tmp/fixtures/src/marker"
        if FileManager.default.fileExists(atPath: binary) {
            #expect(h.presentFiles.contains(binary))
        } else {
            #expect(h.missingFiles.contains(binary))
            #expect(report.findings("host.file.missing").contains { $0.message.hasPrefix(binary) && $0.image == "files.img" && $0.entry != nil })
        }
        #expect(!report.findings.contains { $0.id == "host.arch.mismatch" || $0.id == "host.page-size.mismatch" })
    }

    @Test func fdsBinaryAndFiles() throws {
        let report = try Verifier.verify(VerifyFixture.path("raw/fds-sockets"), options: .init(host: .probe()))
        let h = try #require(report.host)
        for path in ["/tmp/fixtures/src/fds", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/tmp/fxrun/fdswork/regular.txt"] {
            #expect(FileManager.default.fileExists(atPath: path) ? h.presentFiles.contains(path) : h.missingFiles.contains(path), "\(path)")
        }
        // The deleted file is restored from its ghost image, not looked up on the host.
        #expect(!h.missingFiles.contains("/tmp/fxrun/fdswork/deleted.txt"))
        #expect(h.requiredFeatures.contains("TCP repair") && h.requiredFeatures.contains("memfd"))
    }

    @Test func containerFilesAreNotCompared() throws {
        let report = try Verifier.verify(VerifyFixture.path("podman/ck-basic.none.tar"), options: .init(host: .probe()))
        #expect(report.findings("host.file.not-compared").count == 1)
        #expect(report.findings("host.file.missing").isEmpty)
    }

    /// Another machine, described by hand: every comparison fails.
    @Test func foreignMachine() throws {
        var node = NodeFacts(hostname: "arm-node", architecture: "aarch64", pageSize: 65536, kernelRelease: "5.4.0")
        node.criu = .init(installed: true, path: "/usr/sbin/criu", version: "3.17")
        node.ports = [.init(protocolName: "tcp", address: "127.0.0.1", port: 47001)]
        node.euid = 0
        node.kernelFeatures = [.init(name: "checkpoint_restore", available: false, evidence: "/proc/self/map_files does not exist")]
        let host = HostEnvironment(node: node, name: "arm-node", status: { path in path == "/tmp/fixtures/src/fds" ? .init(size: 1, mode: 0o100755) : nil })
        let report = try Verifier.verify(VerifyFixture.path("raw/fds-sockets"), options: .init(host: host))
        let ids = Set(report.errors.map(\.id))
        #expect(ids.isSuperset(of: ["host.arch.mismatch", "host.page-size.mismatch", "host.file.size-mismatch", "host.file.missing",
                                    "host.port.in-use", "host.feature.missing"]))
        // CRIU 3.17 reads compat_nr_pages, which CRIU 4.2 leaves 0: it would restore no pages.
        #expect(report.findings("host.criu.older").map(\.severity) == [.error])
        #expect(report.findings("host.criu.older").first?.image == "pagemap-23431.img")
        #expect(report.findings("host.kernel.older").count == 1)
        #expect(report.host?.busyPorts == [47001])
    }

    @Test func procNetParsing() {
        let text = """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 0100007F:B7A1 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 46841 1 0000000000000000 100 0 0 10 0
               1: 0100007F:AEB4 0100007F:B7A1 01 00000000:00000000 00:00000000 00000000     0        0 46842 1 0000000000000000 20 4 30 10 -1
            """
        let ports = HostCheck.parsePorts(text, protocolName: "tcp", state: "0A")
        #expect(ports.map(\.port) == [47009])
        #expect(ports.map(\.address) == ["127.0.0.1"])
    }
}
