public import Checkpoint
public import CheckpointArchive
import CRIUImages
import Foundation

/// The result of verifying a pod checkpoint: the pod's own findings, then each container's report.
public struct PodVerificationReport: Sendable {
    /// The id of the JSON schema a report is written in.
    public static let schemaVersion = "ckpt-inspect/verify-pod/v1"

    /// One container's result.
    public struct ContainerReport: Sendable {
        /// The container's CRI name.
        public var name: String
        /// Its archive or directory inside the pod.
        public var location: String
        /// The checks of ``Verifier`` on its checkpoint; nil when it could not be opened (a
        /// `pod.container.open` finding says why).
        public var report: VerificationReport?
    }

    /// The path that was verified.
    public var path: String
    /// The layout, when it was recognised.
    public var variant: PodCheckpoint.Variant?
    /// The pod's findings (manifest, configs, archives, digests, layout): errors first.
    public var findings: [Finding]
    /// The ids of the pod checks that ran.
    public var checks: [String]
    /// Each container's report, in the manifest's order.
    public var containers: [ContainerReport]

    /// No error in the pod's findings nor in any container's.
    public var isClean: Bool {
        !findings.contains { $0.severity == .error } && containers.allSatisfy { $0.report?.isClean ?? false }
    }
}

/// Verifies pod checkpoints: every check the writers' readers make (PODS.md §8), then ``Verifier``
/// on each container.
///
/// Check ids (stable): `pod.open`, `pod.variant`, `pod.file.type`, `pod.path.outside`, `pod.json`,
/// `pod.json.unknown-field`, `pod.json.type`, `pod.size`, `pod.version`, `pod.runtime`, `pod.sandbox-id`,
/// `pod.pod-config`, `pod.containers.count`, `pod.container.name`, `pod.container.name.duplicate`,
/// `pod.container.id`, `pod.container.id.duplicate`, `pod.container.config`, `pod.container.status`,
/// `pod.archive.name`, `pod.archive.missing`, `pod.archive.size`, `pod.archive.sha256`, `pod.options.directory`,
/// `pod.oci.entries`, `pod.oci.entry`, `pod.oci.index`, `pod.oci.descriptors`, `pod.oci.blob`, `pod.oci.digest`,
/// `pod.unknown-file`, `pod.container.open`. A finding's ``Finding/image`` is the pod file or the archive, and
/// ``Finding/field`` the manifest field (`containers[1].sha256`).
public enum PodVerifier {
    /// Verifies the pod checkpoint at `path` (a directory or a tar of one).
    ///
    /// - Throws: ``CheckpointError`` `.archive` when the source cannot be read, `.notACheckpoint` when it
    ///   is no pod checkpoint. A pod that is one but cannot be read (an unknown variant, a damaged
    ///   manifest, a limit) is a report with an error finding.
    public static func verify(_ path: String, options: Verifier.Options = .init()) throws(CheckpointError) -> PodVerificationReport {
        try verify(source: try Verifier.openSource(path, options.source), options: options)
    }

    /// Verifies the pod checkpoint in an already opened source.
    public static func verify(source: CheckpointSource, options: Verifier.Options = .init()) throws(CheckpointError) -> PodVerificationReport {
        let path = source.path
        guard PodCheckpoint.isPodCheckpoint(source) else {
            throw CheckpointError(.notACheckpoint, source: path, message: "not a pod checkpoint: no checkpoint-manifest.json or pod.options at its top")
        }
        var run = PodWalk()
        let pod: PodCheckpoint
        do {
            pod = try PodCheckpoint.open(source: source, options: .init(checkpoint: .init(source: options.source, listNestedArchives: false)))
        } catch {
            run.ran("pod.open")
            let id = error.code == .notACheckpoint ? "pod.variant" : error.code == .limitExceeded ? "pod.size" : "pod.open"
            run.add(id, .error, error.message, file: error.file, offset: error.offset)
            return PodVerificationReport(path: path, variant: nil, findings: run.ordered, checks: run.checks, containers: [])
        }
        return verify(pod, options: options)
    }

    /// Verifies a pod checkpoint already opened; its containers' checkpoints are verified as they were opened.
    public static func verify(_ pod: PodCheckpoint, options: Verifier.Options = .init()) -> PodVerificationReport {
        var run = PodWalk()
        run.pod = pod
        run.checkFiles()
        run.checkDocuments()
        run.checkContainers()
        for warning in pod.warnings where warning.hasSuffix("pod checkpoint") && warning.contains(": not part of a ") {
            run.add("pod.unknown-file", .warning, warning, file: String(warning.prefix { $0 != ":" }))
        }
        run.ran("pod.unknown-file")
        var reports: [PodVerificationReport.ContainerReport] = []
        for c in pod.containers {
            run.ran("pod.container.open")
            if let error = c.error {
                run.add("pod.container.open", .error, "container \(c.name): \(error.description)", file: c.location)
            }
            reports.append(.init(name: c.name, location: c.location, report: c.checkpoint.map { Verifier.verify($0, options: options) }))
        }
        return PodVerificationReport(path: pod.path, variant: pod.variant, findings: run.ordered, checks: run.checks, containers: reports)
    }
}

/// The pod checks, collecting findings.
struct PodWalk {
    var pod: PodCheckpoint!
    var findings: [Finding] = []
    var checks: [String] = []

    var ordered: [Finding] { Severity.allCases.flatMap { s in findings.filter { $0.severity == s } } }

    mutating func ran(_ ids: String...) {
        for id in ids where !checks.contains(id) { checks.append(id) }
    }

    mutating func add(_ id: String, _ severity: Severity, _ message: String, file: String? = nil, field: String? = nil, offset: UInt64? = nil) {
        ran(id)
        findings.append(Finding(id: id, severity: severity, message: message, image: file, field: field, offset: offset))
    }

    static let manifest = "checkpoint-manifest.json"

    // MARK: - Files

    /// Only regular files and directories, no names leaving the pod (PODS.md §8: "regular files only
    /// (no symlinks)"; the KEP rejects symlink escapes). Inside a container's directory (C, D) the
    /// container's own members are the container's matter.
    mutating func checkFiles() {
        ran("pod.file.type", "pod.path.outside")
        let prefix = pod.root.isEmpty ? "" : pod.root + "/"
        let directories = pod.variant.hasContainerArchives ? [] : pod.containers.map { prefix + $0.location + "/" }
        for m in pod.source.members {
            let parts = m.rawName.split(separator: UInt8(ascii: "/"))
            if m.rawName.first == UInt8(ascii: "/") || parts.contains(where: { Array($0) == [0x2e, 0x2e] }) {
                add("pod.path.outside", .error, "the name leaves the pod checkpoint", file: m.escapedName)
                continue
            }
            guard m.path.hasPrefix(prefix) || m.path + "/" == prefix else { continue }
            if directories.contains(where: { m.path.hasPrefix($0) }) { continue }
            switch m.kind {
            case .file, .directory: break
            case .symlink:
                add("pod.file.type", .error, "a symbolic link\(m.linkTarget.map { " to " + ArchiveMember.escape(Array($0.utf8)) } ?? ""): the writers' readers accept regular files only",
                    file: m.escapedName)
            case .hardlink:
                add("pod.file.type", .error, "a hard link: the writers' readers accept regular files only", file: m.escapedName)
            case .other:
                add("pod.file.type", .error, "a special file: the writers' readers accept regular files only", file: m.escapedName)
            }
        }
    }

    // MARK: - JSON

    /// The fields each variant's reader knows (Go's `DisallowUnknownFields`).
    func knownFields(_ document: String) -> (top: Set<String>, entry: Set<String>)? {
        switch (document, pod.variant) {
        case (Self.manifest, .crioManifest): (["version", "runtime", "runtimeHandler", "sandboxId", "containers"], ["name", "id", "archive", "sha256", "config"])
        case (Self.manifest, .containerdManifest): (["version", "sandboxId", "containers"], ["name", "id", "archive", "config", "status"])
        case (Self.manifest, .containerdManifestV1): (["version", "sandboxId", "containers"], ["name", "id", "archive"])
        case (Self.manifest, .prototype): (["sandboxId", "containers"], [])
        case ("pod.options", _): (["version", "containers", "annotations"], [])
        default: nil
        }
    }

    mutating func checkDocuments() {
        ran("pod.json", "pod.json.unknown-field", "pod.json.type", "pod.size", "pod.pod-config")
        let limits = PodCheckpoint.Limits()
        for doc in pod.documents {
            if let failure = doc.failure {
                add("pod.json", .error, "not valid JSON: \(failure.message)", file: doc.name, offset: UInt64(failure.offset))
            }
            for issue in doc.issues {
                add("pod.json", .error, "not strict JSON: \(issue.message)", file: doc.name, field: issue.path.isEmpty ? nil : issue.path,
                    offset: UInt64(issue.offset))
            }
            // CRI-O's reader reads every JSON file with a 4 MiB bound; containerd's its manifest with 16 MiB.
            let bound = doc.name == Self.manifest && pod.variant != .crioManifest ? limits.manifestBytes : limits.jsonFileBytes
            if doc.size > bound {
                add("pod.size", .error, "\(doc.size) bytes is over the \(bound)-byte limit of the \(pod.variant.runtime) reader", file: doc.name)
            }
            guard let value = doc.value, let known = knownFields(doc.name) else { continue }
            guard let members = value.members else {
                add("pod.json.type", .error, "\(value.typeName), not an object", file: doc.name)
                continue
            }
            for (key, _) in members where !known.top.contains(key) {
                add("pod.json.unknown-field", .error, "unknown field \"\(key)\" (the reader rejects unknown fields)", file: doc.name, field: key)
            }
            for (i, entry) in (value["containers"]?.items ?? []).enumerated() {
                for (key, _) in entry.members ?? [] where !known.entry.contains(key) {
                    add("pod.json.unknown-field", .error, "unknown field \"\(key)\" (the reader rejects unknown fields)", file: doc.name,
                        field: "containers[\(i)].\(key)")
                }
            }
            checkTypes(value, doc.name)
        }
        if pod.variant.hasContainerArchives {
            if !pod.documents.contains(where: { $0.name == "pod-config.json" && $0.value?.members != nil }) {
                add("pod.pod-config", .error, "pod-config.json is missing or not a JSON object: the pod's sandbox config is needed to restore it",
                    file: "pod-config.json")
            }
        }
    }

    /// The types of the fields the readers decode.
    mutating func checkTypes(_ value: JSONValue, _ file: String) {
        func expect(_ field: String, _ v: JSONValue?, _ type: String, required: Bool) {
            guard let v else {
                if required { add("pod.json.type", .error, "missing", file: file, field: field) }
                return
            }
            let ok = switch type {
            case "integer": v.integer != nil
            case "string": v.text != nil
            case "object": v.members != nil
            case "array": v.items != nil
            default: true
            }
            if !ok { add("pod.json.type", .error, "\(v.typeName), not \(type == "integer" ? "an integer" : type == "object" || type == "array" ? "an \(type)" : "a \(type)")", file: file, field: field) }
        }
        if file == "pod.options" {
            expect("version", value["version"], "integer", required: true)
            expect("containers", value["containers"], "object", required: true)
            for (key, v) in value["containers"]?.members ?? [] { expect("containers.\(key)", v, "string", required: true) }
            expect("annotations", value["annotations"], "object", required: false)
            return
        }
        let variant = pod.variant
        expect("version", value["version"], "integer", required: variant != .prototype)
        expect("sandboxId", value["sandboxId"], "string", required: true)
        expect("containers", value["containers"], "array", required: true)
        if variant == .crioManifest {
            expect("runtime", value["runtime"], "string", required: true)
            expect("runtimeHandler", value["runtimeHandler"], "string", required: false)
        }
        for (i, entry) in (value["containers"]?.items ?? []).enumerated() {
            let at = "containers[\(i)]"
            if variant == .prototype {
                expect(at, entry, "string", required: true)
                continue
            }
            expect(at, entry, "object", required: true)
            guard entry.members != nil else { continue }
            expect(at + ".name", entry["name"], "string", required: true)
            expect(at + ".id", entry["id"], "string", required: true)
            expect(at + ".archive", entry["archive"], "string", required: true)
            if variant == .crioManifest {
                expect(at + ".sha256", entry["sha256"], "string", required: true)
            }
            if variant == .crioManifest || variant == .containerdManifest {
                // CRI-O rejects a null config; containerd needs it to recreate the container.
                if entry["config"] == nil || entry["config"] == .null {
                    add("pod.container.config", .error, "no config (the CRI ContainerConfig the container was created with)", file: file, field: at + ".config")
                } else {
                    expect(at + ".config", entry["config"], "object", required: true)
                }
            }
            if variant == .containerdManifest { expect(at + ".status", entry["status"], "object", required: true) }
        }
    }

    // MARK: - Containers

    mutating func checkContainers() {
        let limits = PodCheckpoint.Limits()
        let variant = pod.variant
        let file = variant.hasContainerArchives ? Self.manifest : "pod.options"
        ran("pod.version", "pod.runtime", "pod.sandbox-id", "pod.containers.count", "pod.container.name", "pod.container.name.duplicate",
            "pod.container.id", "pod.container.id.duplicate", "pod.container.config", "pod.container.status", "pod.archive.name",
            "pod.archive.missing", "pod.archive.size", "pod.archive.sha256", "pod.options.directory")
        if pod.pod.sandboxID?.isEmpty ?? true {
            add("pod.sandbox-id", .error, "no sandbox id", file: variant.hasContainerArchives ? file : "pod.options",
                field: variant.hasContainerArchives ? "sandboxId" : "annotations.org.criu.checkpoint.pod.id")
        }
        if pod.containers.isEmpty || pod.containers.count > limits.containers {
            add("pod.containers.count", .error, "\(pod.containers.count) containers: a pod checkpoint holds 1 to \(limits.containers)",
                file: file, field: "containers")
        }
        var names: [String: Int] = [:], ids: [String: Int] = [:]
        for c in pod.containers {
            let at = variant.hasContainerArchives ? "containers[\(c.index)]" : "containers"
            if c.name.hasPrefix("#") || c.name.isEmpty {
                add("pod.container.name", .error, "the container has no name", file: file, field: at + ".name")
            } else if let first = names[c.name] {
                add("pod.container.name.duplicate", .error, "name \"\(c.name)\" is also containers[\(first)]'s", file: file, field: at + ".name")
            } else {
                names[c.name] = c.index
            }
            if variant != .prototype {
                if let id = c.id, !id.isEmpty {
                    if let first = ids[id] {
                        add("pod.container.id.duplicate", .error, "id \(id) is also containers[\(first)]'s", file: file, field: at + ".id")
                    } else {
                        ids[id] = c.index
                    }
                } else {
                    add("pod.container.id", .error, "the container has no id", file: file, field: at + ".id")
                }
            }
            if variant == .containerdManifest {
                if let n = c.config?.name, n != c.name {
                    add("pod.container.config", .error, "config.metadata.name is \"\(n)\", the container is \"\(c.name)\"", file: file, field: at + ".config.metadata.name")
                }
                if let status = c.status {
                    if status.id != c.id {
                        add("pod.container.status", .error, "status.id is \(status.id ?? "missing"), the container's id is \(c.id ?? "missing")", file: file, field: at + ".status.id")
                    }
                    if !Self.isDigest(status.imageRef) {
                        add("pod.container.status", .error, "status.image_ref \(status.imageRef.map { "\"\($0)\"" } ?? "is missing"): not a digest", file: file,
                            field: at + ".status.image_ref")
                    }
                }
            }
            if variant.hasContainerArchives {
                checkArchive(c, at: at)
            } else {
                let directory = pod.memberPath(c.location)
                // The key of pod.options' map: the CRI name in C, containerd's full name in D.
                let key = variant == .containerdPodArchive ? (c.fullName ?? c.name) : c.name
                if !pod.source.members.contains(where: { $0.path == directory && $0.kind == .directory }) {
                    add("pod.options.directory", .error, "\"\(c.location)\" is not a directory of the pod checkpoint", file: "pod.options",
                        field: "containers.\(key)")
                } else if c.id.map({ $0.count != 64 || !$0.allSatisfy(\.isHexDigit) }) ?? true {
                    add("pod.options.directory", .warning, "\"\(c.location)\" is not named <container id>-<name>", file: "pod.options",
                        field: "containers.\(key)")
                }
            }
        }
    }

    static func isDigest(_ text: String?) -> Bool {
        guard let text, let colon = text.firstIndex(of: ":") else { return false }
        let algorithm = text[..<colon], hex = text[text.index(after: colon)...]
        let lengths = ["sha256": 64, "sha384": 96, "sha512": 128]
        guard let n = lengths[String(algorithm)] else { return false }
        return hex.count == n && hex.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    mutating func checkArchive(_ c: PodCheckpoint.Container, at: String) {
        let variant = pod.variant
        let limits = PodCheckpoint.Limits()
        if let id = c.id, variant != .prototype {
            let derived = (variant == .crioManifest ? "containers/" : "container-") + SHA256.hex(Array(id.utf8)) + ".tar"
            if c.location != derived {
                add("pod.archive.name", .error, "archive \"\(c.location)\" is not the name derived from the id, \(derived)",
                    file: Self.manifest, field: at + ".archive")
            }
        }
        guard let member = pod.source.members.first(where: { $0.path == pod.memberPath(c.location) }) else {
            add("pod.archive.missing", .error, "the container's archive is missing", file: c.location, field: at + ".archive")
            return
        }
        guard member.kind == .file else { return }  // pod.file.type said what it is
        if member.size > limits.archiveBytes {
            add("pod.archive.size", .error, "\(member.size) bytes is over the \(limits.archiveBytes)-byte limit", file: c.location)
        }
        if variant == .crioManifest {
            switch hash(member) {
            case .success(let digest):
                if let recorded = c.recordedSHA256, recorded != digest {
                    add("pod.archive.sha256", .error, "the archive's SHA-256 is \(digest), the manifest records \(recorded): the archive was changed or damaged",
                        file: c.location, field: at + ".sha256")
                }
            case .failure(let error):
                add("pod.archive.sha256", .error, "cannot be read to check its digest: \(error.message)", file: c.location, field: at + ".sha256")
            }
        }
        if variant == .containerdManifest { checkLayout(c, member: member) }
    }

    /// SHA-256 of a member's data, streamed.
    func hash(_ member: ArchiveMember, in source: CheckpointSource? = nil) -> Result<String, ArchiveError> {
        var hasher = SHA256()
        do {
            try (source ?? pod.source).stream(member, chunkSize: 1 << 20) { hasher.update($0) }
        } catch let error as ArchiveError {
            return .failure(error)
        } catch {
            return .failure(ArchiveError(.io, source: pod.source.path, member: member.escapedName, message: "\(error)"))
        }
        return .success(hasher.finalizeHex())
    }

    // MARK: - containerd's OCI layouts (B)

    /// containerd's reader of a per-container archive (PODS.md §8, B): entries, the two indexes, the blobs.
    mutating func checkLayout(_ c: PodCheckpoint.Container, member: ArchiveMember) {
        ran("pod.oci.entries", "pod.oci.entry", "pod.oci.index", "pod.oci.descriptors", "pod.oci.blob", "pod.oci.digest")
        let limits = PodCheckpoint.Limits()
        let layout: CheckpointSource
        do {
            layout = try pod.source.openNested(member)
        } catch {
            add("pod.oci.entries", .error, "cannot be read as a tar: \(error.message)", file: c.location)
            return
        }
        let file = c.location
        if layout.members.count > limits.archiveEntries {
            add("pod.oci.entries", .error, "\(layout.members.count) entries: the reader accepts \(limits.archiveEntries)", file: file)
        }
        var seen = Set<[UInt8]>()
        for m in layout.members {
            if m.kind != .file && m.kind != .directory {
                add("pod.oci.entry", .error, "only regular files and directories are accepted", file: file + ": " + m.escapedName)
            }
            let canonical = m.kind == .directory ? m.pathBytes + [0x2f] : m.pathBytes
            if m.rawName != canonical || m.rawName.contains(0) {
                add("pod.oci.entry", .error, "not a canonical relative path (as stored: \(ArchiveMember.escape(m.rawName)))", file: file + ": " + m.escapedName)
            }
            if !seen.insert(m.pathBytes).inserted {
                add("pod.oci.entry", .error, "a duplicate entry", file: file + ": " + m.escapedName)
            }
        }
        guard let image = c.checkpoint?.engine.containerdImage else {
            add("pod.oci.index", .error, "not containerd's checkpoint image", file: file + ": index.json")
            return
        }
        let outer = image.outerIndex
        if outer.schemaVersion != 2 {
            add("pod.oci.index", .error, "schemaVersion \(outer.schemaVersion.map(String.init) ?? "missing"), not 2", file: file + ": index.json", field: "schemaVersion")
        }
        if outer.hasAnnotations { add("pod.oci.index", .error, "index.json has annotations: the reader accepts none", file: file + ": index.json", field: "annotations") }
        if outer.manifestCount != 1 {
            add("pod.oci.index", .error, "\(outer.manifestCount) manifests: the reader accepts exactly 1", file: file + ": index.json", field: "manifests")
        }
        typealias MT = ContainerdCheckpointImage.MediaType
        // Where the checkpoint index is (`index.json/manifests[0]`), and its own digest.
        var indexReference = "index.json"
        if let ref = image.blobs.first?.reference, let cut = ref.range(of: "/manifests[", options: .backwards) {
            indexReference = String(ref[..<cut.lowerBound])
        }
        if let m = layout.members.first(where: { $0.path == "index.json" }), let bytes = try? layout.read(m, maxBytes: 4 << 20),
           let (index, _) = try? StrictJSON.parse(bytes), let digest = index["manifests"]?.items?.first?["digest"]?.text {
            if let blob = layout.members.first(where: { "sha256:" + $0.path.dropFirst("blobs/sha256/".count) == digest && $0.path.hasPrefix("blobs/sha256/") }) {
                if case .success(let actual) = hash(blob, in: layout), "sha256:" + actual != digest {
                    add("pod.oci.digest", .error, "the checkpoint index's SHA-256 is \(actual): it does not match its name and descriptor", file: file + ": " + blob.escapedName)
                }
            }
        }
        let counts: [(String, ClosedRange<Int>)] = [(MT.criuTar, 1...1), (MT.config, 1...1), (MT.options, 1...1), (MT.runtimeOptions, 0...1), (MT.gzipLayer, 1...1)]
        for (type, range) in counts {
            let n = image.blobs.filter { $0.mediaType == type }.count
            if !range.contains(n) {
                add("pod.oci.descriptors", .error, "\(n) descriptor\(n == 1 ? "" : "s") of \(type): the reader accepts \(range.lowerBound == range.upperBound ? "exactly \(range.lowerBound)" : "\(range.lowerBound) or \(range.upperBound)")",
                    file: file + ": " + indexReference)
            }
        }
        for blob in image.blobs {
            let place = file + ": " + blob.reference
            if !counts.contains(where: { $0.0 == blob.mediaType }) {
                add("pod.oci.descriptors", .error, "a descriptor of \(blob.mediaType): not one of containerd's checkpoint media types", file: place)
            }
            let big = blob.mediaType == MT.criuTar || blob.mediaType == MT.gzipLayer
            let bound: UInt64 = big ? limits.archiveBytes : 16 << 20
            if blob.size == 0 || blob.size > bound {
                add("pod.oci.blob", .error, "size \(blob.size): the reader accepts 1 to \(bound) bytes", file: place, field: "size")
            }
            if !blob.annotations.isEmpty && blob.mediaType != MT.gzipLayer {
                add("pod.oci.blob", .error, "annotations on a \(blob.mediaType) descriptor: only the layer may carry annotations", file: place, field: "annotations")
            }
            guard blob.digest.hasPrefix("sha256:"), let m = layout.members.first(where: { $0.path == "blobs/sha256/" + blob.digest.dropFirst(7) }), m.kind == .file else {
                add("pod.oci.digest", .error, "the blob \(blob.digest) is missing", file: place, field: "digest")
                continue
            }
            if m.size != blob.size {
                add("pod.oci.blob", .error, "the blob holds \(m.size) bytes, the descriptor says \(blob.size)", file: place, field: "size")
            }
            switch hash(m, in: layout) {
            case .success(let digest) where "sha256:" + digest != blob.digest:
                add("pod.oci.digest", .error, "the blob's SHA-256 is \(digest): it does not match its name and descriptor", file: file + ": " + m.escapedName)
            case .failure(let error):
                add("pod.oci.digest", .error, "cannot be read: \(error.message)", file: file + ": " + m.escapedName)
            default:
                break
            }
        }
    }
}
