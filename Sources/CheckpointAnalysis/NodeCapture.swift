internal import CHostProbe
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `read(2)`, named apart from ``NodeCapture/read(_:)``.
private func posixRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(fd, buffer, count)
}

extension NodeFacts {
    /// How ``capture(options:)`` reads the machine.
    public struct CaptureOptions: Sendable {
        /// The root the files are read under (`/`); tests point it at a prepared tree.
        public var root: String
        /// Run `criu --version` and the engines' `--version` (and `ctr images ls` for containerd).
        public var runPrograms: Bool
        /// The tool version recorded in ``NodeFacts/toolVersion``.
        public var toolVersion: String?
        /// Reads `/` and runs the programs.
        public init(root: String = "/", runPrograms: Bool = true, toolVersion: String? = nil) {
            self.root = root
            self.runPrograms = runPrograms
            self.toolVersion = toolVersion
        }
    }

    /// Reads this machine: `uname`, `sysconf`, /proc, /sys, the cpuid instruction, engine storage files,
    /// and `--version` of the programs found. Read-only: it writes no file and changes no setting; the
    /// kernel-feature probes create a descriptor of this process (pidfd, memfd, userfaultfd) and close it.
    public static func capture(options: CaptureOptions = CaptureOptions()) -> NodeFacts {
        var capture = NodeCapture(options: options)
        return capture.run()
    }
}

/// One capture of this machine's facts.
struct NodeCapture {
    let options: CaptureOptions
    var facts = NodeFacts()
    typealias CaptureOptions = NodeFacts.CaptureOptions

    init(options: CaptureOptions) { self.options = options }

    // MARK: - Reading files

    /// The text of a file under the root, or why it could not be read.
    func read(_ path: String) -> Result<String, ReadFailure> {
        let full = options.root == "/" ? path : options.root + path
        let fd = open(full, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(ReadFailure(path: path, errno: errno)) }
        defer { close(fd) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while out.count < 16 << 20 {
            let n = buffer.withUnsafeMutableBytes { posixRead(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(ReadFailure(path: path, errno: errno))
            }
            if n == 0 { break }
            out += buffer[0..<n]
        }
        return .success(String(decoding: out, as: UTF8.self))
    }

    func text(_ path: String) -> String? { try? read(path).get() }

    func exists(_ path: String) -> Bool { access(options.root == "/" ? path : options.root + path, F_OK) == 0 }

    func list(_ path: String) -> [String]? {
        try? FileManager.default.contentsOfDirectory(atPath: options.root == "/" ? path : options.root + path).sorted()
    }

    func link(_ path: String) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: options.root == "/" ? path : options.root + path)
    }

    struct ReadFailure: Error {
        var path: String
        var errno: Int32
        var reason: String {
            switch errno {
            case ENOENT: "\(path) does not exist"
            case EACCES, EPERM: "\(path): permission denied (needs root)"
            default: "\(path): \(String(cString: strerror(errno)))"
            }
        }
    }

    // MARK: - The capture

    mutating func run() -> NodeFacts {
        var names = utsname()
        uname(&names)
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
        }
        facts.hostname = field(names.nodename)
        facts.architecture = field(names.machine)
        facts.kernelRelease = field(names.release)
        facts.kernelVersion = field(names.version)
        facts.pageSize = UInt64(max(0, sysconf(Int32(_SC_PAGESIZE))))
        facts.euid = geteuid()
        facts.toolVersion = options.toolVersion
        facts.capturedAt = ISO8601DateFormatter().string(from: Date())
        readCPU()
        readKernelFeatures()
        readCRIU()
        readCgroups()
        readLSM()
        readEngines()
        readImages()
        readNetwork()
        readGPUs()
        return facts
    }

    // MARK: CPU

    /// The first CPU's `key: value` lines of /proc/cpuinfo.
    func cpuinfoFields() -> [String: String]? {
        guard let text = text("/proc/cpuinfo") else { return nil }
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.trimmingCharacters(in: .whitespaces).isEmpty { if !fields.isEmpty { break } else { continue } }
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, fields[parts[0]] == nil else { continue }
            fields[parts[0]] = parts[1]
        }
        return fields
    }

    mutating func readCPU() {
        let fields = cpuinfoFields()
        let flags = (fields?["flags"] ?? fields?["Features"]).map { $0.split(separator: " ").map(String.init) }
        var cpu = facts.architecture == "x86_64" || facts.architecture?.hasPrefix("i") == true
            ? CPUFeatures.readThisCPU(linuxFlags: Set(flags ?? [])) : nil
        if cpu == nil {
            var plain = NodeFacts.CPU()
            plain.vendor = fields?["vendor_id"] ?? fields?["CPU implementer"]
            plain.modelName = fields?["model name"] ?? fields?["cpu model"]
            plain.source = "/proc/cpuinfo"
            cpu = plain
            facts.markUnknown("cpu.capability_words", "not an x86 machine: CRIU compares CPUID words only on x86")
        }
        cpu?.flags = flags
        if flags == nil { facts.markUnknown("cpu.flags", "/proc/cpuinfo has no flags line") }
        facts.cpu = cpu
    }

    // MARK: Kernel features

    mutating func readKernelFeatures() {
        var list: [NodeFacts.KernelFeature] = []
        func add(_ feature: HostCheck.Feature, _ available: Bool?, _ evidence: String) {
            list.append(.init(name: feature.key, available: available, evidence: evidence))
        }
        func path(_ feature: HostCheck.Feature, _ p: String) {
            add(feature, exists(p), exists(p) ? "\(p) exists" : "\(p) does not exist")
        }
        func probe(_ feature: HostCheck.Feature, _ call: String, _ result: Int32, permitted: Bool = true) {
            switch result {
            case 0: add(feature, true, "\(call) succeeded")
            case ENOSYS: add(feature, false, "\(call): ENOSYS (not in this kernel)")
            case EPERM, EACCES: add(feature, permitted ? true : nil, "\(call): \(result == EPERM ? "EPERM" : "EACCES") (present, refused to this user)")
            case EINVAL, EFAULT: add(feature, true, "\(call): \(result == EINVAL ? "EINVAL" : "EFAULT") to a deliberately invalid call (present)")
            default: add(feature, nil, "\(call): \(String(cString: strerror(result)))")
            }
        }
        let mapFiles = exists("/proc/self/map_files"), lastPid = exists("/proc/sys/kernel/ns_last_pid")
        add(.checkpointRestore, mapFiles && lastPid,
            "/proc/self/map_files \(mapFiles ? "exists" : "does not exist"), /proc/sys/kernel/ns_last_pid \(lastPid ? "exists" : "does not exist")")
        let userNamespaces = text("/proc/sys/user/max_user_namespaces").flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        if exists("/proc/self/ns/user") {
            add(.userNamespace, userNamespaces.map { $0 > 0 } ?? true,
                "/proc/self/ns/user exists" + (userNamespaces.map { ", user.max_user_namespaces = \($0)" } ?? ""))
        } else {
            add(.userNamespace, false, "/proc/self/ns/user does not exist")
        }
        path(.pidNamespace, "/proc/self/ns/pid")
        path(.netNamespace, "/proc/self/ns/net")
        path(.ipcNamespace, "/proc/self/ns/ipc")
        path(.utsNamespace, "/proc/self/ns/uts")
        path(.mountNamespace, "/proc/self/ns/mnt")
        path(.cgroupNamespace, "/proc/self/ns/cgroup")
        path(.timeNamespace, "/proc/self/ns/time")
        let tcpRepair = HostCheck.less(HostCheck.numbers(facts.kernelRelease ?? ""), HostCheck.Feature.tcpRepair.minimumKernel)
        add(.tcpRepair, facts.kernelRelease.map { _ in !tcpRepair },
            "kernel \(facts.kernelRelease ?? "?") \(tcpRepair ? "<" : ">=") 3.5 (TCP_REPAIR itself needs CAP_NET_ADMIN to try)")
        probe(.memfd, "memfd_create", ckpt_probe_memfd())
        probe(.pidfd, "pidfd_open", ckpt_probe_pidfd())
        probe(.memfdSecret, "memfd_secret", ckpt_probe_memfd_secret())
        probe(.userfaultfd, "userfaultfd", ckpt_probe_userfaultfd())
        let disabled = text("/proc/sys/kernel/io_uring_disabled").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        if disabled == "2" {
            add(.ioUring, false, "kernel.io_uring_disabled = 2")
        } else {
            probe(.ioUring, "io_uring_setup", ckpt_probe_io_uring())
        }
        let seccomp = exists("/proc/sys/kernel/seccomp/actions_avail")
        add(.seccompFilters, seccomp, "/proc/sys/kernel/seccomp/actions_avail \(seccomp ? "exists" : "does not exist")")
        if let filesystems = text("/proc/filesystems") {
            let names = Set(filesystems.split(separator: "\n").compactMap { $0.split(separator: "\t").last.map(String.init) })
            if names.contains("overlay") {
                add(.overlayfs, true, "/proc/filesystems lists overlay")
            } else if let release = facts.kernelRelease, exists("/lib/modules/\(release)") {
                let module = exists("/lib/modules/\(release)/kernel/fs/overlayfs")
                add(.overlayfs, module, module ? "overlay is a module not loaded yet (/lib/modules/\(release)/kernel/fs/overlayfs)"
                    : "not in /proc/filesystems and no overlayfs module in /lib/modules/\(release)")
            } else {
                add(.overlayfs, nil, "not in /proc/filesystems, and /lib/modules/\(facts.kernelRelease ?? "?") is not here to say whether it is a module")
            }
        } else {
            add(.overlayfs, nil, "/proc/filesystems cannot be read")
        }
        let flags = Set(facts.cpu?.flags ?? [])
        let shadowKernel = !HostCheck.less(HostCheck.numbers(facts.kernelRelease ?? ""), HostCheck.Feature.shadowStack.minimumKernel)
        add(.shadowStack, flags.contains("user_shstk") && shadowKernel,
            "CPU flag user_shstk \(flags.contains("user_shstk") ? "present" : "absent"), kernel \(facts.kernelRelease ?? "?")")
        switch ckpt_probe_guard_regions() {
        case 0: add(.guardRegions, true, "madvise(MADV_GUARD_INSTALL) on a page of this process succeeded")
        case EINVAL: add(.guardRegions, false, "madvise(MADV_GUARD_INSTALL): EINVAL (this kernel does not know the advice)")
        case let e: add(.guardRegions, nil, "madvise(MADV_GUARD_INSTALL): \(String(cString: strerror(e)))")
        }
        facts.kernelFeatures = list
    }

    // MARK: CRIU

    mutating func readCRIU() {
        var dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        dirs += ["/usr/local/sbin", "/usr/sbin", "/sbin"]
        var criu = NodeFacts.CRIU(installed: false)
        if let path = dirs.map({ $0 + "/criu" }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }) {
            criu.installed = true
            criu.path = path
            if options.runPrograms, let out = Self.run(path, ["--version"]) {
                // "Version: 4.2\n" and, for builds from git, "GitID: v4.2-12-g...".
                for line in out.split(separator: "\n") {
                    if line.hasPrefix("Version:") { criu.version = line.dropFirst(8).trimmingCharacters(in: .whitespaces) }
                    if line.hasPrefix("GitID:") { criu.gitID = line.dropFirst(6).trimmingCharacters(in: .whitespaces) }
                }
            }
            if criu.version == nil { facts.markUnknown("criu.version", options.runPrograms ? "\(path) --version printed no Version: line" : "programs not run") }
        }
        for dir in ["/usr/lib/criu", "/usr/local/lib/criu", "/usr/lib64/criu"] where exists(dir) {
            criu.pluginDirectory = dir
            criu.plugins = (list(dir) ?? []).filter { $0.hasSuffix(".so") }
            break
        }
        facts.criu = criu
    }

    // MARK: Cgroups

    /// cgroup (v1) and cgroup2 mounts of /proc/self/mountinfo: (mount point, super options).
    func cgroupMounts() -> [(type: String, point: String, options: [String])]? {
        guard let text = text("/proc/self/mountinfo") else { return nil }
        var out: [(String, String, [String])] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            guard let dash = fields.firstIndex(of: "-"), dash + 3 < fields.count + 1, fields.count > dash + 2, fields.count > 4 else { continue }
            let type = fields[dash + 1]
            guard type == "cgroup" || type == "cgroup2" else { continue }
            let superOptions = dash + 3 < fields.count ? fields[dash + 3].split(separator: ",").map(String.init) : []
            out.append((type, Self.unescape(fields[4]), superOptions))
        }
        return out
    }

    /// mountinfo escapes space, tab, newline and backslash as octal.
    static func unescape(_ s: String) -> String {
        var bytes: [UInt8] = []
        var u = Array(s.utf8)[...]
        while let b = u.first {
            if b == 0x5C, u.count >= 4, let n = UInt8(String(decoding: u.dropFirst().prefix(3), as: UTF8.self), radix: 8) {
                bytes.append(n)
                u = u.dropFirst(4)
            } else {
                bytes.append(b)
                u = u.dropFirst()
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static let cgroupV1NonControllers: Set<String> = ["rw", "ro", "xattr", "noprefix", "clone_children", "cpuset_v2_mode", "none", "favordynmods"]

    mutating func readCgroups() {
        guard let mounts = cgroupMounts() else {
            facts.markUnknown("cgroups", "/proc/self/mountinfo cannot be read")
            return
        }
        var v1: [String] = []
        for m in mounts where m.type == "cgroup" {
            v1 += m.options.filter { !Self.cgroupV1NonControllers.contains($0) && !$0.hasPrefix("release_agent=") }
        }
        let v2 = mounts.first { $0.type == "cgroup2" }
        var cgroups = NodeFacts.Cgroups(version: v1.isEmpty ? (v2 == nil ? "none" : "v2") : (v2 == nil ? "v1" : "hybrid"),
                                        v1Controllers: Array(Set(v1)).sorted())
        if let v2 {
            cgroups.v2Mount = v2.point
            switch read(v2.point + "/cgroup.controllers") {
            case .success(let text): cgroups.v2Controllers = text.split(whereSeparator: \.isWhitespace).map(String.init)
            case .failure(let failure): facts.markUnknown("cgroups.v2_controllers", failure.reason)
            }
        }
        facts.cgroups = cgroups
    }

    // MARK: LSM

    mutating func readLSM() {
        var lsm = NodeFacts.LSM(criuType: "none")
        switch read("/sys/kernel/security/lsm") {
        case .success(let text): lsm.active = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",").map(String.init)
        case .failure(let failure):
            facts.markUnknown("lsm.active", failure.errno == ENOENT && (list("/sys/kernel/security") ?? []).isEmpty
                ? "securityfs is not mounted at /sys/kernel/security" : failure.reason)
        }
        switch read("/sys/module/apparmor/parameters/enabled") {
        case .success(let text): lsm.apparmorEnabled = text.hasPrefix("Y")
        case .failure(let failure):
            if failure.errno == ENOENT && !exists("/sys/module/apparmor") { lsm.apparmorEnabled = false }
            else { facts.markUnknown("lsm.apparmor.enabled", failure.reason) }
        }
        if exists("/sys/kernel/security/apparmor") {
            lsm.criuType = "apparmor"
            switch read("/sys/kernel/security/apparmor/profiles") {
            case .success(let text):
                // "name (enforce)"; a name may contain spaces, the mode is the last word.
                lsm.apparmorProfiles = text.split(separator: "\n").map { line in
                    guard let open = line.lastIndex(of: "("), line.hasSuffix(")") else { return String(line) }
                    return line[..<open].trimmingCharacters(in: .whitespaces)
                }
            case .failure(let failure): facts.markUnknown("lsm.apparmor.profiles", failure.reason)
            }
        } else if lsm.apparmorEnabled == true {
            facts.markUnknown("lsm.apparmor.profiles", "AppArmor is enabled but securityfs is not mounted at /sys/kernel/security")
        }
        if exists("/sys/fs/selinux/enforce") {
            lsm.selinuxEnabled = true
            lsm.selinuxEnforcing = text("/sys/fs/selinux/enforce").map { $0.hasPrefix("1") }
            if let config = text("/etc/selinux/config") {
                for line in config.split(separator: "\n") where line.hasPrefix("SELINUXTYPE=") {
                    lsm.selinuxPolicy = String(line.dropFirst("SELINUXTYPE=".count))
                }
            }
            let label = text("/proc/self/attr/current").map { $0.trimmingCharacters(in: .whitespacesAndNewlines.union(CharacterSet(charactersIn: "\0"))) }
            if lsm.criuType == "none", let label, !label.isEmpty, label != "unconfined", label != "kernel" { lsm.criuType = "selinux" }
        } else {
            lsm.selinuxEnabled = false
        }
        facts.lsm = lsm
    }

    // MARK: Engines and images

    static let enginePrograms = ["podman", "crio", "containerd", "ctr", "runc", "crun", "conmon", "cuda-checkpoint"]

    mutating func readEngines() {
        var dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        dirs += ["/usr/local/bin", "/usr/bin", "/usr/local/sbin", "/usr/sbin", "/bin", "/sbin"]
        var engines: [NodeFacts.Engine] = []
        for name in Self.enginePrograms {
            guard let path = dirs.map({ $0 + "/" + name }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { continue }
            let version = options.runPrograms ? Self.run(path, ["--version"]).flatMap(Self.version) : nil
            engines.append(.init(name: name, path: path, version: version))
        }
        facts.engines = engines
    }

    /// The first version-looking word of a `--version` output (`4.3.1`, `v1.6.20`).
    static func version(_ output: String) -> String? {
        for word in output.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "," }) {
            let w = word.hasPrefix("v") ? word.dropFirst() : word[...]
            let parts = w.split(separator: ".")
            if parts.count >= 2, parts[0].allSatisfy(\.isNumber), !parts[0].isEmpty, parts[1].first?.isNumber == true {
                return String(word.hasPrefix("v") ? w : word)
            }
        }
        return nil
    }

    /// The graph roots of containers/storage (Podman, CRI-O): storage.conf's, then the defaults.
    func storageRoots() -> [String] {
        var roots: [String] = []
        for conf in ["/etc/containers/storage.conf", "/usr/share/containers/storage.conf"] {
            guard let text = text(conf) else { continue }
            for line in text.split(separator: "\n") {
                let t = line.trimmingCharacters(in: .whitespaces)
                guard t.hasPrefix("graphroot"), let eq = t.firstIndex(of: "=") else { continue }
                roots.append(t[t.index(after: eq)...].trimmingCharacters(in: CharacterSet(charactersIn: " \"'")))
            }
            if !roots.isEmpty { break }
        }
        roots.append("/var/lib/containers/storage")
        if let home = ProcessInfo.processInfo.environment["HOME"], facts.euid != 0 {
            let data = ProcessInfo.processInfo.environment["XDG_DATA_HOME"] ?? home + "/.local/share"
            roots.append(data + "/containers/storage")
        }
        var seen = Set<String>()
        return roots.filter { seen.insert($0).inserted }
    }

    mutating func readImages() {
        var images: [NodeFacts.Image] = []
        var read = 0
        var reasons: [String] = []
        for root in storageRoots() {
            guard let entries = list(root) else {
                // A store that does not exist holds nothing; one that cannot be listed is unknown.
                if exists(root) { reasons.append("\(root) cannot be listed (permission denied: needs root)") } else { read += 1 }
                continue
            }
            for dir in entries where dir.hasSuffix("-images") {
                let file = root + "/" + dir + "/images.json"
                switch self.read(file) {
                case .success(let text):
                    read += 1
                    images += Self.parseStorageImages(text, store: file)
                case .failure(let failure): reasons.append(failure.reason)
                }
            }
        }
        if options.runPrograms, let ctr = facts.engines?.first(where: { $0.name == "ctr" }), exists("/run/containerd/containerd.sock") {
            if let namespaces = Self.run(ctr.path, ["namespaces", "list", "--quiet"]) {
                read += 1
                for namespace in namespaces.split(separator: "\n").map(String.init) where !namespace.isEmpty {
                    if let out = Self.run(ctr.path, ["--namespace", namespace, "images", "list"]) {
                        images += Self.parseCtrImages(out, namespace: namespace)
                    }
                }
            } else {
                reasons.append("ctr namespaces list failed (the containerd socket needs root)")
            }
        } else if facts.engines?.contains(where: { $0.name == "containerd" }) == true {
            reasons.append("containerd keeps its images in a database this tool reads only through ctr, with /run/containerd/containerd.sock")
        }
        if read == 0 {
            facts.markUnknown("images", reasons.isEmpty ? "no image store found" : reasons.joined(separator: "; "))
        } else {
            facts.images = images
        }
    }

    /// containers/storage `images.json`: `[{"id", "digest", "digests", "names"}]`.
    static func parseStorageImages(_ text: String, store: String) -> [NodeFacts.Image] {
        guard let list = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]] else { return [] }
        return list.compactMap { item in
            guard let id = item["id"] as? String else { return nil }
            var digests = item["digests"] as? [String] ?? []
            if let digest = item["digest"] as? String, !digests.contains(digest) { digests.insert(digest, at: 0) }
            return NodeFacts.Image(engine: "containers-storage", id: id, digests: digests, names: item["names"] as? [String] ?? [], store: store)
        }
    }

    /// `ctr images list`: `REF TYPE DIGEST SIZE PLATFORMS LABELS` (the id is the config digest, not shown; the
    /// manifest digest stands for it).
    static func parseCtrImages(_ text: String, namespace: String) -> [NodeFacts.Image] {
        text.split(separator: "\n").dropFirst().compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 3, fields[2].hasPrefix("sha256:") else { return nil }
            return NodeFacts.Image(engine: "containerd", id: String(fields[2].dropFirst(7)), digests: [String(fields[2])], names: [String(fields[0])],
                                   store: "ctr --namespace \(namespace)")
        }
    }

    // MARK: Network

    mutating func readNetwork() {
        facts.networkNamespace = link("/proc/self/ns/net")
        var ports: [NodeFacts.Port] = []
        var readAny = false
        for (file, proto, state) in [("tcp", "tcp", "0A"), ("tcp6", "tcp", "0A"), ("udp", "udp", "07"), ("udp6", "udp", "07")] {
            guard let text = text("/proc/net/" + file) else { continue }
            readAny = true
            ports += HostCheck.parsePorts(text, protocolName: proto, state: state)
        }
        if readAny { facts.ports = ports } else { facts.markUnknown("network.ports", "/proc/net/tcp, tcp6, udp and udp6 cannot be read") }
    }

    // MARK: GPUs

    static func vendorName(_ id: String) -> String {
        switch id.lowercased() {
        case "0x1002": "amd"
        case "0x10de": "nvidia"
        case "0x8086": "intel"
        default: id
        }
    }

    mutating func readGPUs() {
        var gpus: [NodeFacts.GPU] = []
        func moduleVersion(_ driver: String?) -> String? {
            guard let driver else { return nil }
            if driver == "nvidia", let v = text("/proc/driver/nvidia/version") {
                // "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 ..."
                return v.split(separator: "\n").first.flatMap { line in line.split(separator: " ").first { Self.version(String($0)) != nil } }.map(String.init)
            }
            return text("/sys/module/\(driver)/version")?.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        for node in list("/sys/class/drm") ?? [] where node.hasPrefix("renderD") || (node.hasPrefix("card") && !node.contains("-")) {
            let device = "/sys/class/drm/\(node)/device"
            let vendor = text(device + "/vendor")?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "unknown"
            let driver = link(device + "/driver").map { ($0 as NSString).lastPathComponent }
            let pci = link(device).map { ($0 as NSString).lastPathComponent }
            gpus.append(.init(vendor: Self.vendorName(vendor), device: "/dev/dri/\(node)", driver: driver, driverVersion: moduleVersion(driver), pciAddress: pci))
        }
        if exists("/dev/kfd") {
            gpus.append(.init(vendor: "amd", device: "/dev/kfd", driver: exists("/sys/module/amdgpu") ? "amdgpu" : nil, driverVersion: moduleVersion("amdgpu")))
        }
        for name in list("/dev") ?? [] where name.hasPrefix("nvidia") && name.dropFirst(6).allSatisfy(\.isNumber) && name.count > 6 {
            gpus.append(.init(vendor: "nvidia", device: "/dev/\(name)", driver: exists("/proc/driver/nvidia") ? "nvidia" : nil, driverVersion: moduleVersion("nvidia")))
        }
        facts.gpus = gpus
    }

    // MARK: Programs

    /// Runs a program with a 10-second limit; its standard output, or nil when it failed.
    static func run(_ path: String, _ arguments: [String]) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let deadline = DispatchTime.now() + .seconds(10)
        let done = DispatchSemaphore(value: 0)
        let box = OutputBox()
        DispatchQueue.global().async {
            box.data = pipe.fileHandleForReading.readDataToEndOfFile()
            done.signal()
        }
        if done.wait(timeout: deadline) == .timedOut {
            process.terminate()
            _ = done.wait(timeout: .now() + .seconds(1))
            return nil
        }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: box.data, as: UTF8.self)
    }

    final class OutputBox: @unchecked Sendable {
        var data = Data()
    }
}
