// Code shared by the test targets (not a product; no library depends on it).
import Foundation
public import Testing

/// Finds a README code block and checks that a test file runs exactly that code.
public enum ReadmeBlock {
    /// The lines of the first ```swift block under `section` whose first line is `import <module>`.
    public static func swiftBlock(in readme: String, section: String, importing module: String) -> [String]? {
        let lines = readme.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard var i = lines.firstIndex(of: section) else { return nil }
        i += 1
        while i < lines.count, !lines[i].hasPrefix("## ") {
            if lines[i] == "```swift" {
                let end = lines[(i + 1)...].firstIndex(of: "```") ?? lines.count
                let block = Array(lines[(i + 1)..<end])
                if block.first == "import \(module)" { return block }
                i = end
            }
            i += 1
        }
        return nil
    }

    /// Expects `source` to import what the block imports and to hold, between `// README example begin`
    /// and `// README example end`, the rest of the block line for line (indentation of the begin
    /// marker removed). A block line holding a placeholder (an example path, `...`) matches a source
    /// line that starts with the text before the placeholder.
    public static func expectRunVerbatim(_ block: [String], in source: String, placeholders: [String],
                                  sourceLocation: SourceLocation = #_sourceLocation) throws {
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let imports = block.prefix { $0.hasPrefix("import ") }
        for line in imports {
            #expect(lines.contains(line), "the test does not `\(line)`", sourceLocation: sourceLocation)
        }
        let code = Array(block.dropFirst(imports.count).drop { $0.isEmpty })
        let begin = try #require(lines.firstIndex { $0.trimmingCharacters(in: .whitespaces) == "// README example begin" },
                                 sourceLocation: sourceLocation)
        let end = try #require(lines[begin...].firstIndex { $0.trimmingCharacters(in: .whitespaces) == "// README example end" },
                               sourceLocation: sourceLocation)
        let indent = String(lines[begin].prefix { $0 == " " })
        let run = lines[(begin + 1)..<end].map { $0.hasPrefix(indent) ? String($0.dropFirst(indent.count)) : $0 }
        #expect(run.count == code.count, "the README block has \(code.count) lines, the test runs \(run.count)",
                sourceLocation: sourceLocation)
        for (readmeLine, testLine) in zip(code, run) {
            if let placeholder = placeholders.first(where: { readmeLine.contains($0) }),
               let range = readmeLine.range(of: placeholder) {
                let before = String(readmeLine[..<range.lowerBound])
                #expect(testLine.hasPrefix(before), "README: \(readmeLine)\n  test: \(testLine)", sourceLocation: sourceLocation)
            } else {
                #expect(testLine == readmeLine, "README: \(readmeLine)\n  test: \(testLine)", sourceLocation: sourceLocation)
            }
        }
    }
}
