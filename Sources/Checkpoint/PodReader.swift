import CheckpointArchive
import CRIUImages

/// Reads a pod checkpoint's files and opens its containers: ``PodCheckpoint/open(source:options:)``.
struct PodReader {
    let source: CheckpointSource
    let root: String
    let options: PodCheckpoint.Options
    var warnings: [String] = []
    var documents: [PodDocument] = []

    init(source: CheckpointSource, root: String, options: PodCheckpoint.Options) {
        self.source = source
        self.root = root
        self.options = options
    }

    func path(_ name: String) -> String { root.isEmpty ? name : root + "/" + name }

    /// Where the pod's files are in messages: the source, and the root directory inside it.
    var label: String { root.isEmpty ? source.path : source.path + ":" + root }

    // MARK: - Files

    /// A pod file's member (links followed inside the source), if present.
    func member(_ name: String) throws(CheckpointError) -> ArchiveMember? {
        do {
            guard let m = try source.member(named: path(name)) else { return nil }
            return try source.resolve(m)
        } catch {
            throw CheckpointError(error)
        }
    }

    /// Reads and parses a JSON file, refusing one over `limit` before reading it; nil when absent.
    mutating func document(_ name: String, limit: UInt64, required: Bool) throws(CheckpointError) -> JSONValue? {
        guard let m = try member(name), m.kind == .file else {
            if required { throw CheckpointError(.malformed, source: label, file: name, message: "missing or not a regular file") }
            return nil
        }
        guard m.size <= limit else {
            throw CheckpointError(.limitExceeded, source: label, file: name, message: "\(m.size) bytes is over the limit of \(limit) bytes")
        }
        let bytes: [UInt8]
        do { bytes = try source.read(m, maxBytes: Int(limit)) } catch { throw CheckpointError(error) }
        do {
            let (value, issues) = try StrictJSON.parse(bytes)
            documents.append(PodDocument(name: name, size: m.size, value: value, issues: issues, failure: nil))
            for issue in issues { warnings.append("\(name): \(issue.path.isEmpty ? "" : issue.path + ": ")\(issue.message) (byte \(issue.offset))") }
            return value
        } catch {
            documents.append(PodDocument(name: name, size: m.size, value: nil, issues: [], failure: error))
            if required {
                throw CheckpointError(.malformed, source: label, file: name, offset: UInt64(error.offset), message: "not valid JSON: \(error.message)")
            }
            warnings.append("\(name): not valid JSON: \(error.message) (byte \(error.offset))")
            return nil
        }
    }

    // MARK: - The pod

    mutating func read(marker: String) throws(CheckpointError) -> PodCheckpoint {
        let limits = options.limits
        var pod = PodCheckpoint.Pod(name: nil, namespace: nil, uid: nil, sandboxID: nil, runtime: "", runtimeHandler: nil,
                                    formatVersion: nil, config: nil, annotations: [:])
        var containers: [PodCheckpoint.Container] = []
        let variant: PodCheckpoint.Variant
        if marker == "checkpoint-manifest.json" {
            guard let manifest = try document(marker, limit: limits.manifestBytes, required: true) else {
                throw CheckpointError(.malformed, source: label, file: marker, message: "missing")
            }
            guard manifest.members != nil else {
                throw CheckpointError(.malformed, source: label, file: marker, message: "\(manifest.typeName), not a JSON object")
            }
            let version = manifest["version"]?.integer
            let runtime = manifest["runtime"]?.text
            let entries = manifest["containers"]?.items
            let names = entries.map { !$0.isEmpty && $0.allSatisfy { $0.text != nil } } ?? false
            guard let found = PodCheckpoint.Decisions.manifestVariant(
                version: manifest["version"] == nil ? nil : version, runtime: runtime, hasRuntimeKey: manifest["runtime"] != nil,
                containersAreNames: names)
            else {
                let v = manifest["version"].map { $0.integer.map(String.init) ?? $0.typeName } ?? "none"
                let r = manifest["runtime"].map { $0.text.map { "\"\($0)\"" } ?? $0.typeName } ?? "none"
                throw CheckpointError(
                    .notACheckpoint, source: label, file: marker,
                    message: "unknown pod checkpoint manifest: version \(v), runtime \(r), keys \(manifest.members!.map(\.0).joined(separator: ", ")) "
                        + "(read: CRI-O's version 1 with runtime \"cri-o\", containerd's version 2 and version 1, the prototypes' list of container names)")
            }
            variant = found
            pod.formatVersion = version
            pod.sandboxID = manifest["sandboxId"]?.text
            pod.runtimeHandler = manifest["runtimeHandler"]?.text
            guard let entries else {
                throw CheckpointError(.malformed, source: label, file: marker, message: "containers: \(manifest["containers"]?.typeName ?? "missing"), not an array")
            }
            guard entries.count <= limits.containers else {
                throw CheckpointError(.limitExceeded, source: label, file: marker, message: "\(entries.count) containers is over the limit of \(limits.containers)")
            }
            if entries.isEmpty { warnings.append("\(marker): containers: the manifest lists no containers") }
            if let config = try document("pod-config.json", limit: limits.jsonFileBytes, required: false) {
                pod.config = CRIPodSandboxConfig(config)
            } else {
                warnings.append("pod-config.json is missing: the pod's sandbox config is unknown")
            }
            for (i, entry) in entries.enumerated() {
                containers.append(try manifestContainer(entry, index: i, variant: variant))
            }
        } else {
            guard let podOptions = try document(marker, limit: limits.jsonFileBytes, required: true), podOptions.members != nil else {
                throw CheckpointError(.malformed, source: label, file: marker, message: "not a JSON object")
            }
            let version = podOptions["version"]?.integer
            let hasPodDump = try member("pod.dump") != nil
            guard let found = PodCheckpoint.Decisions.podOptionsVariant(version: version, hasPodDump: hasPodDump) else {
                let v = podOptions["version"].map { $0.integer.map(String.init) ?? $0.typeName } ?? "none"
                throw CheckpointError(.notACheckpoint, source: label, file: marker,
                                      message: "unknown pod.options version \(v) (read: version 1, CRI-O's and containerd's pod tars)")
            }
            variant = found
            pod.formatVersion = version
            pod.annotations = podOptions.stringMap("annotations")
            pod.name = pod.annotations["org.criu.checkpoint.pod.name"]
            pod.namespace = pod.annotations["org.criu.checkpoint.pod.namespace"]
            pod.uid = pod.annotations["org.criu.checkpoint.pod.uid"]
            pod.sandboxID = pod.annotations["org.criu.checkpoint.pod.id"]
            if hasPodDump, let dump = try document("pod.dump", limit: limits.jsonFileBytes, required: false) {
                pod.config = CRIPodSandboxConfig(dump)
            }
            guard let map = podOptions["containers"]?.members else {
                throw CheckpointError(.malformed, source: label, file: marker, message: "containers: \(podOptions["containers"]?.typeName ?? "missing"), not an object")
            }
            guard map.count <= limits.containers else {
                throw CheckpointError(.limitExceeded, source: label, file: marker, message: "\(map.count) containers is over the limit of \(limits.containers)")
            }
            for (i, (key, value)) in map.enumerated() {
                containers.append(try directoryContainer(key: key, value: value, index: i, variant: variant))
            }
        }
        pod.runtime = pod.annotations["org.criu.checkpoint.engine.name"] ?? variant.runtime
        if let config = pod.config {
            pod.name = pod.name ?? config.name
            pod.namespace = pod.namespace ?? config.namespace
            pod.uid = pod.uid ?? config.uid
        }
        noteUnknownFiles(variant: variant, containers: containers)
        for c in containers {
            if let error = c.error { warnings.append("container \(c.name): \(error.description)") }
        }
        return PodCheckpoint(path: source.path, source: source, root: root, variant: variant, pod: pod, containers: containers,
                             warnings: warnings, documents: documents)
    }

    // MARK: - Containers

    /// A container of a manifest (A, B, B0, P): its archive opened in place.
    mutating func manifestContainer(_ entry: JSONValue, index: Int, variant: PodCheckpoint.Variant) throws(CheckpointError) -> PodCheckpoint.Container {
        let at = "checkpoint-manifest.json: containers[\(index)]"
        var name = entry.text ?? ""
        var id: String?
        var location: String
        var container = PodCheckpoint.Container(name: "", id: nil, fullName: nil, location: "", recordedSHA256: nil, index: index,
                                                config: nil, status: nil, checkpoint: nil, error: nil)
        if variant == .prototype {
            location = "container-\(name).tar"
        } else {
            guard entry.members != nil else {
                container.name = "#\(index)"
                container.error = CheckpointError(.malformed, source: label, file: "checkpoint-manifest.json", message: "containers[\(index)]: \(entry.typeName), not an object")
                return container
            }
            name = entry["name"]?.text ?? ""
            id = entry["id"]?.text
            container.recordedSHA256 = entry["sha256"]?.text
            if let config = entry["config"], config.members != nil {
                container.config = CRIContainerConfig(config, base64Values: variant == .containerdManifest)
            }
            if let status = entry["status"], status.members != nil { container.status = CRIContainerStatus(status) }
            if let archive = entry["archive"]?.text, !archive.isEmpty {
                location = archive
            } else {
                let derived = id.map { (variant == .crioManifest ? "containers/" : "container-") + SHA256.hex(Array($0.utf8)) + ".tar" }
                location = derived ?? ""
                if let derived { warnings.append("\(at): no archive; using the name derived from the id, \(derived)") }
            }
        }
        container.name = name.isEmpty ? "#\(index)" : name
        container.id = id
        container.location = location
        if name.isEmpty { warnings.append("\(at): the container has no name") }
        // Only a relative path inside the pod's directory is followed.
        let parts = location.split(separator: "/", omittingEmptySubsequences: false)
        guard !location.isEmpty, !location.hasPrefix("/"), !parts.contains(where: { $0 == ".." || $0.isEmpty }) else {
            container.error = CheckpointError(.malformed, source: label, file: "checkpoint-manifest.json",
                                              message: "containers[\(index)]: archive \"\(location)\" is not a path inside the pod checkpoint")
            return container
        }
        do throws(CheckpointError) {
            guard let member = try member(location), member.kind == .file else {
                throw CheckpointError(.missingImage, source: label, file: location, message: "the container's archive is missing or not a regular file")
            }
            guard member.size <= options.limits.archiveBytes else {
                throw CheckpointError(.limitExceeded, source: label, file: location,
                                      message: "\(member.size) bytes is over the limit of \(options.limits.archiveBytes) bytes")
            }
            var nested = options.checkpoint.source
            if variant == .containerdManifest { nested.maxMembers = min(nested.maxMembers, options.limits.archiveEntries) }
            let archive: CheckpointSource
            do { archive = try source.openNested(member, options: nested) } catch { throw CheckpointError(error) }
            container.checkpoint = try Checkpoint.open(source: archive, options: containerOptions)
            if container.status == nil { container.status = Self.statusDump(archive) }
        } catch {
            container.error = error
        }
        return container
    }

    /// A container of a pod tar (C, D): its directory read as a part of the pod's source.
    mutating func directoryContainer(key: String, value: JSONValue, index: Int, variant: PodCheckpoint.Variant) throws(CheckpointError) -> PodCheckpoint.Container {
        let directory = value.text ?? ""
        let (name, id, fullName) = PodCheckpoint.Decisions.podOptionsContainer(key: key, directory: directory, variant: variant)
        var container = PodCheckpoint.Container(name: name, id: id, fullName: fullName, location: directory, recordedSHA256: nil, index: index,
                                                config: nil, status: nil, checkpoint: nil, error: nil)
        guard !directory.isEmpty, !directory.contains("/"), directory != "..", directory != "." else {
            container.error = CheckpointError(.malformed, source: label, file: "pod.options",
                                              message: "containers[\"\(key)\"]: \(value.text.map { "\"\($0)\"" } ?? value.typeName) is not a directory name")
            return container
        }
        do throws(CheckpointError) {
            let part: CheckpointSource
            do { part = try source.subtree(path(directory)) } catch { throw CheckpointError(error) }
            container.checkpoint = try Checkpoint.open(source: part, options: containerOptions)
            container.status = Self.statusDump(part)
        } catch {
            container.error = error
        }
        return container
    }

    var containerOptions: Checkpoint.Options {
        var o = options.checkpoint
        o.previous = nil
        return o
    }

    /// containerd's `status.dump` (a CRI ContainerStatus) of a container's archive, if it has one.
    static func statusDump(_ source: CheckpointSource) -> CRIContainerStatus? {
        guard let m = try? source.member(named: "status.dump"), m.kind == .file, m.size <= 4 << 20,
              let bytes = try? source.read(m, maxBytes: 4 << 20), let (value, _) = try? StrictJSON.parse(bytes), value.members != nil
        else { return nil }
        return CRIContainerStatus(value)
    }

    /// Files at the pod's top that its variant does not define: warnings (``PodCheckpoint/Decisions/unknownFilesAreWarnings``).
    mutating func noteUnknownFiles(variant: PodCheckpoint.Variant, containers: [PodCheckpoint.Container]) {
        let known: Set<String> = switch variant {
        case .crioManifest: ["checkpoint-manifest.json", "pod-config.json", "containers"]
        case .containerdManifest, .containerdManifestV1, .prototype: ["checkpoint-manifest.json", "pod-config.json"]
        case .crioPodArchive: ["pod.options"]
        case .containerdPodArchive: ["pod.options", "pod.dump"]
        }
        let parts = Set(containers.map { $0.location.split(separator: "/").first.map(String.init) ?? "" })
        let prefix = root.isEmpty ? "" : root + "/"
        var seen = Set<String>()
        for m in source.members where m.path.hasPrefix(prefix) && m.path.count > prefix.count {
            let rest = m.path.dropFirst(prefix.count)
            guard let first = rest.split(separator: "/").first.map(String.init), seen.insert(first).inserted else { continue }
            if !known.contains(first) && !parts.contains(first) {
                warnings.append("\(ArchiveMember.escape(Array(first.utf8))): not part of a \(variant.rawValue) pod checkpoint")
            }
        }
    }
}
