/// Everything on one machine that a restore depends on: what `ckpt-inspect host` records (JSON schema
/// `ckpt-inspect/host/v1`, Schemas/host.schema.json) and what `verify --target NODE.json` compares a
/// checkpoint with.
///
/// Capture it where it is true with ``capture(options:)`` (read-only, no privilege needed), write it
/// with ``json``, read a node file back with ``init(json:file:)``. Every fact is optional: one that
/// could not be read is nil, and ``unknown`` says why; nothing is guessed.
///
/// ```swift
/// let here = NodeFacts.capture()
/// let other = try NodeFacts(json: bytesOfNodeB, file: "node-b.json")
/// let report = try Verifier.verify("ck.tar.zst", options: .init(targets: [here, other]))
/// for verdict in report.targets { print(verdict.name, verdict.canRestore) }
/// ```
public struct NodeFacts: Hashable, Sendable {
    /// The id of the JSON schema node files are written in.
    public static let schemaVersion = "ckpt-inspect/host/v1"

    /// A fact that could not be read, and why.
    public struct Unknown: Hashable, Sendable {
        /// The fact's key in the JSON (`images`, `cpu.capability_words`).
        public var fact: String
        /// Why it is not known (`permission denied`, `not an x86 machine`).
        public var reason: String
        /// A fact and the reason it is unknown.
        public init(fact: String, reason: String) {
            self.fact = fact
            self.reason = reason
        }
    }

    /// A kernel feature CRIU needs for some restores, and how its presence was established.
    public struct KernelFeature: Hashable, Sendable {
        /// The feature's stable key (`time_namespace`, `pidfd`: ``HostCheck/Feature/key``).
        public var name: String
        /// True when present, false when absent, nil when it could not be told.
        public var available: Bool?
        /// What was read or called to tell (`/proc/self/ns/time exists`, `pidfd_open: ENOSYS`).
        public var evidence: String
        /// A feature, whether it is available and the evidence.
        public init(name: String, available: Bool?, evidence: String) {
            self.name = name
            self.available = available
            self.evidence = evidence
        }
    }

    /// The CPU, as CRIU sees it for `--cpu-cap` (the first CPU; they are alike on the machines CRIU supports).
    public struct CPU: Hashable, Sendable {
        /// The vendor string (`AuthenticAMD`, `GenuineIntel`).
        public var vendor: String?
        /// The family, with the extended family added (CPUID 1 EAX).
        public var family: UInt32?
        /// The model, with the extended model added.
        public var model: UInt32?
        /// The stepping.
        public var stepping: UInt32?
        /// The brand string (`AMD EPYC`).
        public var modelName: String?
        /// The kernel's `flags` of the first CPU in /proc/cpuinfo (`Features` on arm64).
        public var flags: [String]?
        /// The layout of ``capabilityWords``: 2 is the 19-word layout of `cpuinfo.img` written by CRIU 3.11 and later.
        public var capabilityVersion: UInt32?
        /// The CPUID feature words in the order of `cpuinfo_x86_entry.capability` (``CPUFeatures/words``).
        public var capabilityWords: [UInt32]?
        /// The XSAVE state components the CPU and the kernel offer: CPUID 0xD.0 EDX:EAX, user components
        /// only, without those whose CPUID feature bit is clear.
        public var xfeaturesMask: UInt64?
        /// The XSAVE area size for the components enabled now (CPUID 0xD.0 EBX).
        public var xsaveSize: UInt32?
        /// The XSAVE area size for every component the CPU has (CPUID 0xD.0 ECX).
        public var xsaveSizeMax: UInt32?
        /// Where the words came from (`cpuid instruction`).
        public var source: String?
        /// A CPU with nothing known.
        public init() {}
    }

    /// The CRIU installed, if any.
    public struct CRIU: Hashable, Sendable {
        /// False when no `criu` executable was found.
        public var installed: Bool
        /// Where it was found.
        public var path: String?
        /// What `criu --version` said (`4.2`).
        public var version: String?
        /// The `GitID:` line of `criu --version`, for builds from git.
        public var gitID: String?
        /// The plugin directory that exists (`/usr/lib/criu`), if one does.
        public var pluginDirectory: String?
        /// The plugin libraries in it (`amdgpu_plugin.so`, `cuda_plugin.so`).
        public var plugins: [String]
        /// A CRIU installation (or its absence).
        public init(installed: Bool, path: String? = nil, version: String? = nil, gitID: String? = nil,
                    pluginDirectory: String? = nil, plugins: [String] = []) {
            self.installed = installed
            self.path = path
            self.version = version
            self.gitID = gitID
            self.pluginDirectory = pluginDirectory
            self.plugins = plugins
        }
    }

    /// The cgroup hierarchies mounted.
    public struct Cgroups: Hashable, Sendable {
        /// `v1`, `v2`, `hybrid` (v1 controllers and a v2 hierarchy) or `none`.
        public var version: String
        /// The v1 hierarchies mounted, by their controllers (`cpu`, `cpuacct`, `name=systemd`).
        public var v1Controllers: [String]
        /// Where the v2 hierarchy is mounted (`/sys/fs/cgroup`, `/sys/fs/cgroup/unified`).
        public var v2Mount: String?
        /// The controllers of the v2 root (`cgroup.controllers`); nil when there is no v2 hierarchy or it cannot be read.
        public var v2Controllers: [String]?
        /// Cgroup hierarchies as mounted.
        public init(version: String, v1Controllers: [String] = [], v2Mount: String? = nil, v2Controllers: [String]? = nil) {
            self.version = version
            self.v1Controllers = v1Controllers
            self.v2Mount = v2Mount
            self.v2Controllers = v2Controllers
        }
    }

    /// The Linux security modules.
    public struct LSM: Hashable, Sendable {
        /// The active modules in stacking order (/sys/kernel/security/lsm); nil when it cannot be read.
        public var active: [String]?
        /// The LSM CRIU would use here (`apparmor`, `selinux`, `none`): AppArmor when its securityfs
        /// directory exists, else SELinux when it is enabled and this process has a label.
        public var criuType: String
        /// Whether AppArmor is enabled (/sys/module/apparmor/parameters/enabled); nil when it cannot be read.
        public var apparmorEnabled: Bool?
        /// The AppArmor profiles loaded (/sys/kernel/security/apparmor/profiles, names without their mode);
        /// nil when it cannot be read (it needs root on most systems).
        public var apparmorProfiles: [String]?
        /// Whether SELinux is enabled (selinuxfs mounted).
        public var selinuxEnabled: Bool?
        /// Whether SELinux enforces (/sys/fs/selinux/enforce).
        public var selinuxEnforcing: Bool?
        /// The SELinux policy type (`SELINUXTYPE` of /etc/selinux/config).
        public var selinuxPolicy: String?
        /// LSM state; ``criuType`` is required.
        public init(active: [String]? = nil, criuType: String, apparmorEnabled: Bool? = nil, apparmorProfiles: [String]? = nil,
                    selinuxEnabled: Bool? = nil, selinuxEnforcing: Bool? = nil, selinuxPolicy: String? = nil) {
            self.active = active
            self.criuType = criuType
            self.apparmorEnabled = apparmorEnabled
            self.apparmorProfiles = apparmorProfiles
            self.selinuxEnabled = selinuxEnabled
            self.selinuxEnforcing = selinuxEnforcing
            self.selinuxPolicy = selinuxPolicy
        }
    }

    /// A container engine or OCI runtime found on the machine.
    public struct Engine: Hashable, Sendable {
        /// `podman`, `crio`, `containerd`, `runc`, `crun`.
        public var name: String
        /// The executable.
        public var path: String
        /// The version it printed, when it did.
        public var version: String?
        /// An engine at a path with a version.
        public init(name: String, path: String, version: String?) {
            self.name = name
            self.path = path
            self.version = version
        }
    }

    /// A container image held locally.
    public struct Image: Hashable, Sendable {
        /// The engine whose storage holds it (`podman` for containers/storage, shared with CRI-O).
        public var engine: String
        /// The image id (the config digest, hex without `sha256:`).
        public var id: String
        /// Its manifest digest (`sha256:...`), when recorded.
        public var digests: [String]
        /// Its names (`docker.io/library/busybox:latest`).
        public var names: [String]
        /// The file it was read from.
        public var store: String
        /// An image of a store.
        public init(engine: String, id: String, digests: [String] = [], names: [String] = [], store: String) {
            self.engine = engine
            self.id = id
            self.digests = digests
            self.names = names
            self.store = store
        }
    }

    /// A listening TCP or bound UDP socket of the machine's network namespace.
    public struct Port: Hashable, Sendable {
        /// `tcp` or `udp` (IPv4 and IPv6 alike).
        public var protocolName: String
        /// The local address (`127.0.0.1`, `::`).
        public var address: String
        /// The port number.
        public var port: UInt32
        /// A port from its protocol, address and number.
        public init(protocolName: String, address: String, port: UInt32) {
            self.protocolName = protocolName
            self.address = address
            self.port = port
        }
    }

    /// A GPU device node and its driver.
    public struct GPU: Hashable, Sendable {
        /// `amd`, `nvidia`, `intel`, or the PCI vendor id (`0x1af4`).
        public var vendor: String
        /// The device node (`/dev/dri/renderD128`, `/dev/nvidia0`, `/dev/kfd`).
        public var device: String
        /// The kernel driver bound to it (`amdgpu`, `nvidia`), when known.
        public var driver: String?
        /// The driver's version, when the driver says it (/proc/driver/nvidia/version, /sys/module/<driver>/version).
        public var driverVersion: String?
        /// The PCI address (`0000:03:00.0`), when it is a PCI device.
        public var pciAddress: String?
        /// A device of a vendor.
        public init(vendor: String, device: String, driver: String? = nil, driverVersion: String? = nil, pciAddress: String? = nil) {
            self.vendor = vendor
            self.device = device
            self.driver = driver
            self.driverVersion = driverVersion
            self.pciAddress = pciAddress
        }
    }

    /// The node's name (`uname -n`), or the name a node file was given.
    public var hostname: String?
    /// When the facts were captured (UTC, ISO 8601).
    public var capturedAt: String?
    /// The ckpt-inspect version that captured them.
    public var toolVersion: String?
    /// `uname -m` (`x86_64`).
    public var architecture: String?
    /// The page size in bytes.
    public var pageSize: UInt64?
    /// `uname -r`.
    public var kernelRelease: String?
    /// `uname -v`.
    public var kernelVersion: String?
    /// The effective uid of the capture (facts that need root are unknown otherwise).
    public var euid: UInt32?
    /// Kernel features CRIU needs for some restores (``HostCheck/Feature``).
    public var kernelFeatures: [KernelFeature]
    /// The CPU.
    public var cpu: CPU?
    /// CRIU.
    public var criu: CRIU?
    /// The cgroup hierarchies.
    public var cgroups: Cgroups?
    /// The security modules.
    public var lsm: LSM?
    /// Container engines and OCI runtimes found (an empty array: none).
    public var engines: [Engine]?
    /// Container images held locally; nil when no image store could be read.
    public var images: [Image]?
    /// The network namespace the ports were read in (`net:[4026531840]`).
    public var networkNamespace: String?
    /// Listening TCP and bound UDP sockets of that network namespace.
    public var ports: [Port]?
    /// GPU devices (an empty array: none).
    public var gpus: [GPU]?
    /// Facts that could not be read, and why.
    public var unknown: [Unknown]

    /// Facts with only what is given; everything else unknown.
    public init(hostname: String? = nil, architecture: String? = nil, pageSize: UInt64? = nil, kernelRelease: String? = nil) {
        self.hostname = hostname
        self.architecture = architecture
        self.pageSize = pageSize
        self.kernelRelease = kernelRelease
        kernelFeatures = []
        unknown = []
    }

    /// The feature with this key, when recorded.
    public func kernelFeature(_ name: String) -> KernelFeature? { kernelFeatures.first { $0.name == name } }

    /// Why a fact is unknown, when ``unknown`` says.
    public func reason(_ fact: String) -> String? { unknown.first { $0.fact == fact }?.reason }

    /// Records that a fact could not be read.
    public mutating func markUnknown(_ fact: String, _ reason: String) {
        unknown.removeAll { $0.fact == fact }
        unknown.append(Unknown(fact: fact, reason: reason))
    }
}
