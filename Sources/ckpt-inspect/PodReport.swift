import Checkpoint
import CheckpointArchive
import CRIUImages
import Foundation

/// The JSON of pod checkpoints (Schemas/pod.schema.json, inspect-pod.schema.json).
enum PodJSON {
    /// Every per-container command's pod document: each container's own document inside.
    static let envelopeSchema = "ckpt-inspect/pod/v1"
    /// `inspect` of a pod checkpoint.
    static let inspectSchema = "ckpt-inspect/inspect-pod/v1"

    static func str(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }

    static func map(_ m: [String: String]) -> JSONValue { .object(m.keys.sorted().map { ($0, .string(m[$0]!)) }) }

    /// The pod's identity, in every pod document.
    static func pod(_ p: PodCheckpoint) -> JSONValue {
        .object([
            ("name", str(p.pod.name)), ("namespace", str(p.pod.namespace)), ("uid", str(p.pod.uid)),
            ("sandbox_id", str(p.pod.sandboxID)), ("variant", .string(p.variant.rawValue)), ("writer", .string(p.variant.writer)),
            ("runtime", .string(p.pod.runtime)), ("runtime_handler", str(p.pod.runtimeHandler)),
            ("format_version", p.pod.formatVersion.map { .int($0) } ?? .null),
        ])
    }

    static func security(_ s: CRISecurityContext?) -> JSONValue {
        guard let s else { return .null }
        return .object([
            ("network_namespace", .string(s.networkNamespace)), ("pid_namespace", .string(s.pidNamespace)), ("ipc_namespace", .string(s.ipcNamespace)),
            ("privileged", .bool(s.privileged)), ("run_as_user", s.runAsUser.map { .int($0) } ?? .null),
            ("run_as_group", s.runAsGroup.map { .int($0) } ?? .null), ("readonly_rootfs", .bool(s.readOnlyRootFS)),
            ("supplemental_groups", .array(s.supplementalGroups.map { .int($0) })),
            ("add_capabilities", .array(s.addedCapabilities.map(JSONValue.string))), ("drop_capabilities", .array(s.droppedCapabilities.map(JSONValue.string))),
            ("seccomp", str(s.seccomp)), ("selinux", str(s.selinux)), ("no_new_privs", .bool(s.noNewPrivileges)),
        ])
    }

    static func sandboxConfig(_ c: CRIPodSandboxConfig?) -> JSONValue {
        guard let c else { return .null }
        return .object([
            ("name", str(c.name)), ("uid", str(c.uid)), ("namespace", str(c.namespace)), ("attempt", .int(c.attempt)),
            ("hostname", str(c.hostname)), ("log_directory", str(c.logDirectory)),
            ("dns", .object([("servers", .array(c.dnsServers.map(JSONValue.string))), ("searches", .array(c.dnsSearches.map(JSONValue.string))),
                             ("options", .array(c.dnsOptions.map(JSONValue.string)))])),
            ("port_mappings", .array(c.portMappings.map { p in
                .object([("protocol", .string(p.proto)), ("container_port", .int(p.containerPort)), ("host_port", .int(p.hostPort)),
                         ("host_ip", .string(p.hostIP))])
            })),
            ("labels", map(c.labels)), ("annotations", map(c.annotations)), ("cgroup_parent", str(c.cgroupParent)),
            ("security_context", security(c.securityContext)), ("sysctls", map(c.sysctls)),
        ])
    }

    static func containerConfig(_ c: CRIContainerConfig?) -> JSONValue {
        guard let c else { return .null }
        func int(_ v: Int64?) -> JSONValue { v.map { .int($0) } ?? .null }
        return .object([
            ("name", str(c.name)), ("attempt", .int(c.attempt)), ("image", str(c.image)),
            ("command", .array(c.command.map(JSONValue.string))), ("args", .array(c.args.map(JSONValue.string))),
            ("working_dir", str(c.workingDirectory)),
            ("env", .array(c.environment.map { e in .object([("key", .string(e.key)), ("value", .string(e.value)), ("encoding", .string(e.encoding.rawValue))]) })),
            ("mounts", .array(c.mounts.map { m in
                .object([("container_path", .string(m.containerPath)), ("host_path", .string(m.hostPath)), ("readonly", .bool(m.readOnly)),
                         ("selinux_relabel", .bool(m.selinuxRelabel)), ("propagation", .string(m.propagation)),
                         ("recursive_read_only", .bool(m.recursiveReadOnly)), ("image", str(m.image))])
            })),
            ("labels", map(c.labels)), ("annotations", map(c.annotations)), ("log_path", str(c.logPath)), ("tty", .bool(c.tty)), ("stdin", .bool(c.stdin)),
            ("resources", c.resources.map { r in
                .object([("cpu_period", int(r.cpuPeriod)), ("cpu_quota", int(r.cpuQuota)), ("cpu_shares", int(r.cpuShares)),
                         ("memory_limit_in_bytes", int(r.memoryLimit)), ("memory_swap_limit_in_bytes", int(r.memorySwapLimit)),
                         ("oom_score_adj", int(r.oomScoreAdjust)), ("cpuset_cpus", str(r.cpusetCPUs)), ("cpuset_mems", str(r.cpusetMems)),
                         ("unified", map(r.unified))])
            } ?? .null),
            ("security_context", security(c.securityContext)),
        ])
    }

    static func status(_ s: CRIContainerStatus?) -> JSONValue {
        guard let s else { return .null }
        func int(_ v: Int64?) -> JSONValue { v.map { .int($0) } ?? .null }
        return .object([
            ("id", str(s.id)), ("name", str(s.name)), ("state", .string(s.state)), ("created_at", int(s.createdAt)),
            ("started_at", int(s.startedAt)), ("finished_at", int(s.finishedAt)), ("exit_code", .int(s.exitCode)),
            ("image", str(s.image)), ("image_ref", str(s.imageRef)), ("reason", str(s.reason)), ("message", str(s.message)),
            ("labels", map(s.labels)), ("annotations", map(s.annotations)), ("log_path", str(s.logPath)),
        ])
    }

    /// `inspect --format json` of a pod checkpoint: the pod, then each container with its inspect document.
    static func inspect(_ p: PodCheckpoint, selected: [String], documents: [String: JSONValue]) -> JSONValue {
        .object([
            ("schema", .string(inspectSchema)),
            ("path", .string(RawPath.display(p.path))),
            ("source", .string(Report.sourceKind(p.source.kind))),
            ("pod", pod(p)),
            ("config", sandboxConfig(p.pod.config)),
            ("annotations", map(p.pod.annotations)),
            ("containers", .array(p.containers.filter { selected.contains($0.name) }.map { c in
                .object([
                    ("name", .string(c.name)), ("id", str(c.id)), ("full_name", str(c.fullName)), ("location", .string(c.location)),
                    ("recorded_sha256", str(c.recordedSHA256)), ("config", containerConfig(c.config)), ("status", status(c.status)),
                    ("checkpoint", documents[c.name] ?? .null), ("error", c.error.map { .string(RawPath.display($0.description)) } ?? .null),
                ])
            })),
            ("warnings", .array(p.warnings.map { .string(RawPath.display($0)) })),
        ])
    }
}

/// The text of pod checkpoints.
enum PodText {
    static func safe(_ s: String) -> String { Terminal.safe(s) }

    /// `namespace/name` of the pod, for a POD column.
    static func label(_ p: PodCheckpoint) -> String {
        safe((p.pod.namespace.map { $0 + "/" } ?? "") + (p.pod.name ?? "(unnamed)"))
    }

    static func pairs(_ m: [String: String]) -> String {
        m.keys.sorted().map { "\(safe($0))=\(safe(m[$0]!))" }.joined(separator: ", ")
    }

    /// The pod's own facts, as the first part of `inspect`'s tree.
    static func podNode(_ p: PodCheckpoint, style: Style) -> TreeNode {
        let pod = p.pod
        var root = TreeNode(style.bold("Pod " + safe(pod.name ?? "(unnamed)")) + (pod.namespace.map { " (namespace \(safe($0)))" } ?? ""))
        if let uid = pod.uid { root.add("UID: " + safe(uid)) }
        if let sandbox = pod.sandboxID { root.add("Sandbox: " + safe(sandbox)) }
        root.add("Layout: \(p.variant.rawValue), as written by \(p.variant.writer)" + (pod.formatVersion.map { ", format version \($0)" } ?? ""))
        root.add("Runtime: " + safe(pod.runtime) + (pod.runtimeHandler.map { " (handler \(safe($0)))" } ?? ""))
        if let c = pod.config {
            if let hostname = c.hostname { root.add("Hostname: " + safe(hostname)) }
            if !c.labels.isEmpty { root.add("Labels: " + pairs(c.labels)) }
            if !c.annotations.isEmpty { root.add("Annotations: " + pairs(c.annotations)) }
            var dns: [String] = []
            if !c.dnsServers.isEmpty { dns.append("servers " + c.dnsServers.map(safe).joined(separator: ", ")) }
            if !c.dnsSearches.isEmpty { dns.append("search " + c.dnsSearches.map(safe).joined(separator: " ")) }
            if !c.dnsOptions.isEmpty { dns.append("options " + c.dnsOptions.map(safe).joined(separator: " ")) }
            if !dns.isEmpty { root.add("DNS: " + dns.joined(separator: "; ")) }
            if !c.portMappings.isEmpty {
                root.add("Ports: " + c.portMappings.map { m in
                    "\(m.containerPort)/\(m.proto) -> host \(m.hostIP.isEmpty ? "" : safe(m.hostIP) + ":")\(m.hostPort)"
                }.joined(separator: ", "))
            }
            if let s = c.securityContext { root.add("Security: " + security(s)) }
            if !c.sysctls.isEmpty { root.add("Sysctls: " + pairs(c.sysctls)) }
            if let parent = c.cgroupParent { root.add("Cgroup parent: " + safe(parent)) }
            if let logs = c.logDirectory { root.add("Log directory: " + safe(logs)) }
        } else {
            root.add("Sandbox config: not in the checkpoint")
        }
        if !pod.annotations.isEmpty {
            root.add("Checkpoint annotations", pod.annotations.keys.sorted().map { TreeNode("\(safe($0)): \(safe(pod.annotations[$0]!))") })
        }
        return root
    }

    static func security(_ s: CRISecurityContext) -> String {
        var parts = ["namespaces: network \(s.networkNamespace), pid \(s.pidNamespace), ipc \(s.ipcNamespace)"]
        if s.privileged { parts.append("privileged") }
        if let u = s.runAsUser { parts.append("user \(u)") }
        if let g = s.runAsGroup { parts.append("group \(g)") }
        if s.readOnlyRootFS { parts.append("read-only root") }
        if !s.addedCapabilities.isEmpty { parts.append("+caps " + s.addedCapabilities.map(safe).joined(separator: ",")) }
        if !s.droppedCapabilities.isEmpty { parts.append("-caps " + s.droppedCapabilities.map(safe).joined(separator: ",")) }
        if let seccomp = s.seccomp { parts.append("seccomp " + safe(seccomp)) }
        if let selinux = s.selinux { parts.append("SELinux " + safe(selinux)) }
        return parts.joined(separator: "; ")
    }

    /// One container's pod-level facts (CRI config and status); its checkpoint's tree is added after.
    static func containerNode(_ c: PodCheckpoint.Container, style: Style) -> TreeNode {
        var node = TreeNode(style.bold("Container " + safe(c.name)))
        if let id = c.id { node.add("ID: " + safe(id)) }
        if let full = c.fullName { node.add("Runtime name: " + safe(full)) }
        node.add("In the pod: " + safe(c.location) + (c.recordedSHA256.map { " (SHA-256 \($0) recorded)" } ?? ""))
        if let cfg = c.config {
            var config = TreeNode("CRI config")
            if let image = cfg.image { config.add("Image: " + safe(image)) }
            let argv = cfg.command + cfg.args
            if !argv.isEmpty { config.add("Command: " + argv.map(safe).joined(separator: " ")) }
            if let wd = cfg.workingDirectory { config.add("Working directory: " + safe(wd)) }
            if !cfg.environment.isEmpty {
                config.add("Environment", cfg.environment.map { TreeNode("\(safe($0.key))=\(safe($0.value))" + ($0.encoding == .base64 ? "  (base64)" : "")) })
            }
            if !cfg.mounts.isEmpty {
                config.add("Mounts", cfg.mounts.map { m in
                    TreeNode("\(safe(m.containerPath)) <- \(safe(m.hostPath))" + (m.readOnly ? "  ro" : "") + (m.propagation == "PROPAGATION_PRIVATE" ? "" : "  " + m.propagation))
                })
            }
            if let r = cfg.resources {
                var parts: [String] = []
                if let q = r.cpuQuota, let p = r.cpuPeriod { parts.append("cpu \(q)/\(p) µs") }
                if let s = r.cpuShares { parts.append("shares \(s)") }
                if let m = r.memoryLimit { parts.append("memory \(Size.text(UInt64(max(0, m))))") }
                if let o = r.oomScoreAdjust { parts.append("oom_score_adj \(o)") }
                if let cpus = r.cpusetCPUs { parts.append("cpus " + safe(cpus)) }
                if !parts.isEmpty { config.add("Resources: " + parts.joined(separator: ", ")) }
            }
            if let s = cfg.securityContext { config.add("Security: " + security(s)) }
            if !cfg.labels.isEmpty { config.add("Labels: " + pairs(cfg.labels)) }
            node.add(config)
        }
        if let s = c.status {
            var line = "Status: \(s.state)"
            if let image = s.imageRef { line += ", image \(safe(image))" }
            if let started = s.startedAt { line += ", started \(Self.time(nanoseconds: started))" }
            node.add(line)
        }
        if let error = c.error { node.add(style.yellow("Error: ") + safe(RawPath.display(error.description))) }
        return node
    }

    /// `2026-12-02 10:58:27 UTC` from nanoseconds since the epoch.
    static func time(nanoseconds: Int64) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss 'UTC'"
        return f.string(from: Date(timeIntervalSince1970: TimeInterval(nanoseconds / 1_000_000_000)))
    }
}
