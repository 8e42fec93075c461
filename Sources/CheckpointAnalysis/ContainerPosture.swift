import Foundation

/// The container's security posture, from the engine's metadata (`spec.dump`, the OCI runtime spec
/// the container ran with, and `config.dump`): privileged, added capabilities, host namespaces,
/// host paths mounted, seccomp and LSM confinement turned off.
enum ContainerPosture {
    /// The capabilities Docker, containerd and Podman grant by default (Podman 4 grants a subset).
    static let defaultCapabilities: Set<String> = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID",
        "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ]
    /// Capabilities that let a container reach the host.
    static let escapeCapabilities: Set<String> = ["CAP_SYS_ADMIN", "CAP_SYS_MODULE", "CAP_SYS_PTRACE", "CAP_SYS_RAWIO", "CAP_DAC_READ_SEARCH", "CAP_BPF"]
    /// The namespaces a container normally has of its own.
    static let ownNamespaces = ["pid", "network", "ipc", "uts", "mount"]
    /// Sockets that control a container engine or the kubelet.
    static let engineSockets: Set<String> = ["docker.sock", "podman.sock", "containerd.sock", "crio.sock", "cri-dockerd.sock", "dockershim.sock", "kubelet.sock"]

    static func findings(specDump: [UInt8]?, configDump: [UInt8]?) -> [TriageFinding] {
        func object(_ bytes: [UInt8]?) -> [String: Any]? {
            guard let bytes, !bytes.isEmpty else { return nil }
            return (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
        }
        guard let spec = object(specDump) else { return [] }
        let config = object(configDump)
        var out: [TriageFinding] = []
        func finding(_ id: String, _ severity: TriageSeverity, _ message: String, field: String, name: String? = nil, value: String? = nil,
                     path: String? = nil, image: String = "spec.dump") {
            var e = TriageEvidence()
            e.image = image
            e.field = field
            e.name = name
            e.value = value
            e.path = path
            out.append(TriageFinding(id: id, severity: severity, message: message, evidence: e))
        }
        let process = spec["process"] as? [String: Any] ?? [:]
        let linux = spec["linux"] as? [String: Any]
        let annotations = spec["annotations"] as? [String: Any] ?? [:]
        let caps = process["capabilities"] as? [String: Any] ?? [:]
        var granted: [String] = []
        for set in ["bounding", "effective", "permitted"] {
            for cap in caps[set] as? [Any] ?? [] { if let s = cap as? String, !granted.contains(s) { granted.append(s) } }
        }

        // Privileged.
        var privilegedBy: (field: String, image: String)?
        if config?["privileged"] as? Bool == true { privilegedBy = ("privileged", "config.dump") }
        else if (annotations["io.podman.annotations.privileged"] as? String)?.uppercased() == "TRUE" { privilegedBy = ("annotations.io.podman.annotations.privileged", "spec.dump") }
        else if (annotations["io.kubernetes.cri-o.Privileged"] as? String)?.lowercased() == "true" { privilegedBy = ("annotations.io.kubernetes.cri-o.Privileged", "spec.dump") }
        else if granted.contains("CAP_SYS_ADMIN") && granted.count >= 38 && linux?["seccomp"] == nil { privilegedBy = ("process.capabilities", "spec.dump") }
        if let by = privilegedBy {
            finding("posture.privileged", .critical, "the container is privileged: every capability, host devices, no seccomp or masked paths (\(by.image): \(by.field))",
                    field: by.field, value: "true", image: by.image)
        } else {
            for cap in granted where !defaultCapabilities.contains(cap) {
                let escape = escapeCapabilities.contains(cap)
                finding("posture.capability", escape ? .critical : .warning,
                        "the container was given \(cap), which engines do not grant by default\(escape ? " (it can reach the host)" : "")",
                        field: "process.capabilities", name: cap)
            }
        }

        // Host namespaces.
        if let namespaces = linux?["namespaces"] as? [[String: Any]] {
            let types = namespaces.compactMap { $0["type"] as? String }
            for ns in ownNamespaces where !types.contains(ns) {
                finding("posture.host-namespace", ns == "pid" || ns == "mount" ? .critical : .warning,
                        "the container shares the host's \(ns) namespace (linux.namespaces has no \(ns))", field: "linux.namespaces", name: ns)
            }
            for n in namespaces {
                guard let type = n["type"] as? String, let path = n["path"] as? String, path.hasPrefix("/proc/1/ns/") else { continue }
                finding("posture.host-namespace", .critical, "the container joins the host's \(type) namespace (\(path))", field: "linux.namespaces", name: type, path: path)
            }
        }

        // Host paths mounted.
        for (i, m) in (spec["mounts"] as? [[String: Any]] ?? []).enumerated() {
            let options = m["options"] as? [String] ?? []
            guard m["type"] as? String == "bind" || options.contains("bind") || options.contains("rbind"),
                  let source = m["source"] as? String else { continue }
            let destination = m["destination"] as? String ?? "?"
            var normalized = source
            while normalized.count > 1 && normalized.hasSuffix("/") { normalized.removeLast() }
            let base = (normalized as NSString).lastPathComponent
            let what: String?
            let severity: TriageSeverity
            if engineSockets.contains(base) { (what, severity) = ("the container engine's socket", .critical) }
            else if normalized == "/" { (what, severity) = ("the host's root file system", .critical) }
            else if normalized == "/proc" { (what, severity) = ("the host's /proc", .critical) }
            else if ["/sys", "/dev", "/etc", "/run", "/var/run", "/var/lib/kubelet", "/boot", "/root"].contains(normalized) { (what, severity) = ("the host's \(normalized)", .warning) }
            else { (what, severity) = (nil, .info) }
            guard let what else { continue }
            finding("posture.host-mount", severity, "\(what) is mounted into the container at \(destination) (\(source))", field: "mounts[\(i)]", name: destination, path: source)
        }

        // Seccomp and LSMs.
        if let linux, privilegedBy == nil {
            if let seccomp = linux["seccomp"] as? [String: Any] {
                let rules = seccomp["syscalls"] as? [[String: Any]] ?? []
                let restricts = seccomp["defaultAction"] as? String != "SCMP_ACT_ALLOW" || rules.contains { $0["action"] as? String != "SCMP_ACT_ALLOW" }
                if !restricts {
                    finding("posture.seccomp-disabled", .warning, "the seccomp profile allows every system call (defaultAction SCMP_ACT_ALLOW)", field: "linux.seccomp.defaultAction", value: "SCMP_ACT_ALLOW")
                }
            } else {
                finding("posture.seccomp-disabled", .warning, "the container runs without a seccomp profile (spec.dump has no linux.seccomp)", field: "linux.seccomp")
            }
        }
        if let profile = process["apparmorProfile"] as? String, profile == "unconfined" {
            finding("posture.lsm-disabled", .warning, "AppArmor is turned off for the container (process.apparmorProfile \"unconfined\")", field: "process.apparmorProfile", value: profile)
        }
        if let label = process["selinuxLabel"] as? String, label.contains(":spc_t:") || label.contains(":unconfined_t:") {
            finding("posture.lsm-disabled", .warning, "SELinux does not confine the container (process.selinuxLabel \(label))", field: "process.selinuxLabel", value: label)
        }
        return out
    }
}
