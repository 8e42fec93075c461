public import CRIUImages

// The CRI messages a pod checkpoint records, as runtimes write them with Go's `encoding/json` over
// the protoc-gen-go structs of cri-api (PODS.md §3): snake_case keys, zero values left out, enums as
// integers, int64 as JSON numbers, `bytes` as base64. Every field is optional on reading: what
// is there is kept, and the whole message stays available as ``CRIPodSandboxConfig/raw``.

/// A key and value (`KeyValue`: an environment variable).
public struct CRIKeyValue: Hashable, Sendable, Codable {
    /// How the value was written.
    public enum Encoding: String, Hashable, Sendable, Codable {
        /// A JSON string holding the value (cri-api before `KeyValue.value` became `bytes`).
        case plain
        /// Base64 of the value's bytes (cri-api since d3d9c71, 2026-05-19, where `value` is `bytes`).
        case base64
    }

    /// The key.
    public var key: String
    /// The value, decoded.
    public var value: String
    /// How the value was written (see ``PodCheckpoint/Decisions/environmentValue(key:value:base64Values:)``).
    public var encoding: Encoding

    /// A key and its decoded value.
    public init(key: String, value: String, encoding: Encoding) {
        self.key = key
        self.value = value
        self.encoding = encoding
    }
}

/// A mount of a container (`Mount`).
public struct CRIMount: Hashable, Sendable, Codable {
    /// `container_path`.
    public var containerPath: String
    /// `host_path`.
    public var hostPath: String
    /// `readonly`.
    public var readOnly: Bool
    /// `selinux_relabel`.
    public var selinuxRelabel: Bool
    /// `propagation`: `PROPAGATION_PRIVATE` (0), `PROPAGATION_HOST_TO_CONTAINER` (1), `PROPAGATION_BIDIRECTIONAL` (2).
    public var propagation: String
    /// `recursive_read_only`.
    public var recursiveReadOnly: Bool
    /// `image.image`: an image mounted as a volume, when set.
    public var image: String?
}

/// The resources a container was given (`LinuxContainerResources`).
public struct CRIResources: Hashable, Sendable, Codable {
    /// `cpu_period` (µs).
    public var cpuPeriod: Int64?
    /// `cpu_quota` (µs).
    public var cpuQuota: Int64?
    /// `cpu_shares`.
    public var cpuShares: Int64?
    /// `memory_limit_in_bytes`.
    public var memoryLimit: Int64?
    /// `memory_swap_limit_in_bytes`.
    public var memorySwapLimit: Int64?
    /// `oom_score_adj`.
    public var oomScoreAdjust: Int64?
    /// `cpuset_cpus`.
    public var cpusetCPUs: String?
    /// `cpuset_mems`.
    public var cpusetMems: String?
    /// `unified`: cgroup v2 settings.
    public var unified: [String: String]
}

/// The security settings of a pod or a container (`LinuxSandboxSecurityContext`, `LinuxContainerSecurityContext`).
public struct CRISecurityContext: Hashable, Sendable, Codable {
    /// `namespace_options.network`: `POD` (0), `CONTAINER` (1), `NODE` (2), `TARGET` (3).
    public var networkNamespace: String
    /// `namespace_options.pid`.
    public var pidNamespace: String
    /// `namespace_options.ipc`.
    public var ipcNamespace: String
    /// `privileged`.
    public var privileged: Bool
    /// `run_as_user.value`.
    public var runAsUser: Int64?
    /// `run_as_group.value`.
    public var runAsGroup: Int64?
    /// `readonly_rootfs`.
    public var readOnlyRootFS: Bool
    /// `supplemental_groups`.
    public var supplementalGroups: [Int64]
    /// `capabilities.add_capabilities` (containers).
    public var addedCapabilities: [String]
    /// `capabilities.drop_capabilities` (containers).
    public var droppedCapabilities: [String]
    /// `seccomp.profile_type`: `RuntimeDefault` (0), `Unconfined` (1), `Localhost` (2), with `localhost_ref`.
    public var seccomp: String?
    /// `selinux_options` as `user:role:type:level`, when set.
    public var selinux: String?
    /// `no_new_privs` (containers).
    public var noNewPrivileges: Bool
}

/// A port the pod publishes (`PortMapping`).
public struct CRIPortMapping: Hashable, Sendable, Codable {
    /// `protocol`: `TCP` (0), `UDP` (1), `SCTP` (2).
    public var proto: String
    /// `container_port`.
    public var containerPort: Int64
    /// `host_port`.
    public var hostPort: Int64
    /// `host_ip`, empty when unset.
    public var hostIP: String

    /// A port mapping.
    public init(proto: String, containerPort: Int64, hostPort: Int64, hostIP: String) {
        self.proto = proto
        self.containerPort = containerPort
        self.hostPort = hostPort
        self.hostIP = hostIP
    }
}

/// The pod's sandbox config (`PodSandboxConfig`): `pod-config.json` or `pod.dump`.
public struct CRIPodSandboxConfig: Hashable, Sendable {
    /// `metadata.name`.
    public var name: String?
    /// `metadata.uid`.
    public var uid: String?
    /// `metadata.namespace`.
    public var namespace: String?
    /// `metadata.attempt`.
    public var attempt: Int64
    /// `hostname`.
    public var hostname: String?
    /// `log_directory`.
    public var logDirectory: String?
    /// `dns_config.servers`.
    public var dnsServers: [String]
    /// `dns_config.searches`.
    public var dnsSearches: [String]
    /// `dns_config.options`.
    public var dnsOptions: [String]
    /// `port_mappings`.
    public var portMappings: [CRIPortMapping]
    /// `labels`.
    public var labels: [String: String]
    /// `annotations`.
    public var annotations: [String: String]
    /// `linux.cgroup_parent`.
    public var cgroupParent: String?
    /// `linux.security_context`.
    public var securityContext: CRISecurityContext?
    /// `linux.sysctls`.
    public var sysctls: [String: String]
    /// The whole message as written.
    public var raw: JSONValue
}

/// A container's config as the kubelet created it (`ContainerConfig`).
public struct CRIContainerConfig: Hashable, Sendable {
    /// `metadata.name`.
    public var name: String?
    /// `metadata.attempt`.
    public var attempt: Int64
    /// `image.image`.
    public var image: String?
    /// `command`.
    public var command: [String]
    /// `args`.
    public var args: [String]
    /// `working_dir`.
    public var workingDirectory: String?
    /// `envs`.
    public var environment: [CRIKeyValue]
    /// `mounts`.
    public var mounts: [CRIMount]
    /// `labels`.
    public var labels: [String: String]
    /// `annotations`.
    public var annotations: [String: String]
    /// `log_path`.
    public var logPath: String?
    /// `tty`.
    public var tty: Bool
    /// `stdin`.
    public var stdin: Bool
    /// `linux.resources`.
    public var resources: CRIResources?
    /// `linux.security_context`.
    public var securityContext: CRISecurityContext?
    /// The whole message as written.
    public var raw: JSONValue
}

/// A container's status as the runtime reported it at checkpoint time (`ContainerStatus`; variant B's
/// manifest and containerd's `status.dump`).
public struct CRIContainerStatus: Hashable, Sendable {
    /// `id`.
    public var id: String?
    /// `metadata.name`.
    public var name: String?
    /// `state`: `CONTAINER_CREATED` (0), `CONTAINER_RUNNING` (1), `CONTAINER_EXITED` (2), `CONTAINER_UNKNOWN` (3).
    public var state: String
    /// `created_at`, nanoseconds since the epoch.
    public var createdAt: Int64?
    /// `started_at`, nanoseconds.
    public var startedAt: Int64?
    /// `finished_at`, nanoseconds.
    public var finishedAt: Int64?
    /// `exit_code`.
    public var exitCode: Int64
    /// `image.image`.
    public var image: String?
    /// `image_ref`: the image config's digest.
    public var imageRef: String?
    /// `reason`.
    public var reason: String?
    /// `message`.
    public var message: String?
    /// `labels`.
    public var labels: [String: String]
    /// `annotations`.
    public var annotations: [String: String]
    /// `log_path`.
    public var logPath: String?
    /// The whole message as written.
    public var raw: JSONValue
}

extension JSONValue {
    func string(_ key: String) -> String? {
        guard let s = self[key]?.text, !s.isEmpty else { return nil }
        return s
    }

    func int(_ key: String) -> Int64? { self[key]?.integer }

    func flag(_ key: String) -> Bool { self[key]?.boolean ?? false }

    func strings(_ key: String) -> [String] { self[key]?.items?.compactMap(\.text) ?? [] }

    func stringMap(_ key: String) -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in self[key]?.members ?? [] { if let s = v.text { out[k] = s } }
        return out
    }

    /// An enum written as its number (0 when left out), named from `names`.
    func enumName(_ key: String, _ names: [String]) -> String {
        let n = self[key]?.integer ?? 0
        return n >= 0 && n < names.count ? names[Int(n)] : "\(n)"
    }
}

extension CRISecurityContext {
    static let namespaceModes = ["POD", "CONTAINER", "NODE", "TARGET"]

    init?(_ json: JSONValue?) {
        guard let json, json.members != nil else { return nil }
        let ns = json["namespace_options"] ?? .object([])
        networkNamespace = ns.enumName("network", Self.namespaceModes)
        pidNamespace = ns.enumName("pid", Self.namespaceModes)
        ipcNamespace = ns.enumName("ipc", Self.namespaceModes)
        privileged = json.flag("privileged")
        runAsUser = json["run_as_user"]?.int("value")
        runAsGroup = json["run_as_group"]?.int("value")
        readOnlyRootFS = json.flag("readonly_rootfs")
        supplementalGroups = json["supplemental_groups"]?.items?.compactMap(\.integer) ?? []
        addedCapabilities = json["capabilities"]?.strings("add_capabilities") ?? []
        droppedCapabilities = json["capabilities"]?.strings("drop_capabilities") ?? []
        if let profile = json["seccomp"] {
            let type = profile.enumName("profile_type", ["RuntimeDefault", "Unconfined", "Localhost"])
            seccomp = type + (profile.string("localhost_ref").map { " " + $0 } ?? "")
        } else {
            seccomp = json.string("seccomp_profile_path")
        }
        if let s = json["selinux_options"], s.members != nil {
            selinux = ["user", "role", "type", "level"].map { s.string($0) ?? "" }.joined(separator: ":")
        } else {
            selinux = nil
        }
        noNewPrivileges = json.flag("no_new_privs")
    }
}

extension CRIPodSandboxConfig {
    init(_ json: JSONValue) {
        let metadata = json["metadata"] ?? .object([])
        name = metadata.string("name")
        uid = metadata.string("uid")
        namespace = metadata.string("namespace")
        attempt = metadata.int("attempt") ?? 0
        hostname = json.string("hostname")
        logDirectory = json.string("log_directory")
        let dns = json["dns_config"] ?? .object([])
        dnsServers = dns.strings("servers")
        dnsSearches = dns.strings("searches")
        dnsOptions = dns.strings("options")
        portMappings = (json["port_mappings"]?.items ?? []).map { p in
            CRIPortMapping(proto: p.enumName("protocol", ["TCP", "UDP", "SCTP"]), containerPort: p.int("container_port") ?? 0,
                           hostPort: p.int("host_port") ?? 0, hostIP: p.string("host_ip") ?? "")
        }
        labels = json.stringMap("labels")
        annotations = json.stringMap("annotations")
        let linux = json["linux"] ?? .object([])
        cgroupParent = linux.string("cgroup_parent")
        securityContext = CRISecurityContext(linux["security_context"])
        sysctls = linux.stringMap("sysctls")
        raw = json
    }
}

extension CRIContainerConfig {
    init(_ json: JSONValue, base64Values: Bool) {
        let metadata = json["metadata"] ?? .object([])
        name = metadata.string("name")
        attempt = metadata.int("attempt") ?? 0
        image = json["image"]?.string("image")
        command = json.strings("command")
        args = json.strings("args")
        workingDirectory = json.string("working_dir")
        environment = (json["envs"]?.items ?? []).map { e in
            PodCheckpoint.Decisions.environmentValue(key: e["key"]?.text ?? "", value: e["value"]?.text ?? "", base64Values: base64Values)
        }
        mounts = (json["mounts"]?.items ?? []).map { m in
            CRIMount(containerPath: m.string("container_path") ?? "", hostPath: m.string("host_path") ?? "", readOnly: m.flag("readonly"),
                     selinuxRelabel: m.flag("selinux_relabel"),
                     propagation: m.enumName("propagation", ["PROPAGATION_PRIVATE", "PROPAGATION_HOST_TO_CONTAINER", "PROPAGATION_BIDIRECTIONAL"]),
                     recursiveReadOnly: m.flag("recursive_read_only"), image: m["image"]?.string("image"))
        }
        labels = json.stringMap("labels")
        annotations = json.stringMap("annotations")
        logPath = json.string("log_path")
        tty = json.flag("tty")
        stdin = json.flag("stdin")
        let linux = json["linux"] ?? .object([])
        if let r = linux["resources"], r.members != nil {
            resources = CRIResources(
                cpuPeriod: r.int("cpu_period"), cpuQuota: r.int("cpu_quota"), cpuShares: r.int("cpu_shares"),
                memoryLimit: r.int("memory_limit_in_bytes"), memorySwapLimit: r.int("memory_swap_limit_in_bytes"),
                oomScoreAdjust: r.int("oom_score_adj"), cpusetCPUs: r.string("cpuset_cpus"), cpusetMems: r.string("cpuset_mems"),
                unified: r.stringMap("unified"))
        } else {
            resources = nil
        }
        securityContext = CRISecurityContext(linux["security_context"])
        raw = json
    }
}

extension CRIContainerStatus {
    init(_ json: JSONValue) {
        id = json.string("id")
        name = json["metadata"]?.string("name")
        state = json.enumName("state", ["CONTAINER_CREATED", "CONTAINER_RUNNING", "CONTAINER_EXITED", "CONTAINER_UNKNOWN"])
        createdAt = json.int("created_at")
        startedAt = json.int("started_at")
        finishedAt = json.int("finished_at")
        exitCode = json.int("exit_code") ?? 0
        image = json["image"]?.string("image")
        imageRef = json.string("image_ref")
        reason = json.string("reason")
        message = json.string("message")
        labels = json.stringMap("labels")
        annotations = json.stringMap("annotations")
        logPath = json.string("log_path")
        raw = json
    }
}
