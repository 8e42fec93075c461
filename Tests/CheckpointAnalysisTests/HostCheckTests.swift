import CheckpointAnalysis
import Foundation
import Testing

@Suite struct HostCheckTests {
    /// `--host` on this machine: the facts it compared, and the test programs' binaries as they are here.
    @Test func thisMachine() throws {
        let host = HostEnvironment.probe()
        #expect(host.machine == "x86_64")
        #expect(host.pageSize == 4096)
        #expect(!host.kernelRelease.isEmpty)
        let report = try Verifier.verify(VerifyFixture.path("raw/marker-static"), options: .init(host: host))
        let h = try #require(report.host)
        func fact(_ key: String) -> Fact? { report.facts.first { $0.key == key } }
        #expect(fact("host architecture")?.value == "x86_64" && fact("host architecture")?.host == "x86_64" && fact("host architecture")?.matches == true)
        #expect(fact("host page size")?.value == "4096" && fact("host page size")?.host == "4096" && fact("host page size")?.matches == true)
        #expect(fact("host kernel")?.value == "6.18.44-fc-v782" && fact("host kernel")?.host == host.kernelRelease)
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
        let host = HostEnvironment(
            machine: "aarch64", kernelRelease: "5.4.0", pageSize: 65536, criuVersion: "3.17",
            ports: [.init(port: 47001, protocolName: "tcp", address: "0100007F")], isRoot: true,
            status: { path in path == "/tmp/fixtures/src/fds" ? .init(size: 1, mode: 0o100755) : nil },
            exists: { _ in false })
        let report = try Verifier.verify(VerifyFixture.path("raw/fds-sockets"), options: .init(host: host))
        let ids = Set(report.errors.map(\.id))
        #expect(ids.isSuperset(of: ["host.arch.mismatch", "host.page-size.mismatch", "host.file.size-mismatch", "host.file.missing",
                                    "host.port.in-use", "host.feature.missing"]))
        #expect(report.findings("host.criu.older").count == 1)
        #expect(report.findings("host.kernel.older").count == 1)
        #expect(report.host?.busyPorts == [47001])
    }

    @Test func procNetParsing() {
        let text = """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 0100007F:B7A1 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 46841 1 0000000000000000 100 0 0 10 0
               1: 0100007F:AEB4 0100007F:B7A1 01 00000000:00000000 00:00000000 00000000     0        0 46842 1 0000000000000000 20 4 30 10 -1
            """
        let ports = HostEnvironment.parsePorts(text, protocolName: "tcp", state: "0A")
        #expect(ports.map(\.port) == [47009])
    }
}
