import Checkpoint
import CheckpointAnalysis
import CheckpointArchive
import CRIUImages
import Foundation

/// Builds a self-contained HTML page (no network, no external files) about one checkpoint.
enum HTMLReport {
    /// HTML-escapes text after escaping control characters (a crafted name cannot break the page).
    static func escape(_ s: String) -> String { escapeMarkup(Terminal.safe(s)) }

    /// HTML-escapes text that is already safe for a terminal (keeps its newlines).
    static func escapeMarkup(_ s: String) -> String {
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static let css = """
    body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;color:#1f2328;background:#fff}
    header{background:#24292f;color:#fff;padding:16px 24px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;color:#c9d1d9}
    main{padding:16px 24px;max-width:1400px}h2{border-bottom:1px solid #d0d7de;padding-bottom:4px;margin-top:28px}
    table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top;font-size:13px}
    th{background:#f6f8fa}code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}
    ul.tree{list-style:none;padding-left:18px;margin:4px 0}ul.tree li{margin:2px 0}.pid{color:#57606a}.comm{font-weight:600}
    .legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}
    .dumped{fill:#2da44e;background:#2da44e}.parent{fill:#0969da;background:#0969da}.hole{fill:#d0d7de;background:#d0d7de}.lazy{fill:#bf8700;background:#bf8700}
    .sev-error{color:#cf222e;font-weight:600}.sev-critical{color:#cf222e;font-weight:600}.sev-warning{color:#9a6700}.sev-info{color:#57606a}
    svg text{font:11px ui-monospace,monospace;fill:#1f2328}
    """

    /// A row's label: address, permissions, and the backing file's name or the kind; the size.
    static func vmaLabel(_ space: AddressSpace, _ i: Int) -> String {
        let vma = space.vmas[i]
        var what = space.backingFiles[i].map { ($0 as NSString).lastPathComponent } ?? space.kind(of: i).rawValue
        if what.count > 26 { what = String(what.prefix(25)) + "…" }
        return String(format: "%012llx %@ ", vma.start, vma.permissions) + what + " " + Size.text(vma.size)
    }

    /// One process's memory map: a row per VMA, labelled with its file (or kind) and size, each page
    /// coloured by where its data is. Bar lengths grow with the logarithm of the VMA's size, so a
    /// one-page VMA is visible beside a gigabyte heap; within a bar, pages are to scale.
    static func memoryMap(_ space: AddressSpace) -> String {
        let width = 640.0, rowHeight = 16.0, labelWidth = 410.0
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(labelWidth + width + 10))\" height=\"\(Int(Double(space.vmas.count) * (rowHeight + 3) + 6))\" role=\"img\" aria-label=\"memory map of pid \(space.pid)\">"
        let page = Double(max(space.pageSize, 1))
        func scale(_ size: UInt64) -> Double { log2(1 + Double(size) / page) }
        let largest = max(scale(space.vmas.map(\.size).max() ?? 1), 1)
        for (i, vma) in space.vmas.enumerated() {
            let y = 3 + Double(i) * (rowHeight + 3)
            let kind = space.kind(of: i).rawValue
            svg += "<text x=\"0\" y=\"\(y + 12)\">\(escape(vmaLabel(space, i)))</text>"
            let barWidth = max(4, width * scale(vma.size) / largest)
            let x0 = labelWidth
            svg += "<rect class=\"hole\" x=\"\(x0)\" y=\"\(y)\" width=\"\(barWidth)\" height=\"\(rowHeight)\"><title>\(escape(String(format: "%llx-%llx", vma.start, vma.end) + " " + kind + " " + (space.backingFiles[i] ?? "") + " " + Size.text(vma.size)))</title></rect>"
            for piece in space.pieces(address: vma.start, length: vma.size) {
                let cls: String
                switch piece.location {
                case .file(let file, _): cls = file.set > 0 ? "parent" : "dumped"
                case .hole(.lazy): cls = "lazy"
                case .hole: continue
                }
                let x = x0 + barWidth * Double(piece.address - vma.start) / Double(max(vma.size, 1))
                let w = max(1, barWidth * Double(piece.length) / Double(max(vma.size, 1)))
                svg += "<rect class=\"\(cls)\" x=\"\(x)\" y=\"\(y)\" width=\"\(w)\" height=\"\(rowHeight)\"/>"
            }
        }
        return svg + "</svg>"
    }

    /// The triage section: every finding with its evidence, critical first.
    static func triage(_ r: TriageReport) -> String {
        var h = "<h2 id=\"triage\">Triage</h2>"
        let counts = TriageSeverity.allCases.map { s in "\(r.findings.filter { $0.severity == s }.count) \(s.rawValue)" }
        h += "<p>\(escape(counts.joined(separator: ", "))); \(r.checks.count) checks ran (<code>ckpt-inspect triage</code>).</p>"
        if !r.findings.isEmpty {
            h += "<table><tr><th>Severity</th><th>Check</th><th>Finding</th><th>Evidence</th></tr>"
            for f in r.findings {
                var evidence = escape(TriageText.evidenceLine(f.evidence))
                if let bytes = f.evidence.firstBytes, !bytes.isEmpty {
                    evidence += "<br>first bytes: " + escape(bytes.prefix(16).map { String(format: "%02x", $0) }.joined(separator: " "))
                }
                h += "<tr><td class=\"sev-\(escape(f.severity.rawValue))\">\(escape(f.severity.rawValue))</td><td><code>\(escape(f.id))</code></td><td>\(escape(f.message))</td><td class=\"mono\">\(evidence)</td></tr>"
            }
            h += "</table>"
        }
        for note in r.incomplete { h += "<p class=\"sev-info\">Not checked: \(escape(note))</p>" }
        return h
    }

    /// Who made the page and from what: the tool's version, when, and the SHA-256 of every input file.
    struct Provenance {
        var toolVersion: String
        var analysed: Date
        var inputs: [(name: String, sha256: String?)]
    }

    /// The page; `strings` holds each process's argv and environ (``Target/strings(_:environment:)``).
    /// `ckpt-inspect 0.1.0 · analysed 2026-12-02T14:25:54Z`, escaped.
    static func byline(_ p: Provenance) -> String {
        "ckpt-inspect \(escape(p.toolVersion)) · analysed \(escape(ISO8601DateFormatter().string(from: p.analysed)))"
    }

    /// The Evidence section: when, by what, and the SHA-256 of every input file (none for a page
    /// embedded in another, which names them).
    static func evidence(_ p: Provenance) -> String {
        guard !p.inputs.isEmpty else { return "" }
        let when = ISO8601DateFormatter().string(from: p.analysed)
        var h = "<h2 id=\"evidence\">Evidence</h2><p>Analysed \(escape(when)) by ckpt-inspect \(escape(p.toolVersion)), reading these files (nothing was modified):</p>"
        h += "<table><tr><th>File</th><th>SHA-256</th></tr>"
        for input in p.inputs {
            h += "<tr><td class=\"mono\">\(escape(input.name))</td><td class=\"mono\">\(escape(input.sha256 ?? "not hashed: could not be read again (stdin)"))</td></tr>"
        }
        return h + "</table>"
    }

    static func render(_ c: Checkpoint, findings: [(severity: String, id: String, message: String)], strings: [UInt32: ProcessStrings],
                       provenance: Provenance, triage: TriageReport? = nil, showSecrets: Bool = false) -> String {
        let e = c.engine
        let title = escape(e.containerName ?? RawPath.display(c.path))
        var h = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Checkpoint report: \(title)</title><style>\(css)</style></head><body>"
        h += "<header><h1>Checkpoint report: \(title)</h1><p>\(escape(RawPath.display(c.path))) · \(byline(provenance))</p></header><main>"
        h += evidence(provenance)
        h += "<h2 id=\"summary\">Summary</h2><table>"
        func row(_ k: String, _ v: String?) { if let v { h += "<tr><th>\(escape(k))</th><td>\(escape(v))</td></tr>" } }
        row("Container", e.containerName); row("ID", e.containerID); row("Image", e.imageName); row("Engine", e.engine.rawValue)
        row("Runtime", e.runtime); row("Created", e.created); row("Checkpointed", e.checkpointed)
        if !e.createCommand.isEmpty { row("Create command", Describe.shellCommand(e.createCommand)) }
        for v in e.namedVolumes { row("Volume", "\(v.name) -> \(v.destination)") }
        for option in Describe.exportOptions(c) { row("Exported with", option + " (not in the archive: " + (option == "--ignore-rootfs" ? "the root file system changes" : "the named volumes") + ")") }
        row("CRIU", c.facts.criuVersion); row("Architecture", c.facts.architecture); row("Page size", String(c.facts.pageSize))
        row("Processes", "\(plural(c.processes.count, "process")) (\(plural(c.threadCount, "thread")))"); row("Archive size", Size.text(c.sizes.total))
        row("Memory pages", Size.text(c.sizes.pages)); row("Root FS diff", Size.text(c.sizes.rootfsDiff))
        if !c.facts.parentChain.isEmpty { row("Parent images", c.facts.parentChain.map(RawPath.display).joined(separator: " → ")) }
        for missing in c.missingParents { row("Missing parent", RawPath.display(missing.description)) }
        if let damage = c.damage { row("Damaged archive", RawPath.display(damage.description)) }
        h += "</table>"

        if let triage { h += Self.triage(triage) }

        h += "<h2 id=\"processes\">Process tree</h2>"
        let pids = Set(c.processes.map(\.pid))
        func node(_ p: CheckpointProcess) -> String {
            var s = "<li><span class=\"pid\">[\(p.pid)]</span> <span class=\"comm\">\(escape(p.command))</span>"
            if let argv = strings[p.pid]?.commandLine { s += " <code>\(escape(argv.joined(separator: " ")))</code>" }
            else if let hole = strings[p.pid]?.commandLineHole { s += " <em>command line \(escape(Inspect.missing(hole)))</em>" }
            if p.state != .alive { s += " (\(escape(p.state.description)))" }
            if p.threads.count > 1 { s += " · \(p.threads.count) threads" }
            if let note = Describe.parentNote(p, in: c, shown: pids) { s += " <em>(\(escape(note)))</em>" }
            let children = c.processes.filter { $0.ppid == p.pid && $0.pid != p.pid }
            if !children.isEmpty { s += "<ul class=\"tree\">" + children.map(node).joined() + "</ul>" }
            return s + "</li>"
        }
        h += "<ul class=\"tree\">" + c.processes.filter { !pids.contains($0.ppid) || $0.ppid == $0.pid }.map(node).joined() + "</ul>"

        h += "<h2 id=\"environment\">Environment</h2>"
        if !e.processEnv.isEmpty {
            h += "<h3>Of the container's process, as the engine started it (spec.dump)</h3><table>"
            for v in e.processEnv { h += "<tr><td class=\"mono\">\(escape(Triage.maskingCredentials(v, showSecrets: showSecrets)))</td></tr>" }
            h += "</table>"
        }
        for p in c.processes {
            h += "<h3>[\(p.pid)] \(escape(p.command)), read from its memory</h3>"
            if let env = strings[p.pid]?.environment {
                if env.isEmpty { h += "<p>Empty: the process has no environment variables.</p>" } else {
                    // Values that look like credentials are masked (env.credential's rules) unless --show-secrets.
                    h += "<table>" + env.map { "<tr><td class=\"mono\">\(escape(Triage.maskingCredentials($0, showSecrets: showSecrets)))</td></tr>" }.joined() + "</table>"
                }
            } else {
                h += "<p>Not shown: the pages of its environment are \(escape(Inspect.missing(strings[p.pid]?.environmentHole)))</p>"
            }
        }

        h += "<h2 id=\"namespaces\">Namespaces</h2><table><tr><th>PID</th><th>Namespaces</th></tr>"
        for p in c.processes {
            let list = Describe.namespaces(p, in: c)
            h += "<tr><td>\(p.pid)</td><td>\(escape(list.isEmpty ? "not recorded (no ids image)" : Describe.namespaceText(list)))</td></tr>"
        }
        h += "</table>"
        for id in c.networkNamespaces.keys.sorted() {
            guard let n = c.networkNamespaces[id] else { continue }
            let names = Describe.interfaceNames(n), conf = n.configuration
            h += "<h3>Network namespace \(id)</h3>"
            if n.isExternal {
                h += "<p>External (\(escape(n.namespace?.externalKey?.description ?? ""))): the engine created it; its configuration is not in the checkpoint.</p>"
                continue
            }
            let lines = conf.addresses.map { "address " + Describe.addressText($0, names: names) } + conf.routes.map { "route " + Describe.routeText($0, names: names) }
                + conf.rules.map { "rule " + Describe.ruleText($0) } + Describe.ruleLines(conf.iptables).map { "iptables " + $0 }
                + Describe.ruleLines(conf.ip6tables).map { "ip6tables " + $0 } + Describe.ruleLines(conf.nftables).map { "nftables " + $0 }
            h += lines.isEmpty ? "<p>No addresses, routes or rules in its images.</p>" : "<table>" + lines.map { "<tr><td class=\"mono\">\(escape($0))</td></tr>" }.joined() + "</table>"
        }

        h += "<h2 id=\"memory\">Memory maps</h2><p class=\"legend\">One row per VMA, labelled with its backing file (or kind) and size. Bar lengths grow with the logarithm of the size, so small regions stay visible; within a bar, pages are to scale:<span class=\"dumped\"></span>dumped<span class=\"parent\"></span>in a parent image set<span class=\"lazy\"></span>lazy<span class=\"hole\"></span>not dumped</p>"
        for p in c.processes {
            guard let space = (try? c.addressSpace(p.pid)) ?? nil else {
                h += "<h3>[\(p.pid)] \(escape(p.command))</h3><p>No memory map: the process's mm or pagemap image is missing or unreadable.</p>"
                continue
            }
            h += "<h3>[\(p.pid)] \(escape(p.command))</h3>" + memoryMap(space)
        }

        h += "<h2 id=\"files\">Open files and sockets</h2>"
        let files = c.processes.flatMap { p in p.files.map { (p, $0) } }
        if files.isEmpty {
            h += "<p>No open files: the checkpoint records no file descriptors for its processes.</p>"
        } else {
            h += "<table><tr><th>PID</th><th>FD</th><th>Kind</th><th>Target</th><th>Details</th></tr>"
            for (p, f) in files {
                h += "<tr><td>\(p.pid)</td><td>\(f.fd)</td><td>\(escape(f.kind))</td><td class=\"mono\">\(escape(f.target))</td><td class=\"mono\">\(escape(f.details.map { "\($0.key)=\($0.value)" }.joined(separator: " ")))</td></tr>"
            }
            h += "</table>"
        }

        h += "<h2 id=\"mounts\">Mounts</h2>"
        if c.mounts.isEmpty {
            h += "<p>None in the checkpoint: no mount namespace of its own was dumped (the processes used the host's).</p>"
        } else {
            h += "<table><tr><th>NS</th><th>Mount point</th><th>Type</th><th>Source</th><th>External</th></tr>"
            for ns in c.mounts.keys.sorted() {
                for m in (c.mounts[ns] ?? []).sorted(by: { ($0.mountPoint.description, $0.id) < ($1.mountPoint.description, $1.id) }) {
                    h += "<tr><td>\(ns)</td><td class=\"mono\">\(escape(m.mountPoint.description))</td><td>\(escape(m.filesystemName?.description ?? "\(m.filesystemType)"))</td><td class=\"mono\">\(escape(m.source.description))</td><td class=\"mono\">\(escape(m.externalKey?.description ?? ""))</td></tr>"
                }
            }
            h += "</table>"
        }

        h += "<h2 id=\"findings\">Findings</h2>"
        if findings.isEmpty {
            h += "<p>No findings: verify found nothing to report.</p>"
        } else {
            h += "<table><tr><th>Severity</th><th>Check</th><th>Message</th></tr>"
            for f in findings {
                h += "<tr><td class=\"sev-\(escape(f.severity))\">\(escape(f.severity))</td><td><code>\(escape(f.id))</code></td><td>\(escape(f.message))</td></tr>"
            }
            h += "</table>"
        }
        for w in c.warnings { h += "<p class=\"sev-warning\">Warning: \(escape(RawPath.display(w)))</p>" }
        h += "</main></body></html>\n"
        return h
    }
}
