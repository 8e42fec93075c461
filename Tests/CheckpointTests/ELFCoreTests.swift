import Checkpoint
import CRIUImages
import Foundation
import Testing
import TestSupport

/// The parts of an ELF core file the tests look at.
struct CoreFile {
    struct Segment: Equatable {
        var offset: UInt64, vaddr: UInt64, fileSize: UInt64, memorySize: UInt64, flags: UInt32
    }
    struct Note {
        var name: String, type: UInt32, desc: [UInt8]
    }

    let bytes: [UInt8]
    var machine: UInt16 { u16(18) }
    var type: UInt16 { u16(16) }
    var segments: [Segment] = []
    var notes: [Note] = []

    func u16(_ at: Int) -> UInt16 { UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8 }
    func u32(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[at + $1]) << (8 * $1) } }
    func u64(_ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(bytes[at + $1]) << (8 * $1) } }

    init(_ path: String) throws {
        bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let phoff = Int(u64(32)), count = Int(u16(56))
        for i in 0..<count {
            let p = phoff + 56 * i
            if u32(p) == 4 {  // PT_NOTE
                var at = Int(u64(p + 8))
                let end = at + Int(u64(p + 32))
                while at + 12 <= end {
                    let namesz = Int(u32(at)), descsz = Int(u32(at + 4))
                    let name = String(decoding: bytes[(at + 12)..<(at + 12 + namesz - 1)], as: UTF8.self)
                    let descAt = at + 12 + (namesz + 3) / 4 * 4
                    notes.append(Note(name: name, type: u32(at + 8), desc: Array(bytes[descAt..<(descAt + descsz)])))
                    at = descAt + (descsz + 3) / 4 * 4
                }
            } else if u32(p) == 1 {  // PT_LOAD
                segments.append(Segment(offset: u64(p + 8), vaddr: u64(p + 16), fileSize: u64(p + 32), memorySize: u64(p + 40), flags: u32(p + 4)))
            }
        }
    }

    /// The bytes at a virtual address, from the segment that holds them in the file.
    func read(_ address: UInt64, _ count: Int) -> [UInt8]? {
        guard let s = segments.first(where: { $0.vaddr <= address && address + UInt64(count) <= $0.vaddr + $0.fileSize }) else { return nil }
        let at = Int(s.offset + address - s.vaddr)
        return Array(bytes[at..<(at + count)])
    }
}

@Suite struct ELFCoreTests {
    static func writeCore(_ c: Checkpoint, pid: UInt32, in dir: URL) throws -> (String, ELFCoreWriter.Summary) {
        let path = dir.appendingPathComponent("\(pid).core").path
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0o600)
        #expect(fd >= 0)
        defer { close(fd) }
        return (path, try ELFCoreWriter(checkpoint: c, pid: pid).write(to: fd))
    }

    static func littleEndian<T: FixedWidthInteger>(_ words: [T]) -> [UInt8] { words.flatMap { v in withUnsafeBytes(of: v.littleEndian) { Array($0) } } }

    /// The deleted executable's process: segments split where content changes, file-backed pages
    /// CRIU did not dump left to the file, dumped pages copied, never-touched pages as holes, and
    /// the floating-point state from core-7059.img.
    @Test func segmentsNotesAndHoles() throws {
        let dir = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let c = try Checkpoint.open(Fixture.path("raw/forensic"))
        let (path, summary) = try Self.writeCore(c, pid: 7059, in: dir)
        let core = try CoreFile(path)
        #expect(core.type == 4 && core.machine == 62)
        #expect(core.segments.count == summary.segments)
        // notes/forensic.txt maps: the ELF header page of the deleted binary and libc's text are
        // file-backed and not dumped; the heap is dumped.
        let header = try #require(core.segments.first { $0.vaddr == 0x5556_761a_4000 })
        #expect(header.fileSize == 0 && header.memorySize == 0x1000 && header.flags == 4)
        let libcText = try #require(core.segments.first { $0.vaddr == 0x7f57_1cc4_3000 })
        #expect(libcText.fileSize == 0 && libcText.memorySize == 0x156000 && libcText.flags == 5)
        let heap = try #require(core.segments.first { $0.vaddr == 0x5556_7e5d_a000 })
        #expect(heap.fileSize == 0x21000)
        #expect(core.read(0x5556_7e5d_a320, 26) == Array("DEV-DELETED-EXE-MARKER-W4M".utf8))
        #expect(summary.fileBackedSegments == core.segments.filter { $0.fileSize == 0 }.count)
        #expect(summary.fileBackedSegments >= 8 && summary.missingSegments == 0)
        // Sparse: the heap's untouched pages are holes, so fewer blocks than bytes.
        var st = stat()
        #expect(stat(path, &st) == 0)
        #expect(UInt64(st.st_size) == summary.size)
        #expect(UInt64(st.st_blocks) * 512 < UInt64(st.st_size))
        // Notes: prstatus, FXSAVE, XSAVE (LINUX), then the process's.
        #expect(core.notes.map(\.type) == [1, 2, 0x202, 3, 6, 0x4649_4C45])
        #expect(core.notes.map(\.name) == ["CORE", "CORE", "LINUX", "CORE", "CORE", "CORE"])
        // Registers and FPU state against crit's JSON of core-7059.img.
        let crit = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Fixture.path("crit-json/forensic/core-7059.img.json")))) as! [String: Any]
        let ti = ((crit["entries"] as! [[String: Any]])[0]["thread_info"] as! [String: Any])
        let fp = ti["fpregs"] as! [String: Any]
        let xmm = (fp["xmm_space"] as! [NSNumber]).map(\.uint32Value)
        let ymmh = ((fp["xsave"] as! [String: Any])["ymmh_space"] as! [NSNumber]).map(\.uint32Value)
        let rip = UInt64(((ti["gpregs"] as! [String: Any])["ip"] as! String).dropFirst(2), radix: 16)!
        #expect(rip == 0x7f57_1ccf_0dce)
        let prstatus = core.notes[0].desc
        #expect(prstatus.count == 336)
        #expect(Array(prstatus[(112 + 16 * 8)..<(112 + 17 * 8)]) == Self.littleEndian([rip]))
        let fx = core.notes[1].desc
        #expect(fx.count == 512)
        #expect(Array(fx[160..<416]) == Self.littleEndian(xmm))
        #expect(Array(fx[24..<28]) == Self.littleEndian([(fp["mxcsr"] as! NSNumber).uint32Value]))
        let xs = core.notes[2].desc
        #expect(xs.count == 2696)  // AVX and PKRU saved: up to the end of PKRU
        #expect(Array(xs[0..<512].prefix(464)) == Array(fx.prefix(464)))
        #expect(Array(xs[464..<472]) == Self.littleEndian([UInt64(0x207)]))  // XCR0: x87, SSE, AVX, PKRU
        #expect(Array(xs[512..<520]) == Self.littleEndian([UInt64(514)]))  // XSTATE_BV as CRIU saved it
        #expect(Array(xs[576..<832]) == Self.littleEndian(ymmh))
        // NT_PRPSINFO: the command line read back from the stack written.
        let psinfo = core.notes[3].desc
        #expect(String(decoding: psinfo[40..<50], as: UTF8.self) == "dev-vanish")
        #expect(String(decoding: psinfo[56..<66], as: UTF8.self) == "dev-vanish" && psinfo[66] == 0)
    }

    /// A compressed archive is read in one pass for the whole core: the same file as from the plain tar.
    @Test func compressedArchiveGivesTheSameCore() throws {
        let dir = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let plainDir = dir.appendingPathComponent("plain"), zstdDir = dir.appendingPathComponent("zstd")
        try FileManager.default.createDirectory(at: plainDir, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: zstdDir, withIntermediateDirectories: true)
        let (plain, a) = try Self.writeCore(try Checkpoint.open(Fixture.path("podman/ck-basic.none.tar")), pid: 7, in: plainDir)
        let (zstd, b) = try Self.writeCore(try Checkpoint.open(Fixture.path("podman/ck-basic.zstd.tar.zst")), pid: 7, in: zstdDir)
        #expect(a == b)
        #expect(a.memoryBytes > 100_000)
        #expect(try Data(contentsOf: URL(fileURLWithPath: plain)) == Data(contentsOf: URL(fileURLWithPath: zstd)))
        // The static marker's .data page (STATIC-DATA-MARKER-0001 at 0x4a6100, notes/marker-hits.txt).
        #expect(try CoreFile(plain).read(0x4a_6100, 23) == Array("STATIC-DATA-MARKER-0001".utf8))
    }

    /// marker-static's images with its core rewritten as an aarch64 thread (mtype AARCH64 and
    /// ti_aarch64 instead of thread_info; the rest of the entry, and every other image, as dumped).
    static func aarch64Copy(regs: [UInt64], sp: UInt64, pc: UInt64, vregs: [UInt64], tls: UInt64) throws -> URL {
        let dir = try Fixture.temporaryDirectory()
        let source = Fixture.path("raw/marker-static")
        for name in try FileManager.default.contentsOfDirectory(atPath: source) {
            try FileManager.default.copyItem(atPath: source + "/" + name, toPath: dir.appendingPathComponent(name).path)
        }
        let coreURL = dir.appendingPathComponent("core-28716.img")
        let original = [UInt8](try Data(contentsOf: coreURL))
        let file = try ImageFile.parse(original, fileName: "core-28716.img")
        let entry = file.entries[0]
        // The entry's fields other than mtype (1) and thread_info (2), as they are.
        var fields: [(number: Int, range: Range<Int>)] = []
        let walk: (UnsafeRawBufferPointer) throws -> Void = { buffer in
            var reader = WireReader(buffer, range: entry.range)
            while let key = try reader.nextKey() {
                let start = key.offset
                try reader.skip(key.wireType)
                fields.append((key.number, start..<reader.offset))
            }
        }
        try original.withUnsafeBytes { try walk($0) }
        let kept = fields.filter { $0.number != 1 && $0.number != 2 }.flatMap { original[$0.range] }
        let gp = Proto().packed(1, regs).varint(2, sp).varint(3, pc).varint(4, 0x6000_0000)
        let fp = Proto().packed(1, vregs).varint(2, 0x10).varint(3, 0x0300_0000)
        let ti = Proto().varint(1, 0).varint(2, tls).message(3, gp).message(4, fp)
        let message = Proto().varint(1, 3).bytes + kept + Proto().message(8, ti).bytes
        let magics = [UInt32(original[0]) | UInt32(original[1]) << 8 | UInt32(original[2]) << 16 | UInt32(original[3]) << 24,
                      UInt32(original[4]) | UInt32(original[5]) << 8 | UInt32(original[6]) << 16 | UInt32(original[7]) << 24]
        try Data(image(magics, [Proto(bytes: message)])).write(to: coreURL)
        return dir
    }

    /// An aarch64 process: EM_AARCH64, the general registers in NT_PRSTATUS, V0-V31 with FPSR and
    /// FPCR in NT_FPREGSET, TPIDR_EL0 in NT_ARM_TLS; memory as for x86_64; and gdb (multiarch)
    /// reads it all back.
    @Test func aarch64Core() throws {
        let regs = (0..<31).map { UInt64(0x1000 + $0) }
        let vregs = (0..<64).map { UInt64(0xA0A0_0000_0000_0000) | UInt64($0) }
        let dir = try Self.aarch64Copy(regs: regs, sp: 0x7fff_c547_e6b0, pc: 0x43_824c, vregs: vregs, tls: 0x4c_6840)
        defer { try? FileManager.default.removeItem(at: dir) }
        let c = try Checkpoint.open(dir.path)
        #expect(c.facts.architecture == "aarch64")
        let (path, _) = try Self.writeCore(c, pid: 28716, in: dir)
        let core = try CoreFile(path)
        #expect(core.machine == 183)
        #expect(core.notes.map(\.type) == [1, 2, 0x401, 3, 6, 0x4649_4C45])
        let prstatus = core.notes[0].desc
        #expect(prstatus.count == 392)
        #expect(Array(prstatus[112..<(112 + 31 * 8)]) == Self.littleEndian(regs))
        #expect(Array(prstatus[(112 + 31 * 8)..<(112 + 34 * 8)]) == Self.littleEndian([UInt64(0x7fff_c547_e6b0), 0x43_824c, 0x6000_0000]))
        #expect(Array(prstatus[32..<36]) == Self.littleEndian([UInt32(28716)]))
        #expect(core.notes[1].desc == Self.littleEndian(vregs) + Self.littleEndian([UInt32(0x10), 0x0300_0000, 0, 0]))
        #expect(core.notes[2].desc == Self.littleEndian([UInt64(0x4c_6840)]) && core.notes[2].name == "LINUX")
        #expect(core.read(0x1000_0000, 34) == Array("FIXED-ADDR-MARKER:CKPT-MARKER-1234".utf8))

        let gdb = ["/usr/bin/gdb-multiarch", "/usr/local/bin/gdb-multiarch"].first { FileManager.default.isExecutableFile(atPath: $0) }
        try #require(gdb != nil || ProcessInfo.processInfo.environment["CI"] == nil, "CI installs gdb-multiarch")
        guard let gdb else { return }
        let out = try Fixture.run(gdb, ["--batch", "-nx", "-ex", "set architecture aarch64", "-ex", "core-file \(path)",
                                        "-ex", "info registers x0 x30 sp pc", "-ex", "p/x $v1.d.u", "-ex", "p/x $fpsr", "-ex", "x/s 0x10000000"])
        #expect(out.contains("x0             0x1000"), "\(out)")
        #expect(out.contains("x30            0x101e"), "\(out)")
        #expect(out.contains("sp             0x7fffc547e6b0"), "\(out)")
        #expect(out.contains("pc             0x43824c"), "\(out)")
        #expect(out.contains("{0xa0a0000000000002, 0xa0a0000000000003}"), "\(out)")
        #expect(out.contains("= 0x10"), "\(out)")
        #expect(out.contains("0x10000000:\t\"FIXED-ADDR-MARKER:CKPT-MARKER-1234\""), "\(out)")
    }
}
