import Checkpoint
import CheckpointArchive
import CRIUImages
import Foundation

/// What `inspect`, the JSON reports and the HTML report say in words about a checkpoint's
/// namespaces, capabilities, parents, network configuration and how it was exported: one place, so
/// the three agree.
enum Describe {
    // MARK: Namespaces

    /// One namespace of a process and whether the container has its own.
    struct Namespace {
        var kind: String
        var id: UInt32
        /// Equal to CRIU's own (`inventory.root_ids`): the host's, not the container's.
        var sharedWithHost: Bool?
    }

    /// The process's namespaces, each compared with CRIU's own (`inventory.root_ids`): a task in the
    /// same namespace as the CRIU that dumped it shares it with the host (CRIU-FORMAT.md 1.7).
    static func namespaces(_ p: CheckpointProcess, in c: Checkpoint) -> [Namespace] {
        guard let ids = p.ids else { return [] }
        let host = c.inventory?.rootIDs
        func pair(_ kind: String, _ mine: UInt32?, _ theirs: UInt32?) -> Namespace? {
            guard let mine else { return nil }
            return Namespace(kind: kind, id: mine, sharedWithHost: host == nil ? nil : mine == theirs)
        }
        return [
            pair("pid", ids.pidNamespaceID, host?.pidNamespaceID), pair("net", ids.netNamespaceID, host?.netNamespaceID),
            pair("ipc", ids.ipcNamespaceID, host?.ipcNamespaceID), pair("uts", ids.utsNamespaceID, host?.utsNamespaceID),
            pair("mnt", ids.mountNamespaceID, host?.mountNamespaceID), pair("user", ids.userNamespaceID, host?.userNamespaceID),
            pair("cgroup", ids.cgroupNamespaceID, host?.cgroupNamespaceID), pair("time", ids.timeNamespaceID, host?.timeNamespaceID),
        ].compactMap { $0 }
    }

    /// `own: pid 9, net 10; shared with the host: user 7, cgroup 8`.
    static func namespaceText(_ list: [Namespace]) -> String {
        func names(_ l: [Namespace]) -> String { l.map { "\($0.kind) \($0.id)" }.joined(separator: ", ") }
        let own = list.filter { $0.sharedWithHost == false }, shared = list.filter { $0.sharedWithHost == true }
        let unknown = list.filter { $0.sharedWithHost == nil }
        var parts: [String] = []
        if !own.isEmpty { parts.append("own: " + names(own)) }
        if !shared.isEmpty { parts.append((own.isEmpty ? "all shared with the host: " : "shared with the host: ") + names(shared)) }
        if !unknown.isEmpty { parts.append(names(unknown) + " (no inventory.img to compare with)") }
        return parts.joined(separator: "; ")
    }

    // MARK: Capabilities

    /// The set a container starts with, for comparing a process's capabilities.
    struct Baseline {
        var name: String
        var set: CapabilitySet
    }

    /// The default capability set of the engine that made the checkpoint: Podman's and containerd's
    /// default (the 14 of Docker's and the OCI runtime's default profile, as the Podman fixtures show),
    /// CRI-O's 9 (its `default_capabilities`), and for a CRIU dump of host processes every capability.
    static func baseline(_ engine: Engine) -> Baseline {
        let docker = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID",
                      "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"]
        switch engine {
        case .podman: return Baseline(name: "Podman's default set", set: CapabilitySet(names: docker))
        case .containerd: return Baseline(name: "containerd's default set", set: CapabilitySet(names: docker))
        case .crio:
            return Baseline(name: "CRI-O's default set", set: CapabilitySet(names: [
                "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
                "CAP_NET_BIND_SERVICE", "CAP_KILL",
            ]))
        case .criu: return Baseline(name: "all capabilities", set: .allKnown)
        }
    }

    /// A capability set against the baseline: `Podman's default set (14)`, `... without CAP_NET_RAW;
    /// with CAP_SYS_ADMIN`, or `none`.
    static func capabilityText(_ set: CapabilitySet, against baseline: Baseline) -> String {
        if set.rawValue == 0 { return "none" }
        let missing = CapabilitySet(rawValue: baseline.set.rawValue & ~set.rawValue)
        let added = CapabilitySet(rawValue: set.rawValue & ~baseline.set.rawValue)
        var text = "\(baseline.name) (\(baseline.set.capabilities.count))"
        if missing.rawValue == 0 && added.rawValue == 0 { return text }
        // Far from the baseline: the names themselves read better.
        if missing.capabilities.count > baseline.set.capabilities.count / 2 { return set.names.joined(separator: " ") }
        if missing.rawValue != 0 { text += " without " + missing.names.joined(separator: " ") }
        if added.rawValue != 0 { text += (missing.rawValue != 0 ? "; with " : " with ") + added.names.joined(separator: " ") }
        return text
    }

    /// The capability lines of a thread: the three usual sets together when equal, then any
    /// inheritable or ambient capabilities.
    static func capabilityLines(_ creds: Credentials, engine: Engine) -> [String] {
        let baseline = baseline(engine)
        let effective = creds.effective ?? CapabilitySet(rawValue: 0), permitted = creds.permitted ?? CapabilitySet(rawValue: 0)
        let bounding = creds.bounding ?? CapabilitySet(rawValue: 0)
        var lines: [String] = []
        if effective == permitted && permitted == bounding {
            lines.append("capabilities (effective, permitted, bounding): " + capabilityText(effective, against: baseline))
        } else {
            lines.append("effective capabilities: " + capabilityText(effective, against: baseline))
            lines.append("permitted capabilities: " + capabilityText(permitted, against: baseline))
            lines.append("bounding set: " + capabilityText(bounding, against: baseline))
        }
        if let inheritable = creds.inheritable, inheritable.rawValue != 0 { lines.append("inheritable capabilities: " + inheritable.names.joined(separator: " ")) }
        if let ambient = creds.ambient, ambient.rawValue != 0 { lines.append("ambient capabilities: " + ambient.names.joined(separator: " ")) }
        return lines
    }

    // MARK: Parents

    /// Why a process is at the top of the tree shown: its parent was not dumped (CRIU writes ppid 0
    /// for the root, whose parent it did not dump), is outside the checkpoint, or is left out by --pid.
    static func parentNote(_ p: CheckpointProcess, in c: Checkpoint, shown: Set<UInt32>) -> String? {
        if shown.contains(p.ppid) && p.ppid != p.pid { return nil }
        if p.ppid == 0 || p.ppid == p.pid { return "parent outside the checkpoint" }
        if c.process(p.ppid) == nil { return "parent \(p.ppid) outside the checkpoint" }
        return "child of \(p.ppid)"
    }

    // MARK: How the archive was exported

    /// What a Podman export left out (`podman container checkpoint --export` with
    /// `--ignore-rootfs` / `--ignore-volumes`): Podman always writes `rootfs-diff.tar` and one
    /// `volumes/<name>.tar` per named volume otherwise (ARCHIVES.md).
    static func exportOptions(_ c: Checkpoint) -> [String] {
        guard c.engine.engine == .podman, c.engine.containerID != nil else { return [] }
        let members = Set(c.source.members.map(\.path))
        var options: [String] = []
        if !members.contains("rootfs-diff.tar") { options.append("--ignore-rootfs") }
        if !c.engine.namedVolumes.isEmpty, c.engine.namedVolumes.allSatisfy({ !members.contains("volumes/\($0.name).tar") }) {
            options.append("--ignore-volumes")
        }
        return options
    }

    /// A command line as a shell would read it back (single quotes where needed).
    static func shellCommand(_ words: [String]) -> String {
        words.map { w in
            w.isEmpty || w.contains(where: { !($0.isLetter || $0.isNumber || "-_./:=@,+%".contains($0)) })
                ? "'" + w.replacingOccurrences(of: "'", with: "'\\''") + "'" : w
        }.joined(separator: " ")
    }

    // MARK: Network configuration

    /// Interface names by index, from `netdev-<id>.img`, else from the address labels.
    static func interfaceNames(_ n: Checkpoint.NetworkNamespaceInfo) -> [UInt32: String] {
        var names: [UInt32: String] = [:]
        for a in n.configuration.addresses { if let label = a.label, names[a.interfaceIndex] == nil { names[a.interfaceIndex] = label } }
        for d in n.devices { names[d.index] = d.name.description }
        return names
    }

    /// `eth0 10.88.0.5/16`, `lo ::1/128 (host)`.
    static func addressText(_ a: NetworkConfiguration.Address, names: [UInt32: String]) -> String {
        var text = (names[a.interfaceIndex] ?? a.label ?? "if\(a.interfaceIndex)") + " " + (a.address ?? "?") + "/\(a.prefixLength)"
        if let peer = a.peer { text += " peer \(peer)" }
        switch a.scope {
        case 254: text += " (host)"
        case 253: text += " (link)"
        default: break
        }
        return text
    }

    /// `default via 10.88.0.1 dev eth0`, `10.88.0.0/16 dev eth0 src 10.88.0.5`, `local 127.0.0.1 dev lo table local`.
    static func routeText(_ r: NetworkConfiguration.Route, names: [UInt32: String]) -> String {
        var parts: [String] = []
        let types: [UInt8: String] = [2: "local", 3: "broadcast", 4: "anycast", 5: "multicast", 6: "blackhole", 7: "unreachable", 8: "prohibit"]
        if let type = types[r.type] { parts.append(type) }
        parts.append(r.destination.map { $0 + (r.destinationLength == (r.family == 10 ? 128 : 32) && types[r.type] != nil ? "" : "/\(r.destinationLength)") } ?? "default")
        if let gateway = r.gateway { parts.append("via \(gateway)") }
        if let oif = r.outputInterface { parts.append("dev " + (names[oif] ?? "if\(oif)")) }
        if let source = r.preferredSource { parts.append("src \(source)") }
        if let metric = r.priority { parts.append("metric \(metric)") }
        switch r.table {
        case 254: break
        case 255: parts.append("table local")
        default: parts.append("table \(r.table)")
        }
        return parts.joined(separator: " ")
    }

    /// `0: from all lookup local`, `32766: from all lookup main`.
    static func ruleText(_ r: NetworkConfiguration.Rule) -> String {
        var text = r.priority.map { "\($0): " } ?? ""
        text += "from " + (r.source.map { "\($0)/\(r.sourceLength)" } ?? "all")
        if let destination = r.destination { text += " to \(destination)/\(r.destinationLength)" }
        let tables: [UInt32: String] = [253: "default", 254: "main", 255: "local"]
        switch r.action {
        case 1: text += " lookup " + (tables[r.table] ?? String(r.table))
        case 6: text += " blackhole"
        case 7: text += " unreachable"
        case 8: text += " prohibit"
        default: text += " action \(r.action)"
        }
        return text
    }

    /// Firewall text without blank lines and `#` comments (the counters and dates of `iptables-save`).
    static func ruleLines(_ text: String?) -> [String] {
        (text ?? "").split(separator: "\n").map { String($0) }.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty && !$0.hasPrefix("#") }
    }
}
