import ArgumentParser
import CheckpointAnalysis
import CRIUImages
import Foundation

struct Host: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record what a restore on this machine depends on: a node file for `verify --target`.",
        discussion: """
        Architecture, page size, kernel and the kernel features CRIU needs, the CPU's CPUID feature words and XSAVE \
        features (read with the cpuid instruction), CRIU and its plugins, cgroup version and controllers, security \
        modules and AppArmor profiles, container engines and the images they hold, listening ports of this network \
        namespace, GPUs. Read-only: nothing is written or changed, and no privilege is needed; facts that need one \
        (AppArmor profiles, rootful image stores) are null with the reason. \
        Save the JSON on each node (`ckpt-inspect host --format json > node.json`), then compare a checkpoint with \
        the nodes: `ckpt-inspect verify CHECKPOINT --target node-a.json --target node-b.json`. Exit code: 0.
        """)

    @Option(name: .long, help: "The node's name in the file (default: its host name), e.g. the Kubernetes node name.") var name: String?
    @OptionGroup var output: OutputOptions

    var format: OutputFormat { output.format }

    func run() throws {
        var facts = NodeFacts.capture(options: .init(toolVersion: CkptInspect.toolVersion))
        if let name { facts.hostname = name }
        switch format {
        case .json: Output.write(json: facts.json)
        case .text: Output.write(HostText.render(facts, style: output.style))
        }
    }
}

/// Text of `host`.
enum HostText {
    static func plural(_ n: Int, _ word: String, _ plural: String? = nil) -> String { "\(n) \(n == 1 ? word : plural ?? word + "s")" }

    static func render(_ f: NodeFacts, style: Style = Style(.never)) -> String {
        func unknown(_ key: String) -> String { "unknown: " + (f.reason(key) ?? "not recorded") }
        var rows: [[String]] = []
        rows.append(["architecture", [f.architecture, f.pageSize.map { "\($0)-byte pages" }].compactMap { $0 }.joined(separator: ", ")])
        rows.append(["kernel", (f.kernelRelease ?? "unknown") + (f.kernelVersion.map { " (\($0))" } ?? "")])
        if let c = f.cpu {
            var parts = [[c.vendor, c.modelName].compactMap { $0 }.joined(separator: " ")]
            if let family = c.family { parts.append("family \(family)\(c.model.map { " model \($0)" } ?? "")\(c.stepping.map { " stepping \($0)" } ?? "")") }
            parts.append(c.capabilityWords.map { "\($0.count) CPUID words (\(c.source ?? "?"))" } ?? unknown("cpu.capability_words"))
            if let mask = c.xfeaturesMask {
                parts.append("XSAVE \(CPUFeatures.componentNames(mask).joined(separator: ", ")) (\(CPUFeatures.hex(mask)))"
                             + (c.xsaveSize.map { ", \($0) bytes\(c.xsaveSizeMax.map { " (\($0) max)" } ?? "")" } ?? ""))
            }
            rows.append(["CPU", parts.joined(separator: "; ")])
        } else {
            rows.append(["CPU", unknown("cpu")])
        }
        if let c = f.criu {
            rows.append(["CRIU", c.installed ? "\(c.version ?? "unknown version") (\(c.path ?? "criu"))" + (c.gitID.map { ", git \($0)" } ?? "")
                         + (c.pluginDirectory.map { "; plugins in \($0): \(c.plugins.isEmpty ? "none" : c.plugins.joined(separator: ", "))" } ?? "")
                         : "not installed"])
        } else {
            rows.append(["CRIU", unknown("criu")])
        }
        if let g = f.cgroups {
            var text = g.version
            if !g.v1Controllers.isEmpty { text += "; v1 " + g.v1Controllers.joined(separator: ", ") }
            if let mount = g.v2Mount {
                text += "; v2 at \(mount)" + (g.v2Controllers.map { " (\($0.isEmpty ? "no controllers" : $0.joined(separator: ", ")))" } ?? " (controllers \(unknown("cgroups.v2_controllers")))")
            }
            rows.append(["cgroups", text])
        } else {
            rows.append(["cgroups", unknown("cgroups")])
        }
        if let l = f.lsm {
            var text = "CRIU would use \(l.criuType); active " + (l.active.map { $0.joined(separator: ",") } ?? unknown("lsm.active"))
            text += "; AppArmor " + (l.apparmorEnabled.map { $0 ? "enabled" : "off" } ?? "unknown")
            if let profiles = l.apparmorProfiles { text += " (\(plural(profiles.count, "profile")))" }
            text += "; SELinux " + (l.selinuxEnabled.map { $0 ? "enabled\(l.selinuxEnforcing == true ? ", enforcing" : "")\(l.selinuxPolicy.map { ", \($0)" } ?? "")" : "off" } ?? "unknown")
            rows.append(["LSM", text])
        }
        rows.append(["engines", f.engines.map { $0.isEmpty ? "none found" : $0.map { "\($0.name) \($0.version ?? "?")" }.joined(separator: ", ") } ?? unknown("engines")])
        rows.append(["images", f.images.map { plural($0.count, "image") } ?? unknown("images")])
        rows.append(["network", (f.networkNamespace ?? "namespace unknown") + ", "
                     + (f.ports.map { plural($0.count, "listening port") } ?? unknown("network.ports"))])
        rows.append(["GPUs", f.gpus.map { $0.isEmpty ? "none" : $0.map { "\($0.device) (\($0.vendor)\($0.driver.map { ", \($0)" } ?? ""))" }.joined(separator: ", ") } ?? unknown("gpus")])
        var out = "host \(Terminal.safe(f.hostname ?? "?"))" + (f.capturedAt.map { " (captured \($0)\(f.euid.map { ", uid \($0)" } ?? ""))" } ?? "") + "\n"
        var table = Table(headers: ["FACT", "VALUE"])
        table.rows = rows.map { [$0[0], Terminal.safe($0[1])] }
        out += indent(table.render(style: style))
        out += "\nKernel features (\(f.kernelFeatures.count))\n"
        var features = Table(headers: ["FEATURE", "AVAILABLE", "EVIDENCE"])
        features.rows = f.kernelFeatures.map { [$0.name, $0.available.map { $0 ? "yes" : "no" } ?? "unknown", Terminal.safe($0.evidence)] }
        out += indent(features.render(style: style))
        if let ports = f.ports, !ports.isEmpty {
            out += "\nListening ports (\(ports.count))\n"
            var t = Table(headers: ["PROTO", "ADDRESS", "PORT"], rightAligned: [2])
            t.rows = ports.map { [$0.protocolName, $0.address, String($0.port)] }
            out += indent(t.render(style: style))
        }
        if let images = f.images, !images.isEmpty {
            out += "\nImages (\(images.count))\n"
            var t = Table(headers: ["ID", "NAMES", "ENGINE"])
            t.rows = images.map { [String($0.id.prefix(12)), Terminal.safe($0.names.joined(separator: ", ")), $0.engine] }
            out += indent(t.render(style: style))
        }
        if !f.unknown.isEmpty {
            out += "\nNot known (\(f.unknown.count))\n"
            for u in f.unknown { out += "  \(u.fact): \(Terminal.safe(u.reason))\n" }
        }
        return out
    }

    static func indent(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "" : "  " + $0 }.joined(separator: "\n")
    }
}
