import Checkpoint
import CheckpointAnalysis
import CRIUImages
import Foundation

/// A self-contained HTML page of a diff: the changes by section, and each paired process's address space
/// (B's VMAs) with changed, added and removed pages drawn over it.
enum DiffHTML {
    static func render(_ result: CheckpointDiff, b: Checkpoint) -> String {
        let e = HTMLReport.escape
        var h = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Checkpoint diff</title><style>\(HTMLReport.css)"
        h += ".changed{fill:#cf222e;background:#cf222e}.added{fill:#2da44e;background:#2da44e}.removed{fill:#8250df;background:#8250df}.unreadable{fill:#bf8700;background:#bf8700}</style></head><body>"
        h += "<header><h1>Checkpoint diff</h1><p>A: \(e(RawPath.display(result.a.path))) · B: \(e(RawPath.display(result.b.path)))</p></header><main>"
        h += "<h2 id=\"summary\">Summary</h2><table><tr><th></th><th>A</th><th>B</th></tr>"
        h += "<tr><th>Container</th><td>\(e(result.a.containerName ?? "-"))</td><td>\(e(result.b.containerName ?? "-"))</td></tr>"
        h += "<tr><th>Engine</th><td>\(e(result.a.engine))</td><td>\(e(result.b.engine))</td></tr>"
        h += "<tr><th>Processes</th><td>\(result.a.processes)</td><td>\(result.b.processes)</td></tr>"
        h += "<tr><th>Pages</th><td>\(Size.text(result.a.pagesBytes))</td><td>\(Size.text(result.b.pagesBytes))</td></tr></table>"
        h += "<p>\(result.equal ? "The checkpoints are equal." : "The checkpoints differ.")</p>"
        h += "<h2 id=\"report\">Changes</h2><pre class=\"mono\">\(HTMLReport.escapeMarkup(DiffText(result: result, showUnchanged: false).render()))</pre>"
        h += "<h2 id=\"memory\">Memory</h2><p class=\"legend\">Bars are B's VMAs, labelled with their file and size, lengths on a log scale (pages to scale within a bar):<span class=\"changed\"></span>changed<span class=\"added\"></span>added<span class=\"removed\"></span>removed<span class=\"unreadable\"></span>not comparable<span class=\"hole\"></span>unchanged or not dumped</p>"
        for memory in result.memory {
            h += "<h3>[\(memory.b.pid)] \(e(memory.b.comm)) — \(memory.changedPages) changed, \(memory.addedPages) added, \(memory.removedPages) removed of \(memory.comparedPages) compared</h3>"
            guard let space = (try? b.addressSpace(memory.b.pid)) ?? nil else { continue }
            h += svg(space, ranges: memory.ranges)
        }
        h += "</main></body></html>\n"
        return h
    }

    static func svg(_ space: AddressSpace, ranges: [PageRange]) -> String {
        let width = 640.0, rowHeight = 16.0, labelWidth = 410.0
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(labelWidth + width + 10))\" height=\"\(Int(Double(space.vmas.count) * (rowHeight + 3) + 6))\" role=\"img\" aria-label=\"changed pages of pid \(space.pid)\">"
        // As the report's memory maps: labelled with the file, lengths on a log scale.
        let page = Double(max(space.pageSize, 1))
        func scale(_ size: UInt64) -> Double { log2(1 + Double(size) / page) }
        let largest = max(scale(space.vmas.map(\.size).max() ?? 1), 1)
        for (i, vma) in space.vmas.enumerated() {
            let y = 3 + Double(i) * (rowHeight + 3)
            s += "<text x=\"0\" y=\"\(y + 12)\">\(HTMLReport.escape(HTMLReport.vmaLabel(space, i)))</text>"
            let barWidth = max(4, width * scale(vma.size) / largest)
            s += "<rect class=\"hole\" x=\"\(labelWidth)\" y=\"\(y)\" width=\"\(barWidth)\" height=\"\(rowHeight)\"/>"
            for r in ranges where r.start < vma.end && r.end > vma.start {
                let from = max(r.start, vma.start), to = min(r.end, vma.end)
                let x = labelWidth + barWidth * Double(from - vma.start) / Double(max(vma.size, 1))
                let w = max(1.5, barWidth * Double(to - from) / Double(max(vma.size, 1)))
                s += "<rect class=\"\(r.kind.rawValue)\" x=\"\(x)\" y=\"\(y)\" width=\"\(w)\" height=\"\(rowHeight)\"><title>\(String(format: "%llx-%llx", r.start, r.end)) \(r.kind.rawValue)\(r.differingBytes.map { " (\($0.reduce(0, +)) bytes differ)" } ?? "")</title></rect>"
            }
        }
        return s + "</svg>"
    }
}
