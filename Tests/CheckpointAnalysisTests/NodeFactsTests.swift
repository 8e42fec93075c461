import CheckpointAnalysis
import CRIUImages
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `NodeFacts.capture()` against what the kernel says itself (/proc, uname), and node files read back.
@Suite struct NodeFactsTests {
    static func text(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    /// The first CPU's `key: value` lines of /proc/cpuinfo.
    static var cpuinfo: [String: String] {
        var fields: [String: String] = [:]
        for line in (text("/proc/cpuinfo") ?? "").split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty { if fields.isEmpty { continue } else { break } }
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, fields[parts[0]] == nil { fields[parts[0]] = parts[1] }
        }
        return fields
    }

    @Test func captureMatchesTheKernel() throws {
        let facts = NodeFacts.capture(options: .init(runPrograms: false))
        #expect(facts.kernelRelease == Self.text("/proc/sys/kernel/osrelease")?.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(facts.hostname == Self.text("/proc/sys/kernel/hostname")?.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(facts.pageSize == UInt64(getpagesize()))
        #expect(facts.euid == geteuid())
        #expect(facts.kernelFeature("time_namespace")?.available == FileManager.default.fileExists(atPath: "/proc/self/ns/time"))
        #expect(facts.kernelFeature("user_namespace") != nil && facts.kernelFeatures.count == HostCheck.Feature.allCases.count)
        guard facts.architecture == "x86_64" else { return }
        // The cpuid instruction against the kernel's reading of the same registers.
        let cpu = try #require(facts.cpu)
        let info = Self.cpuinfo
        #expect(cpu.vendor == info["vendor_id"])
        #expect(cpu.family.map(String.init) == info["cpu family"])
        #expect(cpu.model.map(String.init) == info["model"])
        #expect(cpu.stepping.map(String.init) == info["stepping"])
        #expect(cpu.modelName == info["model name"])
        let flags = Set(info["flags"]?.split(separator: " ").map(String.init) ?? [])
        #expect(Set(cpu.flags ?? []) == flags)
        let words = try #require(cpu.capabilityWords)
        #expect(words.count == 19 && cpu.capabilityVersion == 2)
        var checked = 0
        // The kernel lists a feature only when CPUID has it; it may hide one CPUID has (RDSEED on AMD family
        // 0x1a, TSX when disabled), which CRIU, reading CPUID itself, still sees. Names it never prints: osxsave.
        let basic: Set<String> = ["fpu", "tsc", "cx8", "cmov", "mmx", "fxsr", "sse", "sse2", "pni", "ssse3", "sse4_1", "sse4_2", "popcnt", "xsave", "avx"]
        for feature in CPUFeatures.instructionFeatures where feature.name != "osxsave" {
            if flags.contains(feature.name) { #expect(CPUFeatures.has(feature, in: words), "\(feature.name)") }
            if basic.contains(feature.name) { #expect(CPUFeatures.has(feature, in: words) == flags.contains(feature.name), "\(feature.name)") }
            checked += flags.contains(feature.name) ? 1 : 0
        }
        #expect(checked > basic.count)
        // XSAVE components offered exactly when the kernel lists their feature.
        let mask = try #require(cpu.xfeaturesMask)
        #expect(mask & 0b11 == 0b11)
        for (bit, name, feature) in CPUFeatures.xsaveComponents where bit >= 2 {
            #expect((mask & (1 << UInt64(bit)) != 0) == flags.contains(feature!.name), "\(name)")
        }
        #expect(cpu.xsaveSize.map { $0 >= 576 && $0 <= (cpu.xsaveSizeMax ?? 0) } == true)
    }

    /// /proc/cgroups numbers the v1 hierarchies (0: not mounted as v1).
    @Test func captureCgroups() throws {
        let facts = NodeFacts.capture(options: .init(runPrograms: false))
        let cgroups = try #require(facts.cgroups)
        var mounted: Set<String> = []
        for line in (Self.text("/proc/cgroups") ?? "").split(separator: "\n") where !line.hasPrefix("#") {
            let f = line.split(separator: "\t")
            if f.count >= 4, f[1] != "0", f[3] == "1" { mounted.insert(String(f[0])) }
        }
        #expect(Set(cgroups.v1Controllers.filter { !$0.hasPrefix("name=") }) == mounted)
        if let mount = cgroups.v2Mount, let controllers = cgroups.v2Controllers {
            #expect(controllers == (Self.text(mount + "/cgroup.controllers") ?? "").split(whereSeparator: \.isWhitespace).map(String.init))
        }
    }

    /// A socket this test listens on appears among the capture's ports, with its address.
    @Test func captureSeesAListeningSocket() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        try #require(bound == 0 && listen(fd, 1) == 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        let port = UInt32(UInt16(bigEndian: address.sin_port))
        let facts = NodeFacts.capture(options: .init(runPrograms: false))
        #expect(facts.ports?.contains(NodeFacts.Port(protocolName: "tcp", address: "127.0.0.1", port: port)) == true)
        #expect(facts.networkNamespace == (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/net")))
    }

    @Test func nodeFileRoundTrip() throws {
        var facts = NodeFacts.capture(options: .init(runPrograms: false))
        facts.images = [.init(engine: "containers-storage", id: "a00ccab1a1275a9e687c5bd48f81815fa388219b4c0742257e9d5595bd809dbc",
                              digests: ["sha256:0123"], names: ["localhost/bb:latest"], store: "/var/lib/containers/storage/overlay-images/images.json")]
        facts.gpus = [.init(vendor: "amd", device: "/dev/kfd", driver: "amdgpu", driverVersion: "6.7.0", pciAddress: "0000:03:00.0")]
        facts.engines = [.init(name: "podman", path: "/usr/bin/podman", version: "4.3.1")]
        facts.markUnknown("lsm.apparmor.profiles", "permission denied")
        let bytes = Array(facts.json.serialized().utf8)
        let back = try NodeFacts(json: bytes, file: "node.json")
        #expect(back == facts)
    }

    @Test func badNodeFiles() throws {
        func error(_ text: String) -> String? {
            do {
                _ = try NodeFacts(json: Array(text.utf8), file: "node-b.json")
                return nil
            } catch {
                return error.description
            }
        }
        #expect(error("{") == "node-b.json: not valid JSON")
        #expect(error("[]") == "node-b.json: expected a JSON object, found an array")
        #expect(error(#"{"schema": "ckpt-inspect/host/v2"}"#) == #"node-b.json: schema: is "ckpt-inspect/host/v2", expected "ckpt-inspect/host/v1""#)
        #expect(error(#"{"schema": "ckpt-inspect/host/v1", "page_size": "4096"}"#) == "node-b.json: page_size: expected a non-negative integer, found a string")
        #expect(error(#"{"schema": "ckpt-inspect/host/v1", "cpu": {"capability_words": [1, 2, true]}}"#)
                == "node-b.json: cpu.capability_words[2]: expected a non-negative integer, found a boolean")
        #expect(error(#"{"schema": "ckpt-inspect/host/v1", "cpu": {"capability_words": [4294967296]}}"#)
                == "node-b.json: cpu.capability_words[0]: 4294967296 does not fit 32 bits")
        #expect(error(#"{"schema": "ckpt-inspect/host/v1", "cgroups": {"version": "v3"}}"#) == #"node-b.json: cgroups.version: is "v3", expected v1, v2, hybrid or none"#)
        #expect(error(#"{"schema": "ckpt-inspect/host/v1", "cpu": {"xsave": {"features_mask": "e7"}}}"#)
                == #"node-b.json: cpu.xsave.features_mask: expected a hex string such as "0x2e7", found "e7""#)
        // A minimal node file: what is not there is unknown.
        let minimal = try NodeFacts(json: Array(#"{"schema": "ckpt-inspect/host/v1", "architecture": "aarch64"}"#.utf8), file: "m.json")
        #expect(minimal.architecture == "aarch64" && minimal.cpu == nil && minimal.images == nil && minimal.kernelFeatures.isEmpty)
    }
}
