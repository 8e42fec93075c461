import ArgumentParser
import Checkpoint
import CheckpointAnalysis
import CheckpointArchive
import CRIUImages
import Foundation

// The pod checkpoint forms of the commands whose report is more than a column: inspect's tree.

extension Inspect {
    /// `inspect` of a pod checkpoint: the pod's facts, then each container (its CRI config and status,
    /// then its checkpoint as `inspect` shows one).
    func inspectPod(_ pod: PodCheckpoint, _ targets: Targets) throws {
        var processesOf: [String: [CheckpointProcess]] = [:]
        for t in targets.items {
            processesOf[t.container ?? ""] = selection.filter(t.checkpoint, descendants: true)
        }
        switch output.format {
        case .json:
            var documents: [String: JSONValue] = [:]
            for t in targets.items {
                let processes = processesOf[t.container ?? ""] ?? []
                let strings = t.strings(nil)
                documents[t.container ?? ""] = Report.inspect(t.checkpoint, processes: processes, extraFor: { p in Self.stringsJSON(strings[p.pid]) })
            }
            Output.write(json: PodJSON.inspect(pod, selected: targets.selected, documents: documents))
        case .text:
            var root = PodText.podNode(pod, style: output.style)
            var list = TreeNode("Containers (\(targets.selected.count) of \(pod.containers.count))")
            for c in pod.containers where targets.selected.contains(c.name) {
                var node = PodText.containerNode(c, style: output.style)
                if let checkpoint = c.checkpoint {
                    let wantsStrings = all || psTreeCmd || psTreeEnv
                    let strings = wantsStrings ? Target(container: c.name, checkpoint: checkpoint).strings(nil, environment: all || psTreeEnv) : [:]
                    var tree = tree(checkpoint, processes: processesOf[c.name] ?? [], strings: strings)
                    tree.label = "Checkpoint"
                    node.add(tree)
                }
                list.add(node)
            }
            root.add(list)
            if !output.quiet {
                for warning in pod.warnings { root.add(output.style.yellow("Warning: ") + Terminal.safe(RawPath.display(warning))) }
            }
            Output.write(root.render())
        }
        try targets.finish()
    }
}

/// One side of `diff`: a container checkpoint or a pod checkpoint, opened in one pass.
enum Comparand {
    case container(Checkpoint)
    case pod(PodCheckpoint)

    static func open(_ path: String, previous: String?, progress: Progress, nested: Bool) throws -> Comparand {
        let source = try CheckpointSource.open(path: RawPath.resolve(path), options: .init(progress: progress.reporter))
        if PodCheckpoint.isPodCheckpoint(source) {
            if previous != nil {
                Output.error("--previous: \(path) is a pod checkpoint: its containers carry their own parent images")
                throw ExitCode(2)
            }
            return .pod(try PodCheckpoint.open(source: source, options: .init(checkpoint: .init(source: source.options, listNestedArchives: nested))))
        }
        return .container(try Checkpoint.open(source: source, options: .init(previous: previous.map(RawPath.resolve), source: source.options,
                                                                             listNestedArchives: nested)))
    }
}

extension PodSelection {
    /// How `diff` compares `side` with `other`: two pods container by container; a pod against a
    /// container checkpoint through the one container `--container` names.
    func pair(_ side: Comparand, _ other: Comparand) throws -> Comparand {
        guard case .pod(let pod) = side else { return side }
        if case .pod = other { return side }
        guard container.count == 1, let c = pod.container(named: container[0]) else {
            Output.error("--container: comparing the pod checkpoint \(RawPath.display(pod.path)) with a container checkpoint needs one container "
                         + "(containers: \(pod.containers.map(\.name).joined(separator: ", ")))")
            throw ExitCode(2)
        }
        guard let checkpoint = c.checkpoint else {
            Output.error("\(RawPath.display(pod.path)): container \(c.name): \(c.error?.description ?? "cannot be opened")")
            throw ExitCode(2)
        }
        return .container(checkpoint)
    }
}

extension Diff {
    static let podSchema = "ckpt-inspect/diff-pod/v1"

    /// `diff` of two pod checkpoints: containers paired by name, those only in one side listed, each
    /// pair compared as two container checkpoints are.
    func diffPods(_ a: Comparand, _ b: Comparand, options: DiffOptions) throws {
        guard case .pod(let podA) = a, case .pod(let podB) = b else { throw ExitCode(2) }
        if html {
            Output.error("--html: draws two container checkpoints; name one container of each pod with --container")
            throw ExitCode(2)
        }
        for name in pods.container where podA.container(named: name) == nil && podB.container(named: name) == nil {
            Output.error("--container \(name): in neither pod checkpoint")
            throw ExitCode(2)
        }
        let wanted = { (name: String) in pods.container.isEmpty || pods.container.contains(name) }
        let namesA = podA.containers.map(\.name).filter(wanted), namesB = podB.containers.map(\.name).filter(wanted)
        let removed = namesA.filter { !namesB.contains($0) }, added = namesB.filter { !namesA.contains($0) }
        var pairs: [(name: String, result: CheckpointDiff?, error: String?)] = []
        var trouble = false
        for name in namesA where namesB.contains(name) {
            guard let ca = podA.container(named: name)?.checkpoint, let cb = podB.container(named: name)?.checkpoint else {
                let error = [podA, podB].compactMap { $0.container(named: name)?.error?.description }.first ?? "cannot be opened"
                Output.error("container \(name): \(RawPath.display(error))")
                pairs.append((name, nil, error))
                trouble = true
                continue
            }
            let comparing = diagnostics.progress("comparing \(name)", unit: .items("pages"), json: format == .json)
            defer { comparing.finish() }
            do {
                var result = try diff(ca, cb, options: options, progress: comparing.reporter)
                result.a.path = RawPath.display(result.a.path)
                result.b.path = RawPath.display(result.b.path)
                pairs.append((name, result, nil))
            } catch {
                Output.error("container \(name): \(error.description)")
                pairs.append((name, nil, error.description))
                trouble = true
            }
        }
        let equal = added.isEmpty && removed.isEmpty && pairs.allSatisfy { $0.result?.equal ?? false }
        if format == .json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            encoder.keyEncodingStrategy = .convertToSnakeCase
            var containers: [JSONValue] = []
            for pair in pairs {
                var document = JSONValue.null
                if let result = pair.result, let data = try? encoder.encode(result), let parsed = try? StrictJSON.parse([UInt8](data)) {
                    document = parsed.value
                }
                containers.append(.object([("name", .string(pair.name)), ("equal", pair.result.map { .bool($0.equal) } ?? .null),
                                           ("diff", document), ("error", pair.error.map { .string(RawPath.display($0)) } ?? .null)]))
            }
            Output.write(JSONValue.object([
                ("schema", .string(Self.podSchema)), ("a", PodJSON.pod(podA)), ("b", PodJSON.pod(podB)),
                ("path_a", .string(RawPath.display(podA.path))), ("path_b", .string(RawPath.display(podB.path))),
                ("containers_added", .array(added.map(JSONValue.string))), ("containers_removed", .array(removed.map(JSONValue.string))),
                ("containers", .array(containers)), ("equal", .bool(equal)),
            ]).serialized() + "\n")
        } else {
            var out = "--- pod \(PodText.label(podA))  \(Terminal.safe(RawPath.display(podA.path)))  (\(podA.variant.rawValue), \(podA.containers.count) container\(podA.containers.count == 1 ? "" : "s"))\n"
            out += "+++ pod \(PodText.label(podB))  \(Terminal.safe(RawPath.display(podB.path)))  (\(podB.variant.rawValue), \(podB.containers.count) container\(podB.containers.count == 1 ? "" : "s"))\n"
            out += "\n== containers ==\n"
            for name in removed { out += "- \(Terminal.safe(name))\n" }
            for name in added { out += "+ \(Terminal.safe(name))\n" }
            for pair in pairs {
                out += "\(pair.result?.equal == true ? "=" : "~") \(Terminal.safe(pair.name))\(pair.result == nil ? "  (not compared)" : "")\n"
            }
            out += "containers: \(added.count) added, \(removed.count) removed, \(pairs.filter { $0.result?.equal == false }.count) changed, \(pairs.filter { $0.result?.equal == true }.count) equal\n"
            for pair in pairs {
                guard let result = pair.result else { continue }
                out += "\n=== container \(Terminal.safe(pair.name)) ===\n"
                out += DiffText(result: result, showUnchanged: showUnchanged, showWarnings: !diagnostics.quiet, style: report.style).render()
            }
            out += "\n" + (equal ? "no differences" : "pod checkpoints differ") + "\n"
            Output.write(out)
        }
        if trouble { throw ExitCode(2) }
        if !equal { throw ExitCode(1) }
    }
}

extension HTMLReportCommand {
    /// `report` of a pod checkpoint: the pod (its sandbox config, containers, the pod checks' findings),
    /// then each container's report as for a container checkpoint.
    func reportPod(_ pod: PodCheckpoint, _ targets: Targets) throws {
        let verification = PodVerifier.verify(pod)
        let provenance = HTMLReport.Provenance(toolVersion: CkptInspect.toolVersion, analysed: Date(),
                                               inputs: path == "-" ? [("stdin", nil)] : InputDigests.inputs(RawPath.resolve(path), shown: path))
        let html = PodHTML.render(pod, selected: targets.selected, verification: verification, provenance: provenance, showSecrets: showSecrets)
        try SafeOutput.write(Data(html.utf8), to: output, force: force)
        Output.write("wrote \(output) (\(Size.text(UInt64(html.utf8.count))))\n")
        try targets.finish()
    }
}

/// The HTML page of a pod checkpoint.
enum PodHTML {
    static func escape(_ s: String) -> String { HTMLReport.escape(s) }

    static func render(_ pod: PodCheckpoint, selected: [String], verification: PodVerificationReport, provenance: HTMLReport.Provenance, showSecrets: Bool = false) -> String {
        let p = pod.pod
        let title = "Pod checkpoint report: " + PodText.label(pod)
        var h = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>\(escape(title))</title><style>\(HTMLReport.css)"
        h += ".pod-container{border-left:4px solid #0969da;padding-left:12px;margin-top:24px}</style></head><body>"
        h += "<header><h1>\(escape(title))</h1><p>\(escape(RawPath.display(pod.path))) · \(escape(pod.variant.rawValue)), as written by \(escape(pod.variant.writer)) · " + HTMLReport.byline(provenance) + "</p></header><main>"
        h += HTMLReport.evidence(provenance)
        h += "<h2 id=\"pod\">Pod</h2><table>"
        func row(_ k: String, _ v: String?) { if let v, !v.isEmpty { h += "<tr><th>\(escape(k))</th><td>\(escape(v))</td></tr>" } }
        row("Name", p.name); row("Namespace", p.namespace); row("UID", p.uid); row("Sandbox", p.sandboxID)
        row("Runtime", p.runtime + (p.runtimeHandler.map { " (handler \($0))" } ?? "")); row("Layout", pod.variant.rawValue)
        if let c = p.config {
            row("Hostname", c.hostname)
            row("DNS", (c.dnsServers + c.dnsSearches.map { "search " + $0 } + c.dnsOptions.map { "option " + $0 }).joined(separator: ", "))
            row("Ports", c.portMappings.map { "\($0.containerPort)/\($0.proto) → host \($0.hostIP.isEmpty ? "" : $0.hostIP + ":")\($0.hostPort)" }.joined(separator: ", "))
            row("Labels", c.labels.keys.sorted().map { "\($0)=\(c.labels[$0]!)" }.joined(separator: ", "))
            row("Annotations", c.annotations.keys.sorted().map { "\($0)=\(c.annotations[$0]!)" }.joined(separator: ", "))
            row("Security", c.securityContext.map(PodText.security))
            row("Cgroup parent", c.cgroupParent)
        }
        h += "</table>"
        h += "<h2 id=\"containers\">Containers</h2><table><tr><th>Name</th><th>ID</th><th>Image</th><th>Processes</th><th>Status</th><th>In the pod</th></tr>"
        for c in pod.containers where selected.contains(c.name) {
            h += "<tr><td><a href=\"#container-\(escape(c.name))\">\(escape(c.name))</a></td><td class=\"mono\">\(escape(String((c.id ?? "-").prefix(12))))</td>"
            h += "<td>\(escape(c.config?.image ?? c.checkpoint?.engine.imageName ?? "-"))</td><td>\(c.checkpoint.map { String($0.processes.count) } ?? "-")</td>"
            h += "<td>\(escape(c.error.map { "not readable: " + $0.message } ?? c.status?.state ?? "-"))</td><td class=\"mono\">\(escape(c.location))</td></tr>"
        }
        h += "</table>"
        h += "<h2 id=\"pod-findings\">Pod checks</h2>"
        if verification.findings.isEmpty {
            h += "<p>No findings: the manifest, configs, archive names\(pod.variant == .crioManifest ? ", digests" : "") and layout are what the writer's reader accepts.</p>"
        } else {
            h += "<table><tr><th>Severity</th><th>Check</th><th>Where</th><th>Message</th></tr>"
            for f in verification.findings {
                h += "<tr><td class=\"sev-\(f.severity.rawValue)\">\(f.severity.rawValue)</td><td><code>\(escape(f.id))</code></td><td class=\"mono\">\(escape(f.location ?? ""))</td><td>\(escape(f.message))</td></tr>"
            }
            h += "</table>"
        }
        for c in pod.containers where selected.contains(c.name) {
            h += "<section class=\"pod-container\"><h2 id=\"container-\(escape(c.name))\">Container \(escape(c.name))</h2>"
            if let cfg = c.config {
                h += "<table>"
                row("Image", cfg.image); row("Command", (cfg.command + cfg.args).joined(separator: " "))
                row("Environment", cfg.environment.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))
                row("Mounts", cfg.mounts.map { "\($0.containerPath) ← \($0.hostPath)" }.joined(separator: ", "))
                if let r = cfg.resources {
                    row("Resources", [r.cpuQuota.map { "cpu quota \($0)" }, r.cpuShares.map { "shares \($0)" }, r.memoryLimit.map { "memory \($0) bytes" }].compactMap { $0 }.joined(separator: ", "))
                }
                h += "</table>"
            }
            if let checkpoint = c.checkpoint {
                let findings = verification.containers.first { $0.name == c.name }?.report?.findings.map { ($0.severity.rawValue, $0.id, $0.message) } ?? []
                let strings = Target(container: c.name, checkpoint: checkpoint).strings(nil, environment: false)
                // The pod's page names its inputs once, at the top.
                let inner = HTMLReport.Provenance(toolVersion: provenance.toolVersion, analysed: provenance.analysed, inputs: [])
                let triage = try? Triage.run(checkpoint)
                h += embedded(HTMLReport.render(checkpoint, findings: findings, strings: strings, provenance: inner, triage: triage, showSecrets: showSecrets), prefix: "c-" + String(c.index))
            } else if let error = c.error {
                h += "<p class=\"sev-error\">\(escape(RawPath.display(error.description)))</p>"
            }
            h += "</section>"
        }
        for w in pod.warnings { h += "<p class=\"sev-warning\">Warning: \(escape(RawPath.display(w)))</p>" }
        return h + "</main></body></html>\n"
    }

    /// The body of a container's page, its headings one level down and its ids made unique.
    static func embedded(_ page: String, prefix: String) -> String {
        guard let start = page.range(of: "<main>"), let end = page.range(of: "</main>", options: .backwards) else { return "" }
        var body = String(page[start.upperBound..<end.lowerBound])
        for level in [5, 4, 3, 2] {
            body = body.replacingOccurrences(of: "<h\(level)", with: "<h\(level + 1)").replacingOccurrences(of: "</h\(level)>", with: "</h\(level + 1)>")
        }
        return body.replacingOccurrences(of: " id=\"", with: " id=\"\(prefix)-")
    }
}

extension Verify {
    /// `verify` of a pod checkpoint: the pod's checks, then each container's report.
    func verifyPod(_ r: PodVerificationReport) throws {
        switch format {
        case .json:
            let errors = r.findings.filter { $0.severity == .error }.count + r.containers.reduce(0) { $0 + ($1.report?.errors.count ?? 0) }
            let warnings = r.findings.filter { $0.severity == .warning }.count + r.containers.reduce(0) { $0 + ($1.report?.warnings.count ?? 0) }
            Output.write(JSONValue.object([
                ("schema", .string(PodVerificationReport.schemaVersion)),
                ("path", .string(RawPath.display(r.path))),
                ("variant", r.variant.map { .string($0.rawValue) } ?? .null),
                ("clean", .bool(r.isClean)),
                ("summary", .object([("errors", .int(errors)), ("warnings", .int(warnings)), ("containers", .int(r.containers.count))])),
                ("findings", .array(r.findings.map(VerifyJSON.finding))),
                ("checks", .array(r.checks.map(JSONValue.string))),
                ("containers", .array(r.containers.map { c in
                    .object([("name", .string(c.name)), ("location", .string(c.location)), ("report", c.report.map(VerifyJSON.render) ?? .null)])
                })),
            ]).serialized() + "\n")
        case .text:
            var out = "verify pod \(Terminal.safe(RawPath.display(r.path)))" + (r.variant.map { "  (\($0.rawValue), \($0.writer))" } ?? "") + "\n"
            for (title, severity) in [("Errors", Severity.error), ("Warnings", .warning), ("Info", .info)] {
                let group = r.findings.filter { $0.severity == severity }
                guard !group.isEmpty else { continue }
                out += "\n\(title) (\(group.count))\n"
                for f in group {
                    out += "  \(f.id)" + (f.location.map { "  " + Terminal.safe($0) } ?? "") + "\n      \(Terminal.safe(f.message))\n"
                }
            }
            let e = r.findings.filter { $0.severity == .error }.count
            out += "\npod: \(e) error\(e == 1 ? "" : "s"), \(r.findings.count - e) other finding\(r.findings.count - e == 1 ? "" : "s"); \(r.checks.count) checks ran.\n"
            for c in r.containers {
                out += "\n=== container \(Terminal.safe(c.name)) (\(Terminal.safe(c.location))) ===\n"
                out += c.report.map { VerifyText.render($0, style: output.style) } ?? "not verified: the container could not be opened (see pod.container.open)\n"
            }
            out += "\n" + (r.isClean ? "No errors in the pod or its containers.\n" : "A restore of the pod would fail.\n")
            Output.write(out)
        }
        if !r.isClean { throw ExitCode.badData }
    }
}
