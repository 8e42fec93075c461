import CRIUImages
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What this machine offers for a restore: read from `uname`, `sysconf`, `/proc` and `criu --version`.
///
/// ``probe()`` only reads: it never writes a file, opens a socket or changes a setting. Tests build
/// their own value to describe another machine.
public struct HostEnvironment: Sendable {
    /// `stat` of a path on the host.
    public struct FileStatus: Hashable, Sendable {
        /// `st_size`.
        public var size: UInt64
        /// `st_mode`, file type bits included.
        public var mode: UInt32
        /// A status from a size and a mode.
        public init(size: UInt64, mode: UInt32) {
            self.size = size
            self.mode = mode
        }
        /// True for a regular file (`S_IFREG`).
        public var isRegular: Bool { mode & 0o170000 == 0o100000 }
        /// True for a directory (`S_IFDIR`).
        public var isDirectory: Bool { mode & 0o170000 == 0o040000 }
    }

    /// A socket listening (TCP) or bound (UDP) on the host.
    public struct Port: Hashable, Sendable {
        /// The port number.
        public var port: UInt32
        /// `tcp` or `udp` (IPv4 and IPv6 alike).
        public var protocolName: String
        /// The local address, as /proc/net shows it (hex).
        public var address: String
        /// A port from its number, protocol and local address.
        public init(port: UInt32, protocolName: String, address: String) {
            self.port = port
            self.protocolName = protocolName
            self.address = address
        }
    }

    /// `uname -m` (`x86_64`).
    public var machine: String
    /// `uname -r`.
    public var kernelRelease: String
    /// The host name (`uname -n`).
    public var hostname: String
    /// `sysconf(_SC_PAGESIZE)`.
    public var pageSize: UInt64
    /// `vendor_id` of the first CPU in /proc/cpuinfo.
    public var cpuVendor: String?
    /// `model name` of the first CPU in /proc/cpuinfo.
    public var cpuModel: String?
    /// The `flags` of the first CPU in /proc/cpuinfo.
    public var cpuFlags: Set<String>
    /// `criu --version`, nil when CRIU is not installed.
    public var criuVersion: String?
    /// Where `criu` was found; nil when it was not.
    public var criuPath: String?
    /// Listening TCP and bound UDP sockets (/proc/net/{tcp,tcp6,udp,udp6}).
    public var ports: [Port]
    /// True when running with effective uid 0.
    public var isRoot: Bool
    /// `stat` (following links); nil when the path does not exist.
    public var status: @Sendable (String) -> FileStatus?
    /// Whether a path exists (feature probes such as /proc/self/ns/time).
    public var exists: @Sendable (String) -> Bool

    /// Describes a machine; tests use it to describe one other than this.
    public init(machine: String, kernelRelease: String, hostname: String = "", pageSize: UInt64, cpuVendor: String? = nil, cpuModel: String? = nil,
                cpuFlags: Set<String> = [], criuVersion: String? = nil, criuPath: String? = nil, ports: [Port] = [], isRoot: Bool = false,
                status: @escaping @Sendable (String) -> FileStatus? = { _ in nil }, exists: @escaping @Sendable (String) -> Bool = { _ in false }) {
        self.machine = machine
        self.kernelRelease = kernelRelease
        self.hostname = hostname
        self.pageSize = pageSize
        self.cpuVendor = cpuVendor
        self.cpuModel = cpuModel
        self.cpuFlags = cpuFlags
        self.criuVersion = criuVersion
        self.criuPath = criuPath
        self.ports = ports
        self.isRoot = isRoot
        self.status = status
        self.exists = exists
    }

    /// Reads this machine.
    public static func probe() -> HostEnvironment {
        var names = utsname()
        uname(&names)
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
        }
        var host = HostEnvironment(
            machine: field(names.machine), kernelRelease: field(names.release), hostname: field(names.nodename),
            pageSize: UInt64(max(0, sysconf(Int32(_SC_PAGESIZE)))), isRoot: geteuid() == 0,
            status: { path in
                var st = stat()
                guard stat(path, &st) == 0 else { return nil }
                return FileStatus(size: UInt64(max(0, st.st_size)), mode: UInt32(st.st_mode))
            },
            exists: { path in access(path, F_OK) == 0 })
        if let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) {
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2 else {
                    if line.trimmingCharacters(in: .whitespaces).isEmpty, host.cpuVendor != nil { break }
                    continue
                }
                switch parts[0] {
                case "vendor_id": host.cpuVendor = host.cpuVendor ?? parts[1]
                case "model name": host.cpuModel = host.cpuModel ?? parts[1]
                case "flags", "Features": if host.cpuFlags.isEmpty { host.cpuFlags = Set(parts[1].split(separator: " ").map(String.init)) }
                default: break
                }
            }
        }
        host.ports = readPorts()
        (host.criuPath, host.criuVersion) = findCRIU()
        return host
    }

    /// Parses /proc/net/{tcp,tcp6} (LISTEN sockets) and /proc/net/{udp,udp6} (bound sockets).
    static func readPorts() -> [Port] {
        var ports: [Port] = []
        for (file, proto, state) in [("tcp", "tcp", "0A"), ("tcp6", "tcp", "0A"), ("udp", "udp", "07"), ("udp6", "udp", "07")] {
            guard let text = try? String(contentsOfFile: "/proc/net/" + file, encoding: .utf8) else { continue }
            ports += parsePorts(text, protocolName: proto, state: state)
        }
        return ports
    }

    /// Parses one /proc/net table (`sl local_address rem_address st ...`, addresses as `HEX:PORT`), keeping
    /// the sockets in `state` (`0A` LISTEN for TCP, `07` for bound UDP).
    public static func parsePorts(_ text: String, protocolName: String, state: String) -> [Port] {
        var ports: [Port] = []
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            guard fields.count > 3, fields[3] == state else { continue }
            let local = fields[1].split(separator: ":")
            guard local.count == 2, let port = UInt32(local[1], radix: 16) else { continue }
            ports.append(Port(port: port, protocolName: protocolName, address: String(local[0])))
        }
        return ports
    }

    /// Looks for `criu` on PATH and in the sbin directories, and asks it for its version.
    static func findCRIU() -> (String?, String?) {
        var dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        dirs += ["/usr/local/sbin", "/usr/sbin", "/sbin"]
        guard let path = dirs.map({ $0 + "/criu" }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return (nil, nil) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["--version"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return (path, nil) }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        // "Version: 4.2\n" (and "GitID: ..." for git builds).
        for line in text.split(separator: "\n") where line.hasPrefix("Version:") {
            return (path, line.dropFirst("Version:".count).trimmingCharacters(in: .whitespaces))
        }
        return (path, text.isEmpty ? nil : text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

/// A short description of `cpuinfo.img` (written with `--cpu-cap=img`).
public struct CPUInfoSummary: Hashable, Sendable {
    /// `vendor_id`.
    public var vendor: String?
    /// `cpu_family`.
    public var family: String?
    /// `model`.
    public var model: String?
    /// `model_id`: the CPU's name.
    public var modelName: String?
    /// The number of CPUID capability words saved.
    public var capabilityWords: Int

    /// One line: vendor, family, model, model name and the number of CPUID words.
    public var description: String {
        [vendor, family.map { "family " + $0 }, model.map { "model " + $0 }, modelName.map { "\"\($0)\"" }]
            .compactMap { $0 }.joined(separator: " ") + " (\(capabilityWords) CPUID words)"
    }

    /// Reads the first x86 entry of a `cpuinfo.img`; nil when it does not decode.
    public static func read(_ bytes: [UInt8]) -> CPUInfoSummary? {
        guard let json = try? CritJSON(options: .init(pretty: true, payloads: false)).render(bytes, fileName: "cpuinfo.img"),
              case .array(let entries)? = json["entries"], let entry = entries.first else { return nil }
        func text(_ v: JSONValue?) -> String? {
            switch v {
            case .string(let s)?: s
            case .number(let n)?: n
            default: nil
            }
        }
        guard case .array(let x86)? = entry["x86_entry"], let first = x86.first else {
            return CPUInfoSummary(vendor: nil, family: nil, model: nil, modelName: nil, capabilityWords: 0)
        }
        var words = 0
        if case .array(let caps)? = first["capability"] { words = caps.count }
        return CPUInfoSummary(vendor: text(first["vendor_id"]), family: text(first["cpu_family"]), model: text(first["model"]),
                              modelName: text(first["model_id"]), capabilityWords: words)
    }
}

/// The result of comparing a checkpoint with this machine.
public struct HostReport: Sendable {
    /// What was compared: checkpoint value, host value, whether they fit.
    public var facts: [Fact]
    /// The `host.*` findings.
    public var findings: [Finding]
    /// The ids of the host checks that ran.
    public var checks: [String]
    /// Regular files the checkpoint references by path that do not exist here.
    public var missingFiles: [String]
    /// Referenced files that exist here.
    public var presentFiles: [String]
    /// Ports a listening socket of the checkpoint needs that are in use here.
    public var busyPorts: [UInt32]
    /// Kernel features the checkpoint needs.
    public var requiredFeatures: [String]
}

/// Compares a checkpoint with the machine it runs on (`verify --host`): read-only.
///
/// Check ids: `host.arch.mismatch`, `host.page-size.mismatch`, `host.criu.missing`, `host.criu.older`,
/// `host.kernel.older`, `host.kernel.differs`, `host.cpu`, `host.feature.missing`, `host.file.missing`,
/// `host.file.size-mismatch`, `host.file.not-compared`, `host.port.in-use`, `host.privilege`.
public enum HostCheck {
    /// A kernel feature a restore needs.
    public enum Feature: String, Hashable, Sendable, CaseIterable {
        /// The kernel's checkpoint/restore support.
        case checkpointRestore = "checkpoint/restore support"
        /// TCP repair mode, to restore established connections.
        case tcpRepair = "TCP repair"
        /// Time namespaces.
        case timeNamespace = "time namespaces"
        /// `memfd_create`, which also backs shared anonymous memory on restore.
        case memfd = "memfd"
        /// Restoring seccomp filters.
        case seccompFilters = "seccomp filters"
        /// x86 user-space shadow stacks.
        case shadowStack = "user shadow stacks"
        /// madvise guard regions (`MADV_GUARD_INSTALL`).
        case guardRegions = "madvise guard regions"

        /// The first kernel release with the feature.
        public var minimumKernel: [Int] {
            switch self {
            case .checkpointRestore: [3, 11]
            case .tcpRepair: [3, 5]
            case .timeNamespace: [5, 6]
            case .memfd: [3, 17]
            case .seccompFilters: [4, 4]
            case .shadowStack: [6, 6]
            case .guardRegions: [6, 13]
            }
        }

        /// A path whose existence shows the feature is there, when one exists.
        var probePath: String? {
            switch self {
            case .checkpointRestore: "/proc/self/map_files"
            case .timeNamespace: "/proc/self/ns/time"
            default: nil
            }
        }

        /// A CPU flag the feature needs.
        var cpuFlag: String? { self == .shadowStack ? "user_shstk" : nil }
    }

    /// A regular file the checkpoint references by path.
    public struct FileReference: Hashable, Sendable {
        /// The files.img id.
        public var id: UInt32
        /// The path, as the checkpoint records it.
        public var path: String
        /// The size the checkpoint recorded, when it did.
        public var size: UInt64?
        /// The mode the checkpoint recorded, when it did.
        public var mode: UInt32?
        /// The image that names the file.
        public var image: String?
        /// The entry of that image.
        public var entry: Int?
    }

    /// A port a socket of the checkpoint is bound to.
    public struct PortReference: Hashable, Sendable {
        /// The port number.
        public var port: UInt32
        /// 4 or 6.
        public var family: Int
        /// `tcp` or `udp`.
        public var protocolName: String
        /// The files.img id of the socket.
        public var fileID: UInt32
    }

    /// What the comparison needs to know about the checkpoint.
    public struct Input: Sendable {
        /// The architecture of the dumped tasks (`x86_64`).
        public var architecture: String?
        /// The checkpoint's page size.
        public var pageSize: UInt64?
        /// The version of the CRIU that dumped.
        public var criuVersion: String?
        /// Kernel release of the dumping machine (dump.log, annotations), when recorded.
        public var kernel: String?
        /// The CPU line of dump.log (`x86_family 25 x86_vendor_id AuthenticAMD ...`).
        public var cpu: String?
        /// The engine that wrote the checkpoint (`podman`, `cri-o`, `containerd`, `criu`).
        public var engine: String = "criu"
        /// The tree has its own mount namespace (a container): file paths are inside it.
        public var ownMountNamespace = false
        /// The tree has its own network namespace: its ports do not collide with the host's.
        public var ownNetworkNamespace = false
        /// Regular files the checkpoint references by path.
        public var files: [FileReference] = []
        /// Ports of the checkpoint's listening TCP and bound UDP sockets.
        public var listeningPorts: [PortReference] = []
        /// Kernel features a restore needs.
        public var features: Set<Feature> = [.checkpointRestore]
        /// True when the checkpoint has a `cpuinfo.img`.
        public var hasCPUInfo = false
        /// What `cpuinfo.img` says, when it decodes.
        public var cpuInfoSummary: CPUInfoSummary?
        /// An input with nothing known beyond the defaults; fill in what the checkpoint says.
        public init() {}
    }

    /// Leading numbers of a version string: `">= 4.2"` → [4, 2], `"6.18.44-fc"` → [6, 18, 44].
    static func numbers(_ version: String) -> [Int] {
        let start = version.drop { !$0.isNumber }
        var out: [Int] = []
        for part in start.split(separator: ".", omittingEmptySubsequences: false) {
            let digits = part.prefix { $0.isNumber }
            guard let n = Int(digits) else { break }
            out.append(n)
            if digits.count != part.count { break }
        }
        return out
    }

    static func less(_ a: [Int], _ b: [Int]) -> Bool {
        for i in 0..<max(a.count, b.count) {
            let x = i < a.count ? a[i] : 0, y = i < b.count ? b[i] : 0
            if x != y { return x < y }
        }
        return false
    }

    static let ignoredPrefixes = ["/proc/", "/sys/", "/dev/"]

    /// Compares what a checkpoint needs (`input`) with a machine (`host`).
    public static func compare(_ input: Input, with host: HostEnvironment) -> HostReport {
        var facts: [Fact] = []
        var findings: [Finding] = []
        var checks: [String] = []
        func add(_ id: String, _ severity: Severity, _ message: String, image: String? = nil, entry: Int? = nil, hint: String? = nil) {
            findings.append(Finding(id: id, severity: severity, area: .host, message: message, image: image, entry: entry, hint: hint))
        }
        checks += ["host.arch.mismatch", "host.page-size.mismatch", "host.criu.missing", "host.criu.older", "host.kernel.older",
                   "host.kernel.differs", "host.cpu", "host.feature.missing", "host.file.missing", "host.file.size-mismatch",
                   "host.file.not-compared", "host.port.in-use", "host.privilege"]

        // Architecture and page size.
        let arch = input.architecture ?? "unknown"
        let archFits = input.architecture == nil || input.architecture == host.machine
            || (input.architecture == "ppc64le" && host.machine.hasPrefix("ppc64"))
        facts.append(Fact("host architecture", arch, host: host.machine, matches: input.architecture == nil ? nil : archFits))
        if !archFits {
            add("host.arch.mismatch", .error, "the checkpoint is \(arch), this machine is \(host.machine)",
                hint: "Images only restore on the architecture that made them.")
        }
        if let size = input.pageSize {
            facts.append(Fact("host page size", String(size), host: String(host.pageSize), matches: size == host.pageSize))
            if size != host.pageSize {
                add("host.page-size.mismatch", .error, "the checkpoint uses \(size)-byte pages, this kernel \(host.pageSize)-byte pages",
                    hint: "Restore on a kernel built with the same page size.")
            }
        }

        // CRIU.
        let wanted = input.criuVersion
        let criuFits: Bool? = host.criuVersion.flatMap { have in wanted.map { !less(numbers(have), numbers($0)) } }
        facts.append(Fact("host CRIU", wanted ?? "unknown", host: host.criuVersion.map { "\($0) (\(host.criuPath ?? "criu"))" } ?? "not installed",
                          matches: host.criuVersion == nil ? false : criuFits))
        if host.criuVersion == nil {
            add("host.criu.missing", .warning, "CRIU is not installed here\(wanted.map { "; the checkpoint was written by CRIU \($0)" } ?? "")",
                hint: "Install CRIU (the same release or newer) to restore.")
        } else if criuFits == false, let have = host.criuVersion, let wanted {
            add("host.criu.older", .warning, "CRIU \(have) here is older than the CRIU \(wanted) that wrote the checkpoint",
                hint: "Older CRIU may not read newer images (4.2 moved pagemap page counts to a new field).")
        }

        // Kernel.
        if let kernel = input.kernel {
            let older = less(numbers(host.kernelRelease), numbers(kernel))
            facts.append(Fact("host kernel", kernel, host: host.kernelRelease, matches: !older))
            if older {
                add("host.kernel.older", .warning, "this kernel (\(host.kernelRelease)) is older than the dumping one (\(kernel))",
                    hint: "Features the processes used may be missing; `criu check --all` tells.")
            } else if kernel != host.kernelRelease {
                add("host.kernel.differs", .info, "the checkpoint was made on kernel \(kernel), this one is \(host.kernelRelease)")
            }
        } else {
            facts.append(Fact("host kernel", "not recorded", host: host.kernelRelease))
        }

        // CPU.
        if let summary = input.cpuInfoSummary {
            let hostCPU = [host.cpuVendor, host.cpuModel].compactMap { $0 }.joined(separator: " ")
            facts.append(Fact("host CPU (cpuinfo.img)", summary.description, host: hostCPU))
            add("host.cpu", .info, "cpuinfo.img records \(summary.description); CRIU compares its CPUID words with this CPU at restore (--cpu-cap)")
        } else if let cpu = input.cpu {
            let vendor = cpu.split(separator: " ").drop { $0 != "x86_vendor_id" }.dropFirst().first.map(String.init)
            let fits = vendor == nil || host.cpuVendor == nil || vendor == host.cpuVendor
            facts.append(Fact("host CPU", cpu, host: [host.cpuVendor, host.cpuModel].compactMap { $0 }.joined(separator: " "), matches: fits))
            if !fits {
                add("host.cpu", .warning, "the checkpoint was made on a \(vendor ?? "?") CPU, this one is \(host.cpuVendor ?? "?")",
                    hint: "FPU state and CPU features must be available here; CRIU checks them at restore.")
            }
        } else {
            facts.append(Fact("host CPU", "not recorded", host: [host.cpuVendor, host.cpuModel].compactMap { $0 }.joined(separator: " ")))
        }

        // Kernel features.
        var required: [String] = []
        for feature in Feature.allCases where input.features.contains(feature) {
            required.append(feature.rawValue)
            let kernelOld = less(numbers(host.kernelRelease), feature.minimumKernel)
            let probeFails = feature.probePath.map { !host.exists($0) } ?? false
            let flagMissing = feature.cpuFlag.map { !host.cpuFlags.contains($0) } ?? false
            let fits = !kernelOld && !probeFails && !flagMissing
            let minimum = feature.minimumKernel.map(String.init).joined(separator: ".")
            facts.append(Fact("needs \(feature.rawValue)", "kernel >= \(minimum)", host: fits ? "available" : "missing", matches: fits))
            if !fits {
                var why: [String] = []
                if kernelOld { why.append("kernel \(host.kernelRelease) < \(minimum)") }
                if probeFails, let p = feature.probePath { why.append("\(p) does not exist") }
                if flagMissing, let f = feature.cpuFlag { why.append("the CPU lacks \(f)") }
                add("host.feature.missing", .error, "the checkpoint needs \(feature.rawValue), which this machine lacks: \(why.joined(separator: ", "))")
            }
        }
        if input.features.contains(.tcpRepair) && !host.isRoot {
            add("host.privilege", .info, "established TCP connections are restored with TCP repair, which needs CAP_NET_ADMIN")
        }
        if !host.isRoot {
            add("host.privilege", .info, "not running as root: a restore needs root or CAP_CHECKPOINT_RESTORE (and CAP_SYS_ADMIN for namespaces)")
        }

        // Files referenced by path.
        var missing: [String] = []
        var present: [String] = []
        var seen = Set<String>()
        let candidates = input.files.filter { ref in
            ref.path.hasPrefix("/") && !ignoredPrefixes.contains(where: { ref.path.hasPrefix($0) }) && ref.path != "/"
        }
        if input.ownMountNamespace {
            let count = Set(candidates.map(\.path)).count
            facts.append(Fact("host files", "\(count) paths inside the container", host: "not compared"))
            add("host.file.not-compared", .info,
                "\(count) file paths are inside the container's own mount namespace (image and volumes); they are not compared with this host's files")
        } else {
            for ref in candidates where seen.insert(ref.path).inserted {
                guard let status = host.status(ref.path) else {
                    missing.append(ref.path)
                    add("host.file.missing", .error, "\(ref.path) (file id \(ref.id)\(ref.size.map { ", \($0) bytes" } ?? "")) does not exist on this host",
                        image: ref.image, entry: ref.entry, hint: "CRIU reopens files by path; restore fails with \"Can't open file\".")
                    continue
                }
                present.append(ref.path)
                if let size = ref.size, status.isRegular, status.size != size {
                    add("host.file.size-mismatch", .error, "\(ref.path) is \(status.size) bytes here, \(size) in the checkpoint",
                        image: ref.image, entry: ref.entry, hint: "CRIU checks the size and refuses a changed file (\"has bad size\").")
                }
            }
            facts.append(Fact("host files", "\(seen.count) referenced by path", host: "\(present.count) present, \(missing.count) missing", matches: missing.isEmpty))
        }

        // Ports.
        var busy: [UInt32] = []
        for ref in input.listeningPorts {
            let users = host.ports.filter { $0.port == ref.port && $0.protocolName == ref.protocolName }
            guard !users.isEmpty else { continue }
            busy.append(ref.port)
            if input.ownNetworkNamespace {
                add("host.port.in-use", .info,
                    "\(ref.protocolName) port \(ref.port) is in use on this host; the checkpoint has its own network namespace, so it does not collide")
            } else {
                add("host.port.in-use", .error, "\(ref.protocolName) port \(ref.port) (file id \(ref.fileID)) is already in use on this host",
                    hint: "Restore fails with \"Address already in use\"; stop what listens there, or restore into a new network namespace.")
            }
        }
        if !input.listeningPorts.isEmpty {
            facts.append(Fact("host ports", input.listeningPorts.map { "\($0.protocolName)/\($0.port)" }.joined(separator: ", "),
                              host: busy.isEmpty ? "free" : "in use: " + busy.map(String.init).joined(separator: ", "), matches: busy.isEmpty))
        }
        return HostReport(facts: facts, findings: findings, checks: checks, missingFiles: missing, presentFiles: present, busyPorts: busy,
                          requiredFeatures: required)
    }
}
