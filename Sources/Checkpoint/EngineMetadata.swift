import Foundation

/// The container engine that wrote a checkpoint archive.
public enum Engine: String, Hashable, Sendable, Codable {
    case podman
    case crio = "cri-o"
    case containerd
    /// A bare CRIU image directory: no engine metadata.
    case criu
}

/// One network interface of the container, from `network.status` or CRI-O annotations.
public struct NetworkInterface: Hashable, Sendable, Codable {
    public var network: String?
    public var interface: String?
    public var addresses: [String]
    public var gateways: [String]
    public var mac: String?
}

/// What the engine recorded about the container (`config.dump`, `spec.dump`, `network.status`).
///
/// Every field is optional: engines and versions differ (Podman 4.3 writes no `checkpointedTime`,
/// CRI-O writes a reduced config, a bare CRIU directory has none of it).
public struct EngineMetadata: Hashable, Sendable, Codable {
    public var engine: Engine
    public var containerID: String?
    public var containerName: String?
    public var imageName: String?
    public var imageRef: String?
    public var imageID: String?
    public var runtime: String?
    public var created: String?
    public var checkpointed: String?
    public var restored: String?
    public var podName: String?
    public var namespace: String?
    public var hostname: String?
    /// The container's command line from the OCI spec (`process.args`).
    public var processArgs: [String]
    /// The environment from the OCI spec (`process.env`), in order.
    public var processEnv: [String]
    /// Mount destinations of the OCI spec.
    public var specMounts: [String]
    /// Namespaces the OCI spec asks for (`pid`, `network`...).
    public var specNamespaces: [String]
    public var networks: [NetworkInterface]
    /// All annotations of the OCI spec, sorted by key.
    public var annotations: [String: String]
    /// The Podman create command, when recorded.
    public var createCommand: [String]
    /// Annotations of the OCI image the checkpoint was read from (`org.criu.checkpoint.*`), if it was one.
    public var ociAnnotations: [String: String]?

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
        m.hostname = string(spec, "hostname")
        if let process = spec?["process"] as? [String: Any] {
            m.processArgs = (process["args"] as? [Any])?.compactMap { $0 as? String } ?? []
            m.processEnv = (process["env"] as? [Any])?.compactMap { $0 as? String } ?? []
        }
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
