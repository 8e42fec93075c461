/// Encodes the protobuf images of a layout (field numbers from Schema/*.proto).
struct ImageEncoder {
    let layout: CheckpointLayout
    var rng: FastRandom

    init(layout: CheckpointLayout) {
        self.layout = layout
        self.rng = FastRandom(seed: layout.config.seed ^ 0xC0DE)
    }

    static let rootIDs: [(Int, UInt32)] = [(1, 1), (2, 1), (3, 1), (4, 1), (5, 1), (6, 2), (7, 3), (8, 4), (9, 6), (10, 7), (11, 8), (12, 5)]

    func fown(_ w: inout ProtoWriter, _ field: Int) {
        w.message(field) { f in for n in 1...5 { f.uint(n, 0) } }
    }

    // MARK: inventory, stats

    func inventory(dumpUptime: UInt64) -> [UInt8] {
        var img = ImageBuilder.inventory()
        img.entry { w in
            w.uint(1, 2)                       // img_version
            w.bool(2, true)                    // fdinfo_per_id
            w.message(3) { ids in for (n, v) in Self.rootIDs { ids.uint(n, v) } }
            w.bool(4, true)                    // ns_per_id
            w.uint(6, 0)                       // lsmtype NO_LSM
            w.uint(8, dumpUptime)
            w.uint(11, 0)                      // network_lock_method
            w.message(12) { _ in }             // plugins_entry {}
            w.string(13, layout.runID)
        }
        return img.bytes
    }

    func preDumpInventory(dumpUptime: UInt64) -> [UInt8] {
        var img = ImageBuilder.inventory()
        img.entry { w in
            w.uint(1, 0)
            w.uint(8, dumpUptime)
            w.uint(9, 1)
            w.message(12) { _ in }
        }
        return img.bytes
    }

    func stats(written: Int, skippedParent: Int, scanned: Int) -> [UInt8] {
        var img = ImageBuilder.stats()
        img.entry { w in
            w.message(1) { d in
                d.uint(1, 102_483); d.uint(2, 195_915 + written / 64); d.uint(3, 3885 + written / 256); d.uint(4, 722 + written / 32)
                d.uint(5, scanned); d.uint(6, skippedParent); d.uint(7, written); d.uint(8, 0); d.uint(9, 0)
                d.uint(10, max(1, written / 512)); d.uint(11, max(1, written / 64)); d.uint(12, 0); d.uint(13, 0); d.uint(14, 0)
            }
        }
        return img.bytes
    }

    // MARK: process tree

    func pstree() -> [UInt8] {
        var img = ImageBuilder(magic: Magic.pstree)
        for p in layout.processes {
            img.entry { w in
                w.uint(1, p.pid); w.uint(2, p.ppid); w.uint(3, p.pgid); w.uint(4, p.sid)
                w.repeatedUInt(5, p.threads)
            }
        }
        return img.bytes
    }

    mutating func core(_ p: ProcessSpec, thread t: Int) -> [UInt8] {
        let tid = p.threads[t]
        var img = ImageBuilder(magic: Magic.core)
        var r = FastRandom(seed: UInt64(tid) ^ layout.config.seed)
        let sp = p.stackPointers.isEmpty ? 0x7FFC_0000_0000 : p.stackPointers[min(t, p.stackPointers.count - 1)]
        img.entry { w in
            w.uint(1, 1)  // X86_64
            if !p.isZombie {
                w.message(2) { ti in
                    ti.uint(1, p.startBrk + 0x650)
                    ti.message(2) { g in
                        let values: [UInt64] = [3, 1, 1, sp + 0x608, r.next() & 0xFFFF_FFFF_FFFF, 0x5A5A_5A5A_5A5A_5A5A, 0x246, 8,
                                                p.startBrk + 0x116E0, sp - 0xA8, UInt64.max - 3, p.textStart + 0x3724E, 0, sp - 0x298,
                                                UInt64(r.below(64)), 202, p.textStart + UInt64(r.below(0x70000)), 0x33, 0x246, sp, 0x2B,
                                                p.startBrk + 0x380 + UInt64(t) * 0x1000, 0, 0, 0, 0, 0]
                        for (n, v) in values.enumerated() { g.uint(n + 1, v) }
                        g.uint(28, 1)  // mode NATIVE
                    }
                    ti.message(3) { f in
                        f.uint(1, 895); f.uint(2, 0); f.uint(3, 0); f.uint(4, 0); f.uint(5, 0); f.uint(6, 0)
                        f.uint(7, 8064); f.uint(8, 196_607)
                        for _ in 0..<32 { f.uint(9, 0) }
                        for k in 0..<64 { f.uint(10, k < 8 ? UInt64(UInt32(truncatingIfNeeded: r.next())) : 0) }
                        f.message(13) { x in
                            x.uint(1, 514)
                            for k in 0..<64 { x.uint(2, k < 4 ? UInt64(UInt32(truncatingIfNeeded: r.next())) : 0) }
                            x.uint(8, 0x5555_5554); x.uint(8, 0)
                            x.message(9) { c in c.uint(1, 0); c.uint(2, 0) }
                        }
                    }
                    for entry in 12...14 {
                        ti.message(4) { d in
                            d.uint(1, entry); d.uint(2, 0); d.uint(3, 0)
                            d.bool(4, false); d.bool(5, false); d.bool(6, false); d.bool(7, true); d.bool(8, false); d.bool(9, true); d.bool(10, false)
                        }
                    }
                }
            }
            if t == 0 {
                w.message(3) { tc in
                    tc.uint(1, p.isZombie ? 2 : 1)
                    tc.uint(2, 0)
                    tc.uint(3, 0)
                    tc.uint(4, p.isZombie ? 0x40_010C : 0x40_0100)
                    tc.uint(5, 0)
                    tc.string(6, p.comm)
                    if !p.isZombie {
                        tc.message(7) { timers in
                            for n in 1...3 { timers.message(n) { it in for k in 1...4 { it.uint(k, 0) } } }
                        }
                        tc.message(8) { rl in
                            for k in 0..<16 {
                                rl.message(1) { e in
                                    let limits: [UInt64] = [.max, .max, 8_388_608, 0, .max, .max, 63_541, 1_048_576, 8_388_608, .max, 63_541, 819_200, 0, 0, .max, .max]
                                    e.uint(1, limits[k]); e.uint(2, k == 3 ? UInt64.max : limits[k])
                                }
                            }
                        }
                        tc.message(10) { _ in }
                        tc.uint(13, UInt64(UInt32.max))
                        tc.int(14, 0)
                        for s in 1...64 where s != 9 && s != 19 {
                            tc.message(15) { sa in
                                let handled = s == 15 || s == 17 || s == 2 || s == 13 || s == 10
                                sa.uint(1, handled ? p.textStart + UInt64(s) * 0x40 : (s == 13 ? 1 : 0))
                                sa.uint(2, handled ? 0x0400_0000 : 0)
                                sa.uint(3, handled ? p.textStart + 0x10 : 0)
                                sa.uint(4, 0)
                                sa.bool(5, false)
                            }
                        }
                        tc.bool(18, false)
                    }
                }
            }
            if !p.isZombie {
                w.message(5) { th in
                    th.uint(1, p.startBrk + 0x1000 * UInt64(t) + 0x660)
                    th.uint(2, 24)
                    th.sint(3, 0)
                    th.uint(4, 0)
                    th.message(7) { s in s.uint(1, 0); s.uint(2, 0); s.uint(3, 2) }
                    th.message(9) { _ in }
                    th.message(10) { c in
                        for n in 1...8 { c.uint(n, 0) }
                        c.uint(9, 0); c.uint(9, 0)
                        for n in 10...12 { c.uint(n, 2_818_844_155); c.uint(n, 0) }
                        c.uint(13, 0)
                        c.uint(19, 0); c.uint(19, 0)
                    }
                    th.uint(11, 2)   // seccomp_mode filter
                    th.uint(12, 1)   // newest filter
                    th.string(13, t == 0 ? p.comm : "\(p.comm.prefix(9))-w\(t)")
                    th.message(15) { rs in rs.uint(1, p.startBrk + 0x9A0 + UInt64(t) * 0x1000); rs.uint(2, 32); rs.uint(3, 0x5305_3053) }
                }
            }
        }
        return img.bytes
    }

    func ids(_ p: ProcessSpec) -> [UInt8] {
        var img = ImageBuilder(magic: Magic.ids)
        img.entry { w in
            for n in 1...4 { w.uint(n, p.kobjID) }
            let ns: [UInt32] = [9, 10, 11, 12, 13, 7, 8, 5]
            for (k, v) in ns.enumerated() { w.uint(5 + k, v) }
        }
        return img.bytes
    }

    func fs(_ p: ProcessSpec) -> [UInt8] {
        var img = ImageBuilder(magic: Magic.fs)
        img.entry { w in w.uint(1, p.cwdID); w.uint(2, p.rootID); w.uint(3, 18) }
        return img.bytes
    }

    func mm(_ p: ProcessSpec) -> [UInt8] {
        var img = ImageBuilder(magic: Magic.mm)
        let vdso = p.vmas.first { $0.status & VMA_VDSO != 0 }?.start ?? 0
        img.entry { w in
            let fields: [UInt64] = [p.startCode, p.endCode, p.startData, p.endData, p.startStack, p.startBrk, p.brk,
                                    p.argStart, p.argEnd, p.envStart, p.envEnd]
            for (k, v) in fields.enumerated() { w.uint(k + 1, v) }
            w.uint(12, p.exeFileID)
            let base = p.vmas.first { $0.shmid == UInt64(p.exeFileID) }?.start ?? 0
            let auxv: [UInt64] = [33, vdso, 51, 3376, 16, 0x178B_FBFF, 6, 4096, 17, 100, 3, base + 64, 4, 56, 5, 13, 7, 0, 8, 0,
                                  9, p.textStart + 0x1F0, 11, 0, 12, 0, 13, 0, 14, 0, 23, 0, 25, p.envEnd - 0x20, 26, 2,
                                  31, p.envEnd, 15, p.envEnd - 0x10, 27, 28, 28, 32]
            for v in auxv { w.uint(13, v) }
            for v in p.vmas {
                w.message(14) { e in
                    e.uint(1, v.start); e.uint(2, v.end); e.uint(3, v.pgoff); e.uint(4, v.shmid)
                    e.uint(5, v.prot); e.uint(6, v.flags); e.uint(7, v.status); e.sint(8, -1)
                    if let madv = v.madv { e.uint(9, madv) }
                    if let fdflags = v.fdflags { e.uint(10, fdflags) }
                }
            }
            w.int(15, 1)
            w.bool(17, false)
        }
        return img.bytes
    }

    /// The task pagemap; `parentSide` writes the pre-dump's view (parent runs as present data).
    func pagemap(_ p: ProcessSpec, parentSide: Bool) -> [UInt8] {
        var img = ImageBuilder(magic: Magic.pagemap)
        img.entry { w in w.uint(1, p.pagesID) }
        for run in p.runs {
            var flags = run.flags
            if parentSide {
                guard run.isParent else { continue }
                flags = PE.lazy | PE.present
            }
            img.entry { w in
                w.uint(1, run.vaddr); w.uint(2, 0); w.uint(4, flags); w.uint(5, run.pages)
            }
        }
        return img.bytes
    }

    func fdinfo(_ p: ProcessSpec) -> [UInt8] {
        var img = ImageBuilder(magic: Magic.fdinfo)
        for fd in p.fds {
            img.entry { w in w.uint(1, fd.fileID); w.uint(2, fd.flags); w.uint(3, fd.type); w.uint(4, fd.fd) }
        }
        return img.bytes
    }

    func skOpts(_ w: inout ProtoWriter, _ field: Int) {
        w.message(field) { o in
            o.uint(1, 212_992); o.uint(2, 212_992)
            for n in 3...6 { o.uint(n, 0) }
            o.bool(7, false); o.uint(8, 0); o.uint(9, 1); o.uint(10, 0)
            o.bool(11, false); o.bool(12, false); o.bool(13, false); o.bool(14, false)
            o.bool(17, false); o.bool(18, false); o.bool(19, false)
            o.uint(23, 0); o.uint(24, 0); o.uint(25, 0)
        }
    }

    func filesImage() -> [UInt8] {
        var img = ImageBuilder(magic: Magic.files)
        for file in layout.files {
            img.entry { w in
                w.uint(1, file.type)
                w.uint(2, file.id)
                switch file {
                case let .reg(id, name, flags, pos, mntID, size, mode, buildID):
                    w.message(3) { r in
                        r.uint(1, id); r.uint(2, flags); r.uint(3, pos)
                        fown(&r, 5)
                        r.string(6, name)
                        r.sint(7, Int64(mntID))
                        if let size { r.uint(8, size) }
                        r.uint(10, mode)
                        r.repeatedUInt(11, buildID)
                    }
                case let .inet(id, ino, family, type, proto, state, srcPort, dstPort, srcAddr, dstAddr, backlog, flags):
                    w.message(4) { s in
                        s.uint(1, id); s.uint(2, ino); s.uint(3, family); s.uint(4, type); s.uint(5, proto); s.uint(6, state)
                        s.uint(7, srcPort); s.uint(8, dstPort); s.uint(9, flags); s.uint(10, backlog)
                        s.uint(11, srcAddr); s.uint(12, dstAddr)
                        fown(&s, 13)
                        skOpts(&s, 14)
                        s.bool(15, false)
                        s.message(16) { ip in ip.bool(1, false); ip.bool(5, false); ip.uint(6, 0); ip.uint(7, 64) }
                        s.uint(19, 0)
                    }
                case let .eventfd(id, counter):
                    w.message(8) { e in e.uint(1, id); e.uint(2, 0o2); fown(&e, 3); e.uint(4, counter) }
                case let .unix(id, ino, type, state, peer, name, backlog, flags):
                    w.message(16) { u in
                        u.uint(1, id); u.uint(2, ino); u.uint(3, type); u.uint(4, state); u.uint(5, flags); u.uint(6, 0)
                        u.uint(7, backlog); u.uint(8, peer)
                        fown(&u, 9)
                        skOpts(&u, 10)
                        u.bytes(11, name)
                        u.uint(12, 0)
                        if !name.isEmpty { u.message(13) { fp in fp.uint(1, 0o140755); fp.uint(2, 0); fp.uint(3, 0) } }
                        u.uint(16, 10)
                        if !name.isEmpty { u.sint(17, 73) }
                    }
                case let .pipe(id, pipeID, flags):
                    w.message(18) { p in p.uint(1, id); p.uint(2, pipeID); p.uint(3, flags); fown(&p, 4) }
                }
            }
        }
        return img.bytes
    }

    func mountpoints() -> [UInt8] {
        var img = ImageBuilder(magic: Magic.mnts)
        for m in layout.mounts {
            img.entry { w in
                w.uint(1, m.fstype); w.uint(2, m.mntID); w.uint(3, m.rootDev); w.uint(4, m.parentMntID); w.uint(5, m.flags)
                w.string(6, m.root); w.string(7, m.mountpoint); w.string(8, m.source); w.string(9, m.options)
                w.uint(10, 0); w.uint(11, 0)
                w.uint(17, m.sbFlags)
                if let key = m.extKey { w.string(18, key) }
            }
        }
        return img.bytes
    }

    mutating func seccomp() -> [UInt8] {
        var img = ImageBuilder(magic: Magic.seccomp)
        var r = FastRandom(seed: layout.config.seed ^ 0x5ECC)
        func program(_ count: Int) -> [UInt8] {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(count * 8)
            func ins(_ code: UInt16, _ jt: UInt8, _ jf: UInt8, _ k: UInt32) {
                withUnsafeBytes(of: code.littleEndian) { bytes.append(contentsOf: $0) }
                bytes.append(jt); bytes.append(jf)
                withUnsafeBytes(of: k.littleEndian) { bytes.append(contentsOf: $0) }
            }
            ins(0x20, 0, 0, 4)                     // ld [arch]
            ins(0x15, 1, 0, 0xC000_003E)           // jeq AUDIT_ARCH_X86_64
            ins(0x06, 0, 0, 0)                     // ret KILL
            ins(0x20, 0, 0, 0)                     // ld [nr]
            for k in 0..<max(0, count - 6) {
                ins(0x15, UInt8(truncatingIfNeeded: count - 6 - k), 0, UInt32(r.below(450)))
            }
            ins(0x06, 0, 0, 0x0005_0026)           // ret ERRNO(38)
            ins(0x06, 0, 0, 0x7FFF_0000)           // ret ALLOW
            return bytes
        }
        let first = program(1100), second = program(40)
        img.entry { w in
            w.message(1) { f in f.bytes(1, first); f.uint(3, 0) }
            w.message(1) { f in f.bytes(1, second); f.uint(2, 0); f.uint(3, 0) }
        }
        return img.bytes
    }

    func utsns() -> [UInt8] {
        var img = ImageBuilder(magic: Magic.utsns)
        img.entry { w in w.string(1, String(layout.containerID.prefix(12))); w.string(2, "(none)") }
        return img.bytes
    }

    func ipcVar() -> [UInt8] {
        var img = ImageBuilder(magic: Magic.ipcVar)
        img.entry { w in
            for v: UInt64 in [32000, 1_024_000_000, 500, 32000] { w.uint(1, v) }
            w.uint(2, 8192); w.uint(3, 16384); w.uint(4, 32000); w.uint(5, 0)
            w.uint(6, UInt64(18_446_744_073_692_774_399)); w.uint(7, UInt64(18_446_744_073_692_774_399)); w.uint(8, 4096); w.uint(9, 0)
            w.uint(10, 256); w.uint(11, 10); w.uint(12, 8192); w.uint(13, 10); w.uint(14, 8192)
        }
        return img.bytes
    }

    func timens() -> [UInt8] {
        var img = ImageBuilder(magic: Magic.timens)
        img.entry { w in
            w.message(1) { t in t.uint(1, 798); t.uint(2, 360_747_118) }
            w.message(2) { t in t.uint(1, 798); t.uint(2, 360_747_519) }
        }
        return img.bytes
    }
}

/// A gzip member holding an empty tar archive (stored deflate block): what CRIU writes for an
/// empty tmpfs (`tmpfs-dev-<dev>.tar.gz.img`).
func emptyTarGz() -> [UInt8] {
    let data = [UInt8](repeating: 0, count: 10240)
    var out: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3]
    out += [1, UInt8(data.count & 0xFF), UInt8(data.count >> 8), UInt8(~data.count & 0xFF), UInt8((~data.count >> 8) & 0xFF)]
    out += data
    let crc = crc32(data)
    for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: crc >> (8 * k))) }
    for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: UInt32(data.count) >> (8 * k))) }
    return out
}

func crc32(_ bytes: [UInt8]) -> UInt32 {
    var table = [UInt32](repeating: 0, count: 256)
    for i in 0..<256 {
        var c = UInt32(i)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        table[i] = c
    }
    var crc: UInt32 = 0xFFFF_FFFF
    for b in bytes { crc = table[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
    return ~crc
}
