/// A labelled tree printed with box-drawing branches, like checkpointctl's reports.
struct TreeNode {
    var label: String
    var children: [TreeNode] = []

    init(_ label: String, _ children: [TreeNode] = []) {
        self.label = label
        self.children = children
    }

    mutating func add(_ child: TreeNode) { children.append(child) }
    mutating func add(_ label: String, _ children: [TreeNode] = []) { self.children.append(TreeNode(label, children)) }

    func render() -> String {
        var text = ""
        write { text += $0 }
        return text
    }

    /// The rendered tree handed to `sink` in pieces of about `chunk` bytes (a tree of thousands of
    /// processes is never held whole as text, nor as lines).
    func write(chunk: Int = 1 << 16, to sink: (String) -> Void) {
        var out = label + "\n"
        write(children, prefix: "", into: &out, chunk: chunk, sink)
        if !out.isEmpty { sink(out) }
    }

    private func write(_ nodes: [TreeNode], prefix: String, into out: inout String, chunk: Int, _ sink: (String) -> Void) {
        for (i, node) in nodes.enumerated() {
            let last = i == nodes.count - 1
            var first = true
            for line in node.label.split(separator: "\n", omittingEmptySubsequences: false) {
                out += prefix
                out += first ? (last ? "└── " : "├── ") : (last ? "    " : "│   ")
                out += line
                out += "\n"
                first = false
            }
            if out.utf8.count >= chunk {
                sink(out)
                out = ""
            }
            write(node.children, prefix: prefix + (last ? "    " : "│   "), into: &out, chunk: chunk, sink)
        }
    }
}
