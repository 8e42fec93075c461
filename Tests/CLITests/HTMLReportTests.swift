import Foundation
import Testing

/// The HTML report rendered by headless Chromium: loads with no console errors and shows the processes.
@Suite struct HTMLReportTests {
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    @Test(arguments: ["raw/proc-tree", "podman/ck-basic.zstd.tar.zst", "raw/incremental/dump"])
    func reportRendersInChromium(_ fixture: String) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let html = dir.appendingPathComponent("report.html")
        let result = try CLI.run(["report", CLI.fixture(fixture), "-o", html.path])
        #expect(result.status == 0, "\(result.stderr)")
        let page = try String(contentsOf: html, encoding: .utf8)
        // Self-contained: nothing fetched from elsewhere.
        #expect(!page.contains("src=\"http") && !page.contains("href=\"http") && !page.contains("<link") && !page.contains("<script src"))
        #expect(page.contains("<svg"))
        try #require(Self.chromium != nil || ProcessInfo.processInfo.environment["CI"] == nil, "CI installs chromium")
        guard let chromium = Self.chromium else { return }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: chromium)
        p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
                       "--user-data-dir=" + dir.appendingPathComponent("profile").path,
                       "--dump-dom", html.absoluteString]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let dom = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let log = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(!log.contains("CONSOLE"), "console output: \(log)")
        #expect(!log.contains("Uncaught"))
        #expect(dom.contains("Process tree"))
        #expect(dom.contains("Memory maps"))
        let names: [String] = switch fixture {
        case "raw/proc-tree": ["tree.sh", "marker", "threads", "sleep"]
        case "raw/incremental/dump": ["marker"]
        default: ["sh", "marker", "httpd", "sleep"]
        }
        for name in names { #expect(dom.contains("<span class=\"comm\">\(name)</span>"), "\(name)") }
    }
}

@Suite struct DiffHTMLTests {
    @Test func diffPageShowsChangedPages() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("diffhtml-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let html = dir.appendingPathComponent("diff.html")
        let result = try CLI.run(["diff", CLI.fixture("raw/diff-pair/gen1"), CLI.fixture("raw/diff-pair/gen2"), "--html", "-o", html.path])
        #expect(result.status == 1, "\(result.stderr)")
        let page = try String(contentsOf: html, encoding: .utf8)
        #expect(page.contains("11 changed, 2 added, 0 removed of 35 compared"))
        #expect(page.components(separatedBy: "<rect class=\"changed\"").count > 1)
        #expect(page.components(separatedBy: "<rect class=\"added\"").count > 1)
        try #require(HTMLReportTests.chromium != nil || ProcessInfo.processInfo.environment["CI"] == nil, "CI installs chromium")
        guard let chromium = HTMLReportTests.chromium else { return }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: chromium)
        p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
                       "--user-data-dir=" + dir.appendingPathComponent("profile").path, "--dump-dom", html.absoluteString]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let dom = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let log = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(!log.contains("CONSOLE"))
        #expect(dom.contains("[29283] marker"))
    }
}
