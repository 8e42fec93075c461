import Foundation

/// The container engine that wrote a checkpoint archive.
public enum Engine: String, Hashable, Sendable, Codable {
    /// Podman (`io.container.manager: libpod`, or engine files without CRI annotations).
    case podman
    /// CRI-O (`io.container.manager: cri-o`, or `io.kubernetes.cri-o.*` annotations).
    case crio = "cri-o"
    /// containerd (`io.kubernetes.cri.*` annotations).
    case containerd
    /// A bare CRIU image directory: no engine metadata.
    case criu
}

/// One network interface of the container, from `network.status` or CRI-O annotations.
public struct NetworkInterface: Hashable, Sendable, Codable {
    /// The network's name (Podman's `network.status`).
    public var network: String?
    /// The interface inside the container (`eth0`).
    public var interface: String?
    /// The addresses, with prefix length where recorded (`10.88.0.5/16`).
    public var addresses: [String]
    /// The gateways of the interface's subnets.
    public var gateways: [String]
    /// The MAC address, when recorded.
    public var mac: String?
}

/// A named volume of a container (Podman's `namedVolumes`): `vol1 -> /vol`.
public struct NamedVolume: Hashable, Sendable, Codable {
    /// The volume's name.
    public var name: String
    /// Where the container mounts it.
    public var destination: String
    /// Mount options (`rw`, `rbind`, ...).
    public var options: [String]

    /// A volume from its name, mount point and options.
    public init(name: String, destination: String, options: [String] = []) {
        self.name = name
        self.destination = destination
        self.options = options
    }
}

/// What the engine recorded about the container (`config.dump`, `spec.dump`, `network.status`).
///
/// Every field is optional: engines and versions differ (Podman 4.3 writes no `checkpointedTime`,
/// CRI-O writes a reduced config, a bare CRIU directory has none of it).
public struct EngineMetadata: Hashable, Sendable, Codable {
    /// The engine that wrote the checkpoint.
    public var engine: Engine
    /// The container's id.
    public var containerID: String?
    /// The container's name.
    public var containerName: String?
    /// The name of the container's image.
    public var imageName: String?
    /// The image reference the engine resolved (`rootfsImageRef`, CRI-O's `ImageRef`).
    public var imageRef: String?
    /// The image id (`rootfsImageID`).
    public var imageID: String?
    /// The OCI runtime (`runc`, `crun`).
    public var runtime: String?
    /// When the container was created, as the engine wrote it.
    public var created: String?
    /// When the container was checkpointed, as the engine wrote it.
    public var checkpointed: String?
    /// When the container was last restored, as the engine wrote it.
    public var restored: String?
    /// The Kubernetes pod's name (CRI-O, containerd).
    public var podName: String?
    /// The Kubernetes namespace of the pod.
    public var namespace: String?
    /// The container's hostname, from the OCI spec.
    public var hostname: String?
    /// The container's command line from the OCI spec (`process.args`).
    public var processArgs: [String]
    /// The environment from the OCI spec (`process.env`), in order.
    public var processEnv: [String]
    /// Mount destinations of the OCI spec.
    public var specMounts: [String]
    /// Namespaces the OCI spec asks for (`pid`, `network`...).
    public var specNamespaces: [String]
    /// The container's network interfaces.
    public var networks: [NetworkInterface]
    /// All annotations of the OCI spec, sorted by key.
    public var annotations: [String: String]
    /// The Podman create command, when recorded.
    public var createCommand: [String]
    /// Podman's named volumes (`config.dump` `namedVolumes`): volume name, where it is mounted, options.
    public var namedVolumes: [NamedVolume] = []
    /// Annotations of the OCI image the checkpoint was read from (`org.criu.checkpoint.*`), if it was one.
    public var ociAnnotations: [String: String]?
    /// The AppArmor profile the OCI spec asks for (`process.apparmorProfile`).
    public var apparmorProfile: String?
    /// The SELinux process label the OCI spec asks for (`process.selinuxLabel`).
    public var selinuxLabel: String?
    /// The SELinux label of the container's mounts (`linux.mountLabel`).
    public var mountLabel: String?
    /// containerd's checkpoint image facts (base image, runtime, runc's options, blobs), when the
    /// checkpoint was read from one.
    public var containerdImage: ContainerdCheckpointImage?

    /// Metadata with only the engine set; everything else empty.
    public init(engine: Engine) {
        self.engine = engine
        processArgs = []
        processEnv = []
        specMounts = []
        specNamespaces = []
        networks = []
        annotations = [:]
        createCommand = []
    }

    /// Reads the engine files of an archive; any of them may be missing or malformed, and what can be read is kept.
    /// Problems are returned as warnings rather than thrown: metadata is evidence, not a precondition.
    public static func parse(configDump: [UInt8]?, specDump: [UInt8]?, networkStatus: [UInt8]?) -> (EngineMetadata, [String]) {
        var warnings: [String] = []
        func object(_ bytes: [UInt8]?, _ name: String) -> [String: Any]? {
            guard let bytes, !bytes.isEmpty else { return nil }
            do {
                let value = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
                if value is NSNull { return nil }
                guard let dict = value as? [String: Any] else {
                    warnings.append("\(name): not a JSON object")
                    return nil
                }
                return dict
            } catch {
                warnings.append("\(name): not valid JSON")
                return nil
            }
        }
        let config = object(configDump, "config.dump")
        let spec = object(specDump, "spec.dump")
        let annotations = (spec?["annotations"] as? [String: Any])?.compactMapValues { $0 as? String } ?? [:]

        let engine: Engine
        switch annotations["io.container.manager"] {
        case "libpod": engine = .podman
        case "cri-o": engine = .crio
        default:
            if annotations.keys.contains(where: { $0.hasPrefix("io.kubernetes.cri.") }) {
                engine = .containerd
            } else if annotations.keys.contains(where: { $0.hasPrefix("io.kubernetes.cri-o.") }) {
                engine = .crio
            } else if config != nil || spec != nil {
                engine = .podman
            } else {
                engine = .criu
            }
        }
        var m = EngineMetadata(engine: engine)
        m.annotations = annotations
        func string(_ dict: [String: Any]?, _ key: String) -> String? {
            guard let v = dict?[key] else { return nil }
            if let s = v as? String, !s.isEmpty { return s }
            return nil
        }
        m.containerID = string(config, "id")
        m.containerName = string(config, "name")
        m.imageName = string(config, "rootfsImageName") ?? string(config, "RawImageName") ?? string(config, "rootfsImage")
        m.imageRef = string(config, "rootfsImageRef")
        m.imageID = string(config, "rootfsImageID")
        m.runtime = string(config, "runtime") ?? string(config, "ociRuntime")
        m.created = string(config, "createdTime")
        m.checkpointed = string(config, "checkpointedTime")
        m.restored = string(config, "restoredTime")
        m.createCommand = (config?["CreateCommand"] as? [Any])?.compactMap { $0 as? String } ?? []
        m.namedVolumes = (config?["namedVolumes"] as? [[String: Any]])?.compactMap { v in
            guard let name = v["volumeName"] as? String, let destination = v["dest"] as? String else { return nil }
            return NamedVolume(name: name, destination: destination, options: (v["options"] as? [Any])?.compactMap { $0 as? String } ?? [])
        } ?? []
        m.hostname = string(spec, "hostname")
        if let process = spec?["process"] as? [String: Any] {
            m.processArgs = (process["args"] as? [Any])?.compactMap { $0 as? String } ?? []
            m.processEnv = (process["env"] as? [Any])?.compactMap { $0 as? String } ?? []
            m.apparmorProfile = string(process, "apparmorProfile")
            m.selinuxLabel = string(process, "selinuxLabel")
        }
        m.mountLabel = string(spec?["linux"] as? [String: Any], "mountLabel")
        m.specMounts = (spec?["mounts"] as? [[String: Any]])?.compactMap { $0["destination"] as? String } ?? []
        if let linux = spec?["linux"] as? [String: Any], let namespaces = linux["namespaces"] as? [[String: Any]] {
            m.specNamespaces = namespaces.compactMap { $0["type"] as? String }
        }
        // CRI-O and containerd annotations.
        switch engine {
        case .crio:
            if let meta = annotations["io.kubernetes.cri-o.Metadata"],
               let dict = try? JSONSerialization.jsonObject(with: Data(meta.utf8)) as? [String: Any] {
                m.containerName = m.containerName ?? (dict["name"] as? String)
            }
            m.containerName = m.containerName ?? annotations["io.kubernetes.cri-o.ContainerName"]
            m.containerID = m.containerID ?? annotations["io.kubernetes.cri-o.ContainerID"]
            m.imageName = m.imageName ?? annotations["io.kubernetes.cri-o.ImageName"]
            m.imageRef = m.imageRef ?? annotations["io.kubernetes.cri-o.ImageRef"]
            m.created = m.created ?? annotations["io.kubernetes.cri-o.Created"]
            m.podName = annotations["io.kubernetes.pod.name"] ?? annotations["io.kubernetes.cri-o.SandboxName"]
            m.namespace = annotations["io.kubernetes.pod.namespace"]
            var ips: [String] = []
            for i in 0..<16 {
                guard let ip = annotations["io.kubernetes.cri-o.IP.\(i)"] else { break }
                ips.append(ip)
            }
            if !ips.isEmpty { m.networks.append(NetworkInterface(network: nil, interface: nil, addresses: ips, gateways: [], mac: nil)) }
        case .containerd:
            m.containerName = m.containerName ?? annotations["io.kubernetes.cri.container-name"]
            m.imageName = m.imageName ?? annotations["io.kubernetes.cri.image-name"]
            m.podName = annotations["io.kubernetes.cri.sandbox-name"]
            m.namespace = annotations["io.kubernetes.cri.sandbox-namespace"]
        case .podman:
            if m.created == nil { m.created = annotations["io.kubernetes.cri-o.Created"] }
        case .criu:
            break
        }
        // Podman's network.status: {"net": {"interfaces": {"eth0": {"subnets": [{"ipnet": ..., "gateway": ...}], "mac_address": ...}}}}
        // (or an older array form). "null" means no network.
        if let statusBytes = networkStatus, !statusBytes.isEmpty {
            if let value = try? JSONSerialization.jsonObject(with: Data(statusBytes), options: [.fragmentsAllowed]) {
                m.networks += parseNetworkStatus(value)
            } else {
                warnings.append("network.status: not valid JSON")
            }
        }
        return (m, warnings)
    }

    static func parseNetworkStatus(_ value: Any) -> [NetworkInterface] {
        var result: [NetworkInterface] = []
        if let networks = value as? [String: Any] {
            for (network, status) in networks.sorted(by: { $0.key < $1.key }) {
                guard let interfaces = (status as? [String: Any])?["interfaces"] as? [String: Any] else { continue }
                for (name, info) in interfaces.sorted(by: { $0.key < $1.key }) {
                    let dict = info as? [String: Any] ?? [:]
                    let subnets = dict["subnets"] as? [[String: Any]] ?? []
                    result.append(NetworkInterface(
                        network: network, interface: name,
                        addresses: subnets.compactMap { $0["ipnet"] as? String },
                        gateways: subnets.compactMap { $0["gateway"] as? String },
                        mac: dict["mac_address"] as? String))
                }
            }
        } else if let list = value as? [[String: Any]] {
            // CNI result list (older Podman): [{"interfaces": [{"name","mac"}], "ips": [{"address","gateway"}]}]
            for item in list {
                let interfaces = item["interfaces"] as? [[String: Any]] ?? []
                let ips = item["ips"] as? [[String: Any]] ?? []
                result.append(NetworkInterface(
                    network: item["network"] as? String, interface: interfaces.first?["name"] as? String,
                    addresses: ips.compactMap { $0["address"] as? String },
                    gateways: ips.compactMap { $0["gateway"] as? String },
                    mac: interfaces.first?["mac"] as? String))
            }
        }
        return result
    }
}
