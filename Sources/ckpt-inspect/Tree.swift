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
        var lines = [label]
        render(children, prefix: "", into: &lines)
        return lines.joined(separator: "\n") + "\n"
    }

    private func render(_ nodes: [TreeNode], prefix: String, into lines: inout [String]) {
        for (i, node) in nodes.enumerated() {
            let last = i == nodes.count - 1
            let labelLines = node.label.split(separator: "\n", omittingEmptySubsequences: false)
            lines.append(prefix + (last ? "└── " : "├── ") + labelLines[0])
            for more in labelLines.dropFirst() { lines.append(prefix + (last ? "    " : "│   ") + more) }
            render(node.children, prefix: prefix + (last ? "    " : "│   "), into: &lines)
        }
    }
}
