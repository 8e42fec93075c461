import Foundation
import Testing

@Suite struct CoreFileTests {
    static let gdb = ["/usr/bin/gdb", "/usr/local/bin/gdb"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// What gdb prints on stdout for `arguments`.
    static func run(_ gdb: String, _ arguments: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: gdb)
        p.arguments = arguments
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = Pipe()
        try p.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return out
    }

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
        let out = try Self.run(gdb, ["--batch", "-ex", "info registers rip rsp", "-ex", "x/s 0x10000000", "-c", core.path])
        #expect(out.contains("0x10000000:\t\"FIXED-ADDR-MARKER:CKPT-MARKER-1234\""), "\(out)")
        #expect(out.contains("rip            0x43824e"), "\(out)")
        #expect(out.contains("rsp            0x7fffc547e6b8"), "\(out)")
    }

    /// The issue's held-out case: gdb disassembles `_start` of a process whose executable was
    /// deleted (its bytes are the checkpoint's ghost file, given to gdb as the program and, through
    /// `set sysroot`, as the mapped file), reads the pages CRIU did not dump from the mapped files
    /// (p_filesz 0: the deleted binary's ELF header, libc's), and reads the vector registers as
    /// core-7059.img holds them (crit's JSON).
    @Test func gdbDisassemblesStartAndReadsVectorRegisters() throws {
        try #require(Self.gdb != nil || ProcessInfo.processInfo.environment["CI"] == nil, "CI installs gdb")
        guard let gdb = Self.gdb else { return }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("core-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let dump = try CLI.run(["mem", "dump", "--core", CLI.fixture("raw/forensic"), "--pid", "7059", "-o", dir.path])
        #expect(dump.status == 0, "\(dump.stderr)")
        #expect(dump.stdout.hasPrefix("wrote \(dir.path)/7059.core ("), "\(dump.stdout)")
        #expect(dump.stdout.contains("file-backed, left to the mapped files"))
        // The deleted executable, from its ghost file (one chunk of 16384 bytes).
        let ghost = try CLI.run(["decode", CLI.fixture("raw/forensic/ghost-file-1.img")])
        guard case .array(let entries)? = try JSON.parse(ghost.stdout)["entries"], case .string(let extra)? = entries[1]["extra"],
              let binary = Data(base64Encoded: extra, options: .ignoreUnknownCharacters) else {
            Issue.record("no ghost file data")
            return
        }
        #expect(binary.count == 16384 && binary.prefix(4) == Data([0x7F, 0x45, 0x4C, 0x46]))
        let sysroot = dir.appendingPathComponent("sysroot")
        let mapped = sysroot.appendingPathComponent("tmp/newfx/run/dev")
        try FileManager.default.createDirectory(at: mapped, withIntermediateDirectories: true)
        try binary.write(to: mapped.appendingPathComponent("dev-vanish"))
        try FileManager.default.createSymbolicLink(atPath: sysroot.appendingPathComponent("usr").path, withDestinationPath: "/usr")
        let out = try Self.run(gdb, ["--batch", "-nx", "-ex", "set sysroot \(sysroot.path)", "-ex", "file \(mapped.path)/dev-vanish",
                       "-ex", "core-file \(dir.path)/7059.core", "-ex", "x/3i _start", "-ex", "x/4xb 0x5556761a4000",
                       "-ex", "x/4xb 0x7f571cc1d000", "-ex", "p/x $xmm0.v4_int32", "-ex", "p/x $ymm0.v8_int32", "-ex", "p/x $mxcsr"])
        // _start at 0x10c0 of the binary (its symbol table), loaded at 0x5556761a4000: 31 ed, 49 89 d1, 5e.
        #expect(out.contains("0x5556761a50c0 <_start>:\txor    %ebp,%ebp\n"), "\(out)")
        #expect(out.contains("0x5556761a50c2 <_start+2>:\tmov    %rdx,%r9\n"), "\(out)")
        #expect(out.contains("0x5556761a50c5 <_start+5>:\tpop    %rsi\n"), "\(out)")
        #expect(out.contains("0x5556761a4000:\t0x7f\t0x45\t0x4c\t0x46"), "\(out)")
        #expect(out.contains("0x7f571cc1d000:\t0x7f\t0x45\t0x4c\t0x46"), "\(out)")
        let crit = try JSON.parse(String(contentsOfFile: CLI.fixture("crit-json/forensic/core-7059.img.json"), encoding: .utf8))
        guard case .array(let critEntries)? = crit["entries"], let fp = critEntries[0]["thread_info"]?["fpregs"],
              case .array(let xmm)? = fp["xmm_space"], case .array(let ymmh)? = fp["xsave"]?["ymmh_space"],
              case .integer(let mxcsr)? = fp["mxcsr"] else {
            Issue.record("crit JSON")
            return
        }
        func hex(_ words: [JSON]) -> String {
            words.map { if case .integer(let v) = $0 { "0x" + String(v, radix: 16) } else { "?" } }.joined(separator: ", ")
        }
        #expect(out.contains("$1 = {\(hex(Array(xmm[0..<4])))}"), "\(out)")
        #expect(out.contains("$2 = {\(hex(Array(xmm[0..<4]) + Array(ymmh[0..<4])))}"), "\(out)")
        #expect(out.contains("$3 = 0x\(String(mxcsr, radix: 16))"), "\(out)")
    }
}
