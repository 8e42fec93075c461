public import CRIUImages
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A machine a checkpoint is compared with: its ``NodeFacts`` and, for this machine, a way to look at its files.
///
/// ``probe()`` is `verify --host`: this machine's facts captured now, and `stat` for the files the
/// checkpoint names. A node file read with ``NodeFacts/init(json:file:)`` becomes an environment without
/// file access (`verify --target`): the same checks run, and the file checks say they were not made.
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

    /// The machine's facts.
    public var node: NodeFacts
    /// How findings name the machine (`this host`, or a node's name).
    public var name: String
    /// `stat` (following links) of this machine's files; nil for a machine described by a node file.
    public var status: (@Sendable (String) -> FileStatus?)?

    /// A machine described by `node`; `name` defaults to its host name.
    public init(node: NodeFacts, name: String? = nil, status: (@Sendable (String) -> FileStatus?)? = nil) {
        self.node = node
        self.name = name ?? node.hostname ?? "node"
        self.status = status
    }

    /// True for this machine (its files can be looked at).
    public var isLocal: Bool { status != nil }

    /// This machine, read now (``NodeFacts/capture(options:)``), with `stat` for its files.
    public static func probe(options: NodeFacts.CaptureOptions = .init()) -> HostEnvironment {
        HostEnvironment(node: NodeFacts.capture(options: options), name: "this host", status: { path in
            var st = stat()
            guard stat(path, &st) == 0 else { return nil }
            return FileStatus(size: UInt64(max(0, st.st_size)), mode: UInt32(st.st_mode))
        })
    }
}

/// The result of comparing a checkpoint with one machine.
public struct HostReport: Sendable {
    /// What was compared: checkpoint value, machine value, whether they fit.
    public var facts: [Fact]
    /// The `host.*` findings.
    public var findings: [Finding]
    /// The ids of the host checks that ran.
    public var checks: [String]
    /// Regular files the checkpoint references by path that do not exist on the machine.
    public var missingFiles: [String]
    /// Referenced files that exist there.
    public var presentFiles: [String]
    /// Ports a listening socket of the checkpoint (in the host's network namespace) needs that are in use there.
    public var busyPorts: [UInt32]
    /// Kernel features the checkpoint needs.
    public var requiredFeatures: [String]
}

/// Compares what a checkpoint needs with a machine (`verify --host`, `verify --target NODE.json`): read-only.
///
/// Check ids (stable): `host.arch.mismatch`, `host.page-size.mismatch`, `host.criu.missing`, `host.criu.older`,
/// `host.kernel.older`, `host.kernel.differs`, `host.cpu`, `host.cpu.fpu`, `host.cpu.instructions`, `host.cpu.xsave`,
/// `host.cpu.xsave-size`, `host.feature.missing`, `host.cgroup.version`, `host.cgroup.controller`, `host.lsm.type`,
/// `host.lsm.profile`, `host.lsm.label`, `host.image.missing`, `host.plugin.device`, `host.plugin.missing`,
/// `host.port.in-use`, `host.port.not-compared`, `host.file.missing`, `host.file.size-mismatch`,
/// `host.file.not-compared`, `host.external.mount`, `host.external.unix`, `host.external.fd`, `host.privilege`,
/// `host.unknown` (a fact the checkpoint or the machine does not record).
public enum HostCheck {
    /// A kernel feature a restore needs.
    public enum Feature: String, Hashable, Sendable, CaseIterable {
        /// The kernel's checkpoint/restore support.
        case checkpointRestore = "checkpoint/restore support"
        /// User namespaces.
        case userNamespace = "user namespaces"
        /// PID namespaces.
        case pidNamespace = "PID namespaces"
        /// Network namespaces.
        case netNamespace = "network namespaces"
        /// IPC namespaces.
        case ipcNamespace = "IPC namespaces"
        /// UTS namespaces.
        case utsNamespace = "UTS namespaces"
        /// Mount namespaces.
        case mountNamespace = "mount namespaces"
        /// Cgroup namespaces.
        case cgroupNamespace = "cgroup namespaces"
        /// Time namespaces.
        case timeNamespace = "time namespaces"
        /// TCP repair mode, to restore established connections.
        case tcpRepair = "TCP repair"
        /// `memfd_create`, which also backs shared anonymous memory on restore.
        case memfd = "memfd"
        /// `pidfd_open`, to restore pidfds.
        case pidfd = "pidfd"
        /// `memfd_secret` (secretmem).
        case memfdSecret = "memfd_secret"
        /// userfaultfd, for lazy pages (`--lazy-pages`).
        case userfaultfd = "userfaultfd"
        /// io_uring.
        case ioUring = "io_uring"
        /// Restoring seccomp filters.
        case seccompFilters = "seccomp filters"
        /// overlayfs, for an overlay mount the checkpoint holds (a container's root).
        case overlayfs = "overlayfs"
        /// x86 user-space shadow stacks.
        case shadowStack = "user shadow stacks"
        /// madvise guard regions (`MADV_GUARD_INSTALL`).
        case guardRegions = "madvise guard regions"

        /// The key of ``NodeFacts/KernelFeature/name`` (`time_namespace`).
        public var key: String {
            switch self {
            case .checkpointRestore: "checkpoint_restore"
            case .userNamespace: "user_namespace"
            case .pidNamespace: "pid_namespace"
            case .netNamespace: "net_namespace"
            case .ipcNamespace: "ipc_namespace"
            case .utsNamespace: "uts_namespace"
            case .mountNamespace: "mount_namespace"
            case .cgroupNamespace: "cgroup_namespace"
            case .timeNamespace: "time_namespace"
            case .tcpRepair: "tcp_repair"
            case .memfd: "memfd"
            case .pidfd: "pidfd"
            case .memfdSecret: "memfd_secret"
            case .userfaultfd: "userfaultfd"
            case .ioUring: "io_uring"
            case .seccompFilters: "seccomp_filters"
            case .overlayfs: "overlayfs"
            case .shadowStack: "user_shadow_stack"
            case .guardRegions: "guard_regions"
            }
        }

        /// The first kernel release with the feature.
        public var minimumKernel: [Int] {
            switch self {
            case .checkpointRestore: [3, 11]
            case .userNamespace: [3, 8]
            case .pidNamespace: [2, 6, 24]
            case .netNamespace: [2, 6, 29]
            case .ipcNamespace, .utsNamespace: [2, 6, 19]
            case .mountNamespace: [2, 4, 19]
            case .cgroupNamespace: [4, 6]
            case .timeNamespace: [5, 6]
            case .tcpRepair: [3, 5]
            case .memfd: [3, 17]
            case .pidfd: [5, 3]
            case .memfdSecret: [5, 14]
            case .userfaultfd: [4, 3]
            case .ioUring: [5, 1]
            case .seccompFilters: [4, 4]
            case .overlayfs: [3, 18]
            case .shadowStack: [6, 6]
            case .guardRegions: [6, 13]
            }
        }
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
        /// The bound address (`127.0.0.1`, `0.0.0.0`), when recorded.
        public var address: String? = nil
        /// True when the socket is in the network namespace CRIU itself ran in (the host's): only those
        /// can collide with the machine's ports. Nil when the checkpoint does not say.
        public var inHostNetwork: Bool? = nil
        /// The files.img entry.
        public var entry: Int? = nil
    }

    /// An XSAVE state that threads of one core image saved.
    public struct XStateUse: Hashable, Sendable {
        /// The core image.
        public var image: String
        /// The threads of that image.
        public var threads: Int
        /// The union of their `xstate_bv`.
        public var mask: UInt64
    }

    /// What dump.log says of the dumping CPU's XSAVE (`cpu: fpu: xfeatures_mask 0x205 xsave_size 2440 ...`).
    public struct DumpFPU: Hashable, Sendable {
        /// `xfeatures_mask`.
        public var xfeaturesMask: UInt64
        /// `xsave_size`.
        public var xsaveSize: UInt32?
        /// `xsave_size_max`.
        public var xsaveSizeMax: UInt32?
    }

    /// The cgroups a checkpoint's cgroup.img names.
    public struct CgroupNeeds: Hashable, Sendable {
        /// v1 hierarchies by controller (`cpu`, `name=systemd`).
        public var v1: [String]
        /// A v2 (unified) membership is recorded.
        public var usesV2: Bool
        /// v2 controllers whose control files were saved (`memory`, `pids`).
        public var v2Controllers: [String]
    }

    /// An LSM label the checkpoint or its spec names.
    public struct LabelUse: Hashable, Sendable {
        /// `apparmor`, `selinux`, or `unknown` when nothing says which.
        public var kind: String
        /// The profile name or context (`containers-default-0.50.1`, `system_u:system_r:container_t:s0`).
        public var label: String
        /// Where it is named (`core-1.img creds.lsm_profile`, `spec.dump process.apparmorProfile`).
        public var source: String
    }

    /// The container image a checkpoint was made from (engine metadata).
    public struct ImageNeed: Hashable, Sendable {
        /// The image id.
        public var id: String?
        /// The reference or digest the engine resolved.
        public var reference: String?
        /// The image name.
        public var name: String?
        /// Where it is recorded (`config.dump`).
        public var source: String
    }

    /// A resource outside the dump that the restore must be given.
    public struct ExternalResource: Hashable, Sendable {
        /// `mount`, `unix`, or `fd`.
        public var kind: String
        /// What it is (`/etc/hosts (ext_key /etc/hosts)`).
        public var description: String
        /// The image naming it.
        public var image: String?
        /// Its entry.
        public var entry: Int?
    }

    /// What the comparison needs to know about the checkpoint.
    public struct Input: Sendable {
        /// The architecture of the dumped tasks (`x86_64`).
        public var architecture: String?
        /// The checkpoint's page size.
        public var pageSize: UInt64?
        /// The version of the CRIU that dumped.
        public var criuVersion: String?
        /// A pagemap entry that keeps its page count in `nr_pages` (CRIU 4.2+), which older CRIU does not read.
        public var newPageCount: Finding.Reference?
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
        /// Why each feature is needed (`ids-9.img: pid_ns_id 9, CRIU's own 1`).
        public var featureEvidence: [Feature: String] = [:]
        /// True when the checkpoint has a `cpuinfo.img`.
        public var hasCPUInfo = false
        /// What `cpuinfo.img` says, when it decodes.
        public var cpuInfo: CPUInfoRecord?
        /// What dump.log says of the dumping CPU's XSAVE.
        public var dumpFPU: DumpFPU?
        /// The saved XSAVE state of the threads, per core image.
        public var xstate: [XStateUse] = []
        /// What cgroup.img names; nil without one.
        public var cgroups: CgroupNeeds?
        /// The LSM of the dumping host (`inventory.lsmtype`).
        public var lsmType: LSMType?
        /// LSM labels of the tasks and of the spec.
        public var labels: [LabelUse] = []
        /// The container image; nil for a bare CRIU dump.
        public var image: ImageNeed?
        /// The plugins the inventory lists (4.1+); nil when the inventory predates the list.
        public var plugins: [String]?
        /// Plugin-private images (`amdgpu-kfd-1.img`).
        public var pluginImages: [String] = []
        /// Resources outside the dump the restore must be given.
        public var externals: [ExternalResource] = []
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

    /// Parses one /proc/net table (`sl local_address rem_address st ...`, addresses as `HEX:PORT` in the
    /// kernel's word order), keeping the sockets in `state` (`0A` LISTEN for TCP, `07` for bound UDP).
    public static func parsePorts(_ text: String, protocolName: String, state: String) -> [NodeFacts.Port] {
        var ports: [NodeFacts.Port] = []
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            guard fields.count > 3, fields[3] == state else { continue }
            let local = fields[1].split(separator: ":")
            guard local.count == 2, let port = UInt32(local[1], radix: 16) else { continue }
            let hex = Array(local[0])
            var words: [UInt32] = []
            for i in stride(from: 0, to: hex.count - 7, by: 8) {
                if let w = UInt32(String(hex[i..<i + 8]), radix: 16) { words.append(w) }
            }
            let address = InetAddress(words: words, byteOrder: .littleEndian)?.description ?? String(local[0])
            ports.append(NodeFacts.Port(protocolName: protocolName, address: address, port: port))
        }
        return ports
    }

    /// The check ids a comparison runs.
    public static let checkIDs = [
        "host.arch.mismatch", "host.page-size.mismatch", "host.criu.missing", "host.criu.older", "host.kernel.older", "host.kernel.differs",
        "host.cpu", "host.cpu.fpu", "host.cpu.instructions", "host.cpu.xsave", "host.cpu.xsave-size", "host.feature.missing",
        "host.cgroup.version", "host.cgroup.controller", "host.lsm.type", "host.lsm.profile", "host.lsm.label", "host.image.missing",
        "host.plugin.device", "host.plugin.missing", "host.port.in-use", "host.port.not-compared", "host.file.missing",
        "host.file.size-mismatch", "host.file.not-compared", "host.external.mount", "host.external.unix", "host.external.fd",
        "host.privilege", "host.unknown",
    ]

    /// Compares what a checkpoint needs (`input`) with a machine (`host`).
    public static func compare(_ input: Input, with host: HostEnvironment) -> HostReport {
        var c = Comparison(input: input, host: host)
        c.architecture()
        c.criu()
        c.kernel()
        c.processor()
        c.kernelFeatures()
        c.cgroups()
        c.securityModules()
        c.containerImage()
        c.plugins()
        c.files()
        c.ports()
        c.externals()
        c.privilege()
        return HostReport(facts: c.facts, findings: c.findings, checks: checkIDs, missingFiles: c.missing, presentFiles: c.present,
                          busyPorts: c.busy, requiredFeatures: c.required)
    }
}

/// One comparison of a checkpoint with a machine.
struct Comparison {
    let input: HostCheck.Input
    let host: HostEnvironment
    var node: NodeFacts { host.node }
    /// `this host`, or the node's name.
    var here: String { host.name }
    var facts: [Fact] = []
    var findings: [Finding] = []
    var missing: [String] = []
    var present: [String] = []
    var busy: [UInt32] = []
    var required: [String] = []

    init(input: HostCheck.Input, host: HostEnvironment) {
        self.input = input
        self.host = host
    }

    mutating func add(_ id: String, _ severity: Severity, _ message: String, image: String? = nil, entry: Int? = nil, field: String? = nil,
                      hint: String? = nil) {
        findings.append(Finding(id: id, severity: severity, area: .host, message: message, image: image, entry: entry, field: field, hint: hint))
    }

    /// A fact the checkpoint or the machine does not record (`host.unknown`).
    mutating func unknown(_ what: String, _ reason: String) {
        add("host.unknown", .info, "\(what): unknown; \(reason)")
    }

    /// Why a machine fact is unknown: what the node file says, else that it does not record it.
    func reason(_ key: String) -> String {
        node.reason(key).map { "\(here): \($0)" } ?? "\(here)'s facts do not record \(key)"
    }

    // MARK: Architecture, CRIU, kernel

    mutating func architecture() {
        let arch = input.architecture ?? "unknown"
        if let machine = node.architecture {
            let fits = input.architecture == nil || input.architecture == machine || (input.architecture == "ppc64le" && machine.hasPrefix("ppc64"))
            facts.append(Fact("host architecture", arch, host: machine, matches: input.architecture == nil ? nil : fits))
            if !fits {
                add("host.arch.mismatch", .error, "the checkpoint is \(arch), \(here) is \(machine)", hint: "Images only restore on the architecture that made them.")
            }
        } else {
            facts.append(Fact("host architecture", arch, host: "unknown"))
            unknown("architecture", reason("architecture"))
        }
        if let size = input.pageSize {
            if let nodeSize = node.pageSize {
                facts.append(Fact("host page size", String(size), host: String(nodeSize), matches: size == nodeSize))
                if size != nodeSize {
                    add("host.page-size.mismatch", .error, "the checkpoint uses \(size)-byte pages, \(here)'s kernel \(nodeSize)-byte pages",
                        hint: "Restore on a kernel built with the same page size.")
                }
            } else {
                unknown("page size", reason("page_size"))
            }
        }
    }

    mutating func criu() {
        let wanted = input.criuVersion
        guard let criu = node.criu else {
            facts.append(Fact("host CRIU", wanted ?? "unknown", host: "unknown"))
            unknown("CRIU", reason("criu"))
            return
        }
        guard criu.installed else {
            facts.append(Fact("host CRIU", wanted ?? "unknown", host: "not installed", matches: false))
            add("host.criu.missing", .warning, "CRIU is not installed on \(here)\(wanted.map { "; the checkpoint was written by CRIU \($0)" } ?? "")",
                hint: "Install CRIU (the same release or newer) to restore.")
            return
        }
        let have = criu.version
        let fits: Bool? = have.flatMap { h in wanted.map { !HostCheck.less(HostCheck.numbers(h), HostCheck.numbers($0)) } }
        facts.append(Fact("host CRIU", wanted ?? "unknown", host: "\(have ?? "unknown version") (\(criu.path ?? "criu"))", matches: fits))
        guard let have else {
            unknown("the CRIU version of \(here)", reason("criu.version"))
            return
        }
        guard fits == false, let wanted else { return }
        // CRIU 4.2 moved a pagemap entry's page count to nr_pages; an older CRIU reads compat_nr_pages (0) and restores no pages.
        if let ref = input.newPageCount, HostCheck.less(HostCheck.numbers(have), [4, 2]) {
            add("host.criu.older", .error,
                "CRIU \(have) on \(here) is older than the CRIU \(wanted) that wrote the checkpoint, and cannot read its pagemaps: they keep page counts in nr_pages (4.2+), which CRIU before 4.2 does not read",
                image: ref.image, entry: ref.entry, field: "nr_pages",
                hint: "Install CRIU 4.2 or newer on \(here); the older one would restore no memory pages.")
        } else {
            add("host.criu.older", .warning, "CRIU \(have) on \(here) is older than the CRIU \(wanted) that wrote the checkpoint",
                hint: "Older CRIU may not read newer images; install the same release or newer.")
        }
    }

    mutating func kernel() {
        guard let release = node.kernelRelease else {
            unknown("kernel release", reason("kernel.release"))
            return
        }
        if let kernel = input.kernel {
            let older = HostCheck.less(HostCheck.numbers(release), HostCheck.numbers(kernel))
            facts.append(Fact("host kernel", kernel, host: release, matches: !older))
            if older {
                add("host.kernel.older", .warning, "\(here)'s kernel (\(release)) is older than the dumping one (\(kernel))",
                    hint: "Features the processes used may be missing; `criu check --all` on \(here) tells.")
            } else if kernel != release {
                add("host.kernel.differs", .info, "the checkpoint was made on kernel \(kernel), \(here) runs \(release)")
            }
        } else {
            facts.append(Fact("host kernel", "not recorded", host: release))
            unknown("whether \(here)'s kernel is older than the dumping one", "the checkpoint does not record the dumping kernel (it has no dump.log)")
        }
    }

    // MARK: CPU

    static func vendorString(_ imageVendor: String?) -> String? {
        switch imageVendor {
        case "INTEL"?: "GenuineIntel"
        case "AMD"?: "AuthenticAMD"
        default: imageVendor
        }
    }

    mutating func processor() {
        let cpu = node.cpu
        let nodeCPU = [cpu?.vendor, cpu?.modelName].compactMap { $0 }.joined(separator: " ")
            + (cpu?.family.map { " (family \($0)\(cpu?.model.map { " model \($0)" } ?? ""))" } ?? "")
        var dumpVendor: String?
        if let info = input.cpuInfo {
            dumpVendor = Self.vendorString(info.vendor)
            let text = [dumpVendor, info.modelName].compactMap { $0 }.joined(separator: " ")
                + (info.family.map { " (family \($0)\(info.model.map { " model \($0)" } ?? ""))" } ?? "")
            facts.append(Fact("host CPU (cpuinfo.img)", text, host: nodeCPU.isEmpty ? "unknown" : nodeCPU))
        } else if let line = input.cpu {
            dumpVendor = line.split(separator: " ").drop { $0 != "x86_vendor_id" }.dropFirst().first.map(String.init)
            facts.append(Fact("host CPU", line, host: nodeCPU.isEmpty ? "unknown" : nodeCPU))
        } else {
            facts.append(Fact("host CPU", "not recorded", host: nodeCPU.isEmpty ? "unknown" : nodeCPU))
        }
        if let dumpVendor, let vendor = cpu?.vendor, dumpVendor != vendor {
            add("host.cpu", .warning, "the checkpoint was made on a \(dumpVendor) CPU, \(here)'s is \(vendor)",
                hint: "FPU state and CPU features must be available there; CRIU checks them at restore with --cpu-cap.")
        }
        guard input.architecture == nil || input.architecture == "x86_64" else { return }
        let words = cpu?.capabilityWords
        let nodeMask = cpu?.xfeaturesMask

        // cpuinfo.img: the rules of --cpu-cap's default (fpu, ins).
        if let info = input.cpuInfo {
            let count = min(info.capabilityWords.count, info.capabilityVersion.flatMap(CPUFeatures.wordCount) ?? info.capabilityWords.count)
            let saved = Array(info.capabilityWords.prefix(count))
            if let words {
                let fpu = CPUFeatures.fpuFeatures.filter { CPUFeatures.has($0, in: saved) && !CPUFeatures.has($0, in: words) }.map(\.name)
                if !fpu.isEmpty {
                    add("host.cpu.fpu", .error, "cpuinfo.img's CPU has \(fpu.joined(separator: ", ")), which \(here)'s CPU lacks",
                        image: "cpuinfo.img", entry: 0, field: "capability",
                        hint: "CRIU refuses the restore with --cpu-cap (\"FPU feature required by image is not supported on host\").")
                }
                let fpuNames = Set(CPUFeatures.fpuFeatures.map(\.name))
                let ins = CPUFeatures.instructionFeatures
                    .filter { !fpuNames.contains($0.name) && CPUFeatures.has($0, in: saved) && !CPUFeatures.has($0, in: words) }.map(\.name)
                if !ins.isEmpty {
                    add("host.cpu.instructions", .error,
                        "the dumping CPU had \(ins.count) instruction-set feature\(ins.count == 1 ? "" : "s") \(here)'s CPU lacks: \(ins.joined(separator: ", "))",
                        image: "cpuinfo.img", entry: 0, field: "capability",
                        hint: "Programs chose code paths for those instructions when they started; CRIU refuses the restore with --cpu-cap (\"CPU instruction capabilities do not match run time\").")
                }
            } else {
                unknown("CPU features of \(here)", reason("cpu.capability_words"))
            }
            if let size = info.xsaveSize, let sizeMax = info.xsaveSizeMax {
                if let nodeSize = cpu?.xsaveSize, let nodeMax = cpu?.xsaveSizeMax {
                    if nodeSize != size || nodeMax != sizeMax {
                        add("host.cpu.xsave-size", .error,
                            "the XSAVE area is \(size) bytes (\(sizeMax) at most) in cpuinfo.img, \(nodeSize) (\(nodeMax)) on \(here)",
                            image: "cpuinfo.img", entry: 0, field: "xsave_size",
                            hint: "CRIU refuses the restore with --cpu-cap (\"CPU xsave size mismatch\"): programs sized XSAVE buffers when they started.")
                    }
                } else {
                    unknown("XSAVE sizes of \(here)", reason("cpu.xsave"))
                }
            }
        } else {
            unknown("CPU instruction features the processes may use",
                    input.hasCPUInfo ? "cpuinfo.img does not decode" : "the checkpoint has no cpuinfo.img (it was dumped without --cpu-cap)")
            if let fpu = input.dumpFPU, let size = fpu.xsaveSize, let nodeSize = cpu?.xsaveSize, nodeSize > size {
                add("host.cpu.xsave-size", .warning,
                    "\(here)'s XSAVE area is \(nodeSize) bytes, larger than the dumping CPU's \(size) (dump.log)",
                    image: "dump.log",
                    hint: "Programs that sized XSAVE buffers when they started (the dynamic linker does) may overflow them there.")
            }
        }

        // XSAVE components: what the threads saved, and what the dumping CPU offered.
        let legacy: UInt64 = 0b11  // x87 and SSE live in the FXSAVE area, restored everywhere
        var needed: UInt64 = 0
        var evidence: [String] = []
        let saved = input.xstate.reduce(UInt64(0)) { $0 | $1.mask } & CPUFeatures.userComponentMask & ~legacy
        if saved != 0 {
            needed |= saved
            let threads = input.xstate.filter { $0.mask & saved != 0 }.reduce(0) { $0 + $1.threads }
            evidence.append("\(threads) thread\(threads == 1 ? "" : "s") saved \(CPUFeatures.componentNames(saved).joined(separator: ", ")) state (xstate_bv)")
        }
        if let info = input.cpuInfo, let mask = info.xfeaturesMask {
            let offered = mask & CPUFeatures.userComponentMask & ~legacy
            needed |= offered
            evidence.append("cpuinfo.img's CPU offered \(CPUFeatures.componentNames(offered).joined(separator: ", ")) (xfeatures_mask \(CPUFeatures.hex(mask)))")
        } else if let fpu = input.dumpFPU {
            let offered = fpu.xfeaturesMask & CPUFeatures.userComponentMask & ~legacy
            needed |= offered
            evidence.append("the dumping CPU offered \(CPUFeatures.componentNames(offered).joined(separator: ", ")) (dump.log: xfeatures_mask \(CPUFeatures.hex(fpu.xfeaturesMask)))")
        }
        guard needed != 0 else { return }
        guard let nodeMask else {
            unknown("XSAVE features of \(here)", reason("cpu.xsave"))
            return
        }
        facts.append(Fact("host XSAVE", CPUFeatures.componentNames(needed).joined(separator: ", "),
                          host: CPUFeatures.componentNames(nodeMask & ~legacy).joined(separator: ", "), matches: needed & ~nodeMask == 0))
        let lacking = needed & ~nodeMask
        guard lacking != 0 else { return }
        let pkru: UInt64 = 1 << 9
        let image = input.xstate.first { $0.mask & lacking != 0 }?.image
        add("host.cpu.xsave", lacking & ~pkru == 0 ? .warning : .error,
            "\(here)'s CPU lacks \(CPUFeatures.componentNames(lacking).joined(separator: ", ")) (XSAVE features \(CPUFeatures.hex(nodeMask))): " + evidence.joined(separator: "; "),
            image: image, entry: image == nil ? nil : 0, field: image == nil ? nil : "thread_info.fpregs.xsave.xstate_bv",
            hint: lacking & ~pkru == 0
                ? "CRIU drops the protection-key register there; a process that uses memory protection keys loses its access rights."
                : "CRIU restores only the register state the CPU has: the rest is lost, and code that uses those instructions faults (SIGILL).")
    }

    // MARK: Kernel features

    mutating func kernelFeatures() {
        let release = node.kernelRelease.map(HostCheck.numbers)
        for feature in HostCheck.Feature.allCases where input.features.contains(feature) {
            required.append(feature.rawValue)
            let minimum = feature.minimumKernel.map(String.init).joined(separator: ".")
            let why = input.featureEvidence[feature].map { " (\($0))" } ?? ""
            let recorded = node.kernelFeature(feature.key)
            let kernelOld = release.map { HostCheck.less($0, feature.minimumKernel) } ?? false
            let fits: Bool? = recorded?.available ?? (kernelOld ? false : nil)
            facts.append(Fact("needs \(feature.rawValue)", "kernel >= \(minimum)", host: fits.map { $0 ? "available" : "missing" } ?? "unknown", matches: fits))
            switch fits {
            case false?:
                let evidence = recorded.map { $0.evidence } ?? "kernel \(node.kernelRelease ?? "?") < \(minimum)"
                add("host.feature.missing", .error, "the checkpoint needs \(feature.rawValue)\(why), which \(here) lacks: \(evidence)",
                    hint: "CRIU cannot restore it there; restore on a kernel that has \(feature.rawValue) (\(minimum) or newer, enabled).")
            case nil:
                unknown("\(feature.rawValue) on \(here) (needed\(why))", recorded.map { $0.evidence } ?? reason("kernel_features \(feature.key)"))
            case true?:
                break
            }
        }
    }

    // MARK: Cgroups

    mutating func cgroups() {
        guard let needs = input.cgroups else { return }
        let version = needs.v1.isEmpty ? (needs.usesV2 ? "v2" : "none") : (needs.usesV2 ? "hybrid" : "v1")
        guard let cg = node.cgroups else {
            facts.append(Fact("host cgroups", version, host: "unknown"))
            unknown("cgroups of \(here)", reason("cgroups"))
            return
        }
        let hasV1 = cg.version == "v1" || cg.version == "hybrid", hasV2 = cg.version == "v2" || cg.version == "hybrid"
        let fits = (needs.v1.isEmpty || hasV1) && (!needs.usesV2 || hasV2)
        facts.append(Fact("host cgroups", version + (needs.v1.isEmpty ? "" : " (\(needs.v1.joined(separator: ", ")))"), host: cg.version, matches: fits))
        if !needs.v1.isEmpty && !hasV1 {
            add("host.cgroup.version", .error,
                "cgroup.img records cgroup v1 hierarchies (\(needs.v1.joined(separator: ", "))), \(here) has cgroup \(cg.version)",
                image: "cgroup.img", entry: 0,
                hint: "CRIU restores into the hierarchies the checkpoint names; restore on a node with the same cgroup version (runc cannot cross v1 and v2).")
            return
        }
        if needs.usesV2 && !hasV2 {
            add("host.cgroup.version", .error, "cgroup.img records a cgroup v2 (unified) membership, \(here) has cgroup \(cg.version)",
                image: "cgroup.img", entry: 0, hint: "Restore on a node with cgroup v2 mounted.")
            return
        }
        let missingV1 = needs.v1.filter { !cg.v1Controllers.contains($0) }
        if !missingV1.isEmpty {
            add("host.cgroup.controller", .error,
                "cgroup.img names v1 controller\(missingV1.count == 1 ? "" : "s") \(missingV1.joined(separator: ", ")), not mounted on \(here)",
                image: "cgroup.img", entry: 0, hint: "Mount those hierarchies on \(here), or restore with --manage-cgroups=ignore.")
        }
        guard !needs.v2Controllers.isEmpty else { return }
        guard let v2 = cg.v2Controllers else {
            unknown("cgroup v2 controllers of \(here)", reason("cgroups.v2_controllers"))
            return
        }
        let missingV2 = needs.v2Controllers.filter { !v2.contains($0) }
        if !missingV2.isEmpty {
            add("host.cgroup.controller", .error,
                "cgroup.img saved v2 control files of \(missingV2.joined(separator: ", ")), not enabled on \(here) (\(cg.v2Mount ?? "cgroup2")/cgroup.controllers)",
                image: "cgroup.img", entry: 0, hint: "Enable the controllers on \(here), or restore with --manage-cgroups=ignore.")
        }
    }

    // MARK: LSM

    mutating func securityModules() {
        let image = input.lsmType
        let taskLabels = input.labels.filter { $0.source.contains("creds") }
        guard image != nil || !input.labels.isEmpty else { return }
        guard let lsm = node.lsm else {
            if !input.labels.isEmpty { unknown("security modules of \(here)", reason("lsm")) }
            return
        }
        let imageType: String? = switch image {
        case .some(LSMType.apparmor): "apparmor"
        case .some(LSMType.selinux): "selinux"
        case .some(LSMType.none): "none"
        default: nil
        }
        facts.append(Fact("host LSM", imageType ?? "unknown", host: lsm.criuType, matches: imageType == nil || imageType == "none" ? nil : imageType == lsm.criuType))
        let mismatch = imageType != nil && imageType != "none" && imageType != lsm.criuType && !taskLabels.isEmpty
        if mismatch, let imageType, let first = taskLabels.first {
            add("host.lsm.type", .error,
                "the checkpoint was dumped under \(imageType) and its tasks carry labels (\(first.label), \(first.source)); CRIU on \(here) would use \(lsm.criuType)",
                image: "inventory.img", entry: 0, field: "lsmtype",
                hint: "CRIU refuses the restore (\"mismatched lsm types and lsm profile specified\"); restore on a node with \(imageType), or pass --lsm-profile.")
        }
        // The tasks' own labels are restored only when the LSM matches: a mismatch already says they cannot be.
        for label in input.labels where !(mismatch && label.source.contains("creds")) {
            let kind = label.kind == "unknown" ? imageType ?? "unknown" : label.kind
            switch kind {
            case "apparmor":
                guard !label.label.isEmpty, label.label != "unconfined" else { continue }
                if lsm.apparmorEnabled == false || (lsm.criuType != "apparmor" && lsm.apparmorEnabled == nil && lsm.apparmorProfiles == nil) {
                    add("host.lsm.profile", .error, "AppArmor profile \(label.label) (\(label.source)) is needed, and AppArmor is not enabled on \(here)",
                        hint: "Restore on a node with AppArmor and the profile loaded, or restore without the profile.")
                } else if let profiles = lsm.apparmorProfiles {
                    if !profiles.contains(label.label) {
                        add("host.lsm.profile", .error, "AppArmor profile \(label.label) (\(label.source)) is not loaded on \(here)",
                            hint: "Load the profile on \(here) (apparmor_parser), or restore with another profile.")
                    }
                } else {
                    unknown("whether AppArmor profile \(label.label) is loaded on \(here)", reason("lsm.apparmor.profiles"))
                }
            case "selinux":
                if lsm.selinuxEnabled == false {
                    add("host.lsm.label", .error, "SELinux label \(label.label) (\(label.source)) is needed, and SELinux is not enabled on \(here)",
                        hint: "Restore on a node with SELinux and a policy that defines the label.")
                } else if lsm.selinuxEnabled == nil {
                    unknown("whether SELinux is enabled on \(here)", reason("lsm.selinux"))
                } else {
                    unknown("whether \(here)'s SELinux policy\(lsm.selinuxPolicy.map { " (\($0))" } ?? "") defines \(label.label)",
                            "checking a context needs a write to selinuxfs, which host does not do")
                }
            default:
                unknown("which LSM label \(label.label) (\(label.source)) belongs to", "the checkpoint does not say")
            }
        }
    }

    // MARK: Image

    /// `sha256:...` of a reference (`docker.io/x@sha256:...`), or the reference when it is a digest.
    static func digest(_ reference: String?) -> String? {
        guard let reference else { return nil }
        if let at = reference.range(of: "@") { return String(reference[at.upperBound...]) }
        return reference.hasPrefix("sha256:") ? reference : nil
    }

    static func sameName(_ a: String, _ b: String) -> Bool {
        func normal(_ s: String) -> String {
            var n = s
            if !n.contains(":") || n.lastIndex(of: ":")! < (n.lastIndex(of: "/") ?? n.startIndex) { n += ":latest" }
            for prefix in ["docker.io/library/", "docker.io/"] where n.hasPrefix(prefix) { n = String(n.dropFirst(prefix.count)) }
            return n
        }
        return normal(a) == normal(b)
    }

    mutating func containerImage() {
        guard let need = input.image else { return }
        let described = [need.name, need.id.map { "id " + String($0.prefix(12)) }].compactMap { $0 }.joined(separator: ", ")
        guard need.id != nil || need.name != nil || need.reference != nil else {
            unknown("the container image", "\(need.source) names none")
            return
        }
        guard let images = node.images else {
            facts.append(Fact("host image", described, host: "unknown"))
            unknown("whether \(here) holds image \(described)", reason("images"))
            return
        }
        let digest = Self.digest(need.reference)
        let match = images.first { image in
            if let id = need.id, id.count >= 12, image.id.hasPrefix(id) || id.hasPrefix(image.id) { return true }
            if let digest, image.digests.contains(digest) || image.id == digest.dropFirst("sha256:".count) { return true }
            return false
        } ?? images.first { image in need.id == nil && digest == nil && need.name.map { n in image.names.contains { Self.sameName($0, n) } } == true }
        facts.append(Fact("host image", described, host: match.map { "present (\($0.engine))" } ?? "absent", matches: match != nil))
        guard match == nil else { return }
        let local = need.name.map { $0.hasPrefix("localhost/") } ?? true
        add("host.image.missing", local ? .error : .warning,
            "the container image \(described) (\(need.source)) is not among the \(images.count) image\(images.count == 1 ? "" : "s") \(here) holds",
            image: need.source,
            hint: local ? "The image was built locally and cannot be pulled: copy it to \(here) first (podman save / podman load)."
                : "The engine pulls it at restore if the registry is reachable from \(here); pull it first to be sure of the same digest.")
    }

    // MARK: Plugins and GPUs

    mutating func plugins() {
        var names = input.plugins ?? []
        if input.pluginImages.contains(where: { $0.hasPrefix("amdgpu") }), !names.contains(where: { $0.contains("amdgpu") }) {
            names.append("amdgpu_plugin")
        }
        guard !names.isEmpty else { return }
        let evidence = input.plugins.map { _ in "inventory.img plugins" } ?? "\(input.pluginImages.first ?? "plugin images")"
        for plugin in names {
            let amd = plugin.contains("amdgpu"), cuda = plugin.contains("cuda")
            guard amd || cuda else {
                unknown("what plugin \(plugin) (\(evidence)) needs", "it is not the AMD GPU or CUDA plugin")
                continue
            }
            if let gpus = node.gpus {
                let device = amd ? gpus.first { $0.device == "/dev/kfd" } : gpus.first { $0.vendor == "nvidia" && $0.device.hasPrefix("/dev/nvidia") }
                facts.append(Fact("host GPU (\(plugin))", amd ? "AMD GPU (/dev/kfd)" : "NVIDIA GPU",
                                  host: device.map { "\($0.device)\($0.driver.map { " \($0)" } ?? "")\($0.driverVersion.map { " \($0)" } ?? "")" } ?? "none",
                                  matches: device != nil))
                if device == nil {
                    add("host.plugin.device", .error,
                        "the checkpoint was dumped with CRIU's \(plugin) (\(evidence)), and \(here) has no \(amd ? "AMD GPU (/dev/kfd)" : "NVIDIA GPU (/dev/nvidia*)")",
                        image: input.plugins == nil ? input.pluginImages.first : "inventory.img",
                        hint: "GPU state restores only on a node with a matching GPU and driver.")
                }
            } else {
                unknown("GPUs of \(here) (needed by \(plugin))", reason("gpus"))
            }
            guard let criu = node.criu, criu.installed else { continue }
            var lacking: [String] = []
            if !criu.plugins.contains(plugin + ".so") { lacking.append("\(plugin).so in \(criu.pluginDirectory ?? "CRIU's plugin directory (/usr/lib/criu)")") }
            if cuda, let engines = node.engines, !engines.contains(where: { $0.name == "cuda-checkpoint" }) { lacking.append("the cuda-checkpoint utility") }
            if !lacking.isEmpty {
                add("host.plugin.missing", .error, "the checkpoint needs CRIU's \(plugin) (\(evidence)); \(here) lacks \(lacking.joined(separator: " and "))",
                    hint: "Install the plugin (and its utility) with \(here)'s CRIU.")
            }
        }
    }

    // MARK: Files and ports

    mutating func files() {
        let candidates = input.files.filter { ref in
            ref.path.hasPrefix("/") && !HostCheck.ignoredPrefixes.contains(where: { ref.path.hasPrefix($0) }) && ref.path != "/"
        }
        guard !candidates.isEmpty else { return }
        let count = Set(candidates.map(\.path)).count
        if input.ownMountNamespace {
            facts.append(Fact("host files", "\(plural(count, "path")) inside the container", host: "not compared"))
            add("host.file.not-compared", .info,
                "\(count) file paths are inside the container's own mount namespace (image and volumes); they are not compared with \(here)'s files")
            return
        }
        guard let status = host.status else {
            facts.append(Fact("host files", "\(count) referenced by path", host: "not recorded"))
            add("host.file.not-compared", .info,
                "\(plural(count, "file")) \(count == 1 ? "is" : "are") reopened by path (\(candidates.prefix(3).map(\.path).joined(separator: ", "))\(count > 3 ? ", ..." : "")); node facts do not record files, so whether \(here) has them with the same sizes is not known")
            return
        }
        var seen = Set<String>()
        for ref in candidates where seen.insert(ref.path).inserted {
            guard let st = status(ref.path) else {
                missing.append(ref.path)
                add("host.file.missing", .error, "\(ref.path) (file id \(ref.id)\(ref.size.map { ", \($0) bytes" } ?? "")) does not exist on \(here)",
                    image: ref.image, entry: ref.entry, hint: "CRIU reopens files by path; restore fails with \"Can't open file\".")
                continue
            }
            present.append(ref.path)
            if let size = ref.size, st.isRegular, st.size != size {
                add("host.file.size-mismatch", .error, "\(ref.path) is \(st.size) bytes on \(here), \(size) in the checkpoint",
                    image: ref.image, entry: ref.entry, hint: "CRIU checks the size and refuses a changed file (\"has bad size\").")
            }
        }
        facts.append(Fact("host files", "\(seen.count) referenced by path", host: "\(present.count) present, \(missing.count) missing", matches: missing.isEmpty))
    }

    /// Two local addresses of one port collide unless both are specific and different.
    static func collide(_ a: String?, _ b: String) -> Bool {
        let wildcards: Set<String> = ["0.0.0.0", "::", "*", ""]
        guard let a, !wildcards.contains(a), !wildcards.contains(b) else { return true }
        return a == b
    }

    mutating func ports() {
        guard !input.listeningPorts.isEmpty else { return }
        let own = input.listeningPorts.filter { $0.inHostNetwork == false }
        let shared = input.listeningPorts.filter { $0.inHostNetwork == true }
        let undecided = input.listeningPorts.filter { $0.inHostNetwork == nil }
        func list(_ refs: [HostCheck.PortReference]) -> String { refs.map { "\($0.protocolName)/\($0.port)" }.joined(separator: ", ") }
        if !own.isEmpty {
            facts.append(Fact("host ports", list(own), host: "not compared (own network namespace)"))
            add("host.port.not-compared", .info,
                "\(list(own)) belong\(own.count == 1 ? "s" : "") to the checkpoint's own network namespace, restored as a new one: \(here)'s ports cannot collide with \(own.count == 1 ? "it" : "them")")
        }
        if !undecided.isEmpty {
            unknown("whether \(list(undecided)) would collide with \(here)'s ports", "the checkpoint does not say which network namespace the sockets are in")
        }
        guard !shared.isEmpty else { return }
        guard let ports = node.ports else {
            facts.append(Fact("host ports", list(shared), host: "unknown"))
            unknown("ports in use on \(here)", reason("network.ports"))
            return
        }
        for ref in shared {
            guard let user = ports.first(where: { $0.port == ref.port && $0.protocolName == ref.protocolName && Self.collide(ref.address, $0.address) }) else { continue }
            busy.append(ref.port)
            add("host.port.in-use", .error,
                "\(ref.protocolName) port \(ref.port)\(ref.address.map { " on \($0)" } ?? "") (file id \(ref.fileID)) is already in use on \(here) (\(user.address):\(user.port))",
                image: "files.img", entry: ref.entry,
                hint: "The socket is in the host's network namespace; restore fails with \"Address already in use\": stop what listens there, or restore elsewhere.")
        }
        facts.append(Fact("host ports", list(shared), host: busy.isEmpty ? "free" : "in use: " + busy.map(String.init).joined(separator: ", "), matches: busy.isEmpty))
    }

    // MARK: External resources, privilege

    mutating func externals() {
        let engineMade = input.engine != "criu"
        for (kind, id, one, many, option) in [
            ("mount", "host.external.mount", "external mount", "external mounts", "--external mnt[KEY]:PATH"),
            ("unix", "host.external.unix", "unix socket connected outside the dump", "unix sockets connected outside the dump", "--ext-unix-sk"),
            ("fd", "host.external.fd", "descriptor inherited from outside the dump", "descriptors inherited from outside the dump", "--inherit-fd fd[N]:RESOURCE"),
        ] {
            let items = input.externals.filter { $0.kind == kind }
            guard let first = items.first else { continue }
            let shown = items.prefix(4).map(\.description).joined(separator: "; ") + (items.count > 4 ? "; \(items.count - 4) more not shown" : "")
            add(id, engineMade ? .info : .warning,
                "\(items.count) \(items.count == 1 ? one : many) must be given to the restore on \(here) (\(option)): \(shown)",
                image: first.image, entry: first.entry,
                hint: engineMade ? "The engine (\(input.engine)) supplies them from its own configuration; they must exist on \(here)."
                    : "Whether \(here) has them is not recorded; pass them to criu restore.")
        }
    }

    mutating func privilege() {
        guard host.isLocal, let euid = node.euid, euid != 0 else { return }
        if input.features.contains(.tcpRepair) {
            add("host.privilege", .info, "established TCP connections are restored with TCP repair, which needs CAP_NET_ADMIN")
        }
        add("host.privilege", .info, "not running as root: a restore needs root or CAP_CHECKPOINT_RESTORE (and CAP_SYS_ADMIN for namespaces)")
    }
}
