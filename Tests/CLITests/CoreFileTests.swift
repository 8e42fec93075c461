import Foundation
import Testing

@Suite struct CoreFileTests {
    static let gdb = ["/usr/bin/gdb", "/usr/local/bin/gdb"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test func elfCoreLoadsInGDB() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("core-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try CLI.run(["mem", "dump", "--core", CLI.fixture("raw/marker-static"), "--pid", "28716", "-o", dir.path])
        #expect(result.status == 0, "\(result.stderr)")
        let core = dir.appendingPathComponent("28716.core")
        let data = try Data(contentsOf: core)
        #expect(data.prefix(4) == Data([0x7F, 0x45, 0x4C, 0x46]))
        #expect(data[16] == 4) // ET_CORE
        try #require(Self.gdb != nil || ProcessInfo.processInfo.environment["CI"] == nil, "CI installs gdb")
        guard let gdb = Self.gdb else { return }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: gdb)
        p.arguments = ["--batch", "-ex", "info registers rip rsp", "-ex", "x/s 0x10000000", "-c", core.path]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = Pipe()
        try p.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(out.contains("0x10000000:\t\"FIXED-ADDR-MARKER:CKPT-MARKER-1234\""), "\(out)")
        #expect(out.contains("rip            0x43824e"), "\(out)")
        #expect(out.contains("rsp            0x7fffc547e6b8"), "\(out)")
    }
}
