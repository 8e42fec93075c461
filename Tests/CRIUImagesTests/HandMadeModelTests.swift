import TestSupport
import Testing
import CRIUImages

/// A tiny protobuf writer for hand-made messages.
struct ModelTestWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7f) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func key(_ field: Int, _ wireType: Int) { varint(UInt64(field << 3 | wireType)) }

    /// A varint field (uint32/uint64/bool/enum; int32 negatives as 10-byte varints).
    mutating func uint(_ field: Int, _ value: UInt64) {
        key(field, 0)
        varint(value)
    }

    mutating func int(_ field: Int, _ value: Int64) { uint(field, UInt64(bitPattern: value)) }

    /// A zig-zag `sint32`/`sint64` field.
    mutating func sint(_ field: Int, _ value: Int64) { uint(field, UInt64(bitPattern: (value << 1) ^ (value >> 63))) }

    mutating func bytes(_ field: Int, _ value: [UInt8]) {
        key(field, 2)
        varint(UInt64(value.count))
        bytes += value
    }

    mutating func string(_ field: Int, _ value: String) { bytes(field, Array(value.utf8)) }

    mutating func message(_ field: Int, _ body: (inout ModelTestWriter) -> Void) {
        var sub = ModelTestWriter()
        body(&sub)
        bytes(field, sub.bytes)
    }

    mutating func packed(_ field: Int, _ values: [UInt64]) {
        var sub = ModelTestWriter()
        for v in values { sub.varint(v) }
        bytes(field, sub.bytes)
    }

    static func build(_ body: (inout ModelTestWriter) -> Void) -> [UInt8] {
        var w = ModelTestWriter()
        body(&w)
        return w.bytes
    }
}

/// A framed image: magic words then (u32 little-endian size, message) entries.
func modelTestImage(magic: [UInt32], entries: [[UInt8]]) -> [UInt8] {
    var out: [UInt8] = []
    func word(_ w: UInt32) { out += [UInt8(w & 0xff), UInt8(w >> 8 & 0xff), UInt8(w >> 16 & 0xff), UInt8(w >> 24)] }
    magic.forEach(word)
    for entry in entries {
        word(UInt32(entry.count))
        out += entry
    }
    return out
}

@Suite struct HandMadeModelTests {
    @Test func pre35PagemapEntryInParentMeansParent() throws {
        let old = try PagemapEntry(bytes: ModelTestWriter.build { w in
            w.uint(1, 0x7f00_0000_0000)
            w.uint(2, 3)
            w.uint(3, 1)
        })
        #expect(old.flags == nil && old.inParent == true)
        #expect(old.effectiveFlags == .parent)
        #expect(old.effectivePageCount == 3)
        let notInParent = try PagemapEntry(bytes: ModelTestWriter.build { w in
            w.uint(1, 0x1000)
            w.uint(2, 1)
            w.uint(3, 0)
        })
        #expect(notInParent.effectiveFlags == .present)
        let bare = try PagemapEntry(bytes: ModelTestWriter.build { w in w.uint(1, 0x1000); w.uint(2, 1) })
        #expect(bare.inParent == nil && bare.effectiveFlags == .present)
    }

    @Test func pre42PagemapEntryCountsFromField2() throws {
        let old = try PagemapEntry(bytes: ModelTestWriter.build { w in
            w.uint(1, 0x40_0000)
            w.uint(2, 7)
            w.uint(4, 4 | 2)
        })
        #expect(old.pageCount == nil)
        #expect(old.effectivePageCount == 7)
        #expect(old.effectiveFlags == [.present, .lazy])
        #expect(old.range(pageSize: 4096) == 0x40_0000..<0x40_7000)
        let new = try PagemapEntry(bytes: ModelTestWriter.build { w in
            w.uint(1, 0x40_0000)
            w.uint(2, 0)
            w.uint(4, 1)
            w.uint(5, 1 << 33)
        })
        #expect(new.effectivePageCount == 1 << 33)
        #expect(new.effectiveFlags == .parent)
    }

    @Test func aarch64Core() throws {
        let regs = (0..<31).map { UInt64(0x1000 + $0) }
        let core = try Core(bytes: ModelTestWriter.build { w in
            w.uint(1, 3)
            w.message(8) { ti in
                ti.uint(1, 0xdead_0000)
                ti.uint(2, 0xffff_8000_1234)
                ti.message(3) { gp in
                    gp.packed(1, Array(regs[0..<16]))
                    for r in regs[16...] { gp.uint(1, r) }   // the rest unpacked: both forms append
                    gp.uint(2, 0x7fff_fff0)
                    gp.uint(3, 0x40_1000)
                    gp.uint(4, 0x6000_0000)
                }
                ti.message(4) { fp in
                    fp.packed(1, [1, 2, 3])
                    fp.uint(2, 0x10)
                    fp.uint(3, 0x20)
                }
            }
            w.message(5) { tc in
                tc.uint(1, 0)
                tc.uint(2, 0)
                tc.string(13, "worker")
            }
        })
        #expect(core.architecture == .aarch64)
        #expect(core.architecture.description == "AARCH64")
        guard case .aarch64(let a)? = core.registers else {
            Issue.record("expected aarch64 registers, got \(String(describing: core.registers))")
            return
        }
        #expect(a.regs == regs)
        #expect(a.x(30) == 0x101e && a.x(31) == nil)
        #expect(a.sp == 0x7fff_fff0 && a.pc == 0x40_1000 && a.pstate == 0x6000_0000)
        #expect(a.tls == 0xffff_8000_1234 && a.clearTIDAddress == 0xdead_0000)
        #expect(a.fpsr == 0x10 && a.fpcr == 0x20 && !a.hasPACKeys)
        #expect(core.registers?.instructionPointer == 0x40_1000)
        #expect(core.registers?.stackPointer == 0x7fff_fff0)
        #expect(core.thread?.comm == "worker")
        #expect(core.task == nil)
    }

    @Test func otherArchitecturesArePresentButNotSummarised() throws {
        let core = try Core(bytes: ModelTestWriter.build { w in
            w.uint(1, 4)
            w.message(9) { ti in ti.uint(1, 1) }
        })
        #expect(core.architecture == .ppc64)
        #expect(core.registers == .unsummarised(.ppc64))
        #expect(core.registers?.instructionPointer == nil)
        let future = try Core(bytes: ModelTestWriter.build { w in w.uint(1, 42) })
        #expect(future.architecture == .unknown(42) && future.registers == nil)
        #expect(Architecture(rawValue: 0) == .unknown(0))
    }

    @Test func taskStatesFollowCRIUNotCrit() throws {
        func core(state: UInt64, _ extra: (inout ModelTestWriter) -> Void = { _ in }) throws -> Core {
            try Core(bytes: ModelTestWriter.build { w in
                w.uint(1, 1)
                w.message(3) { tc in
                    tc.uint(1, state)
                    tc.uint(2, state == 2 ? 9 : 0)
                    tc.uint(3, 0)
                    tc.uint(4, 0)
                    tc.uint(5, 0)
                    tc.string(6, "task")
                    extra(&tc)
                }
            })
        }
        let zombie = try core(state: 2)
        #expect(zombie.task?.state == .dead)
        #expect(zombie.task?.state == .zombie)
        #expect(zombie.task?.state.isZombie == true)
        #expect(zombie.task?.exitCode == 9)
        #expect(zombie.thread == nil && zombie.registers == nil)
        let stopped = try core(state: 3) { tc in tc.uint(21, 19) }
        #expect(stopped.task?.state == .stopped)
        #expect(stopped.task?.stopSignal == 19)
        #expect(try core(state: 1).task?.state == .alive)
        #expect(try core(state: 6).task?.state == .unknown(6))
        #expect(TaskState.stopped.description == "stopped" && TaskState.dead.description == "zombie")
    }

    @Test func unknownFdTypeIsKept() throws {
        let entry = try FileEntry(bytes: ModelTestWriter.build { w in
            w.uint(1, 99)
            w.uint(2, 7)
            w.message(40) { sub in sub.uint(1, 7) }  // a future sub-message field: skipped
        })
        #expect(entry.type == .unknown(99))
        #expect(entry.type.rawValue == 99)
        #expect(entry.file == .unknown(type: 99))
        #expect(entry.id == 7)
        let fd = try FileDescriptorInfo(bytes: ModelTestWriter.build { w in
            w.uint(1, 7)
            w.uint(2, 1)
            w.uint(3, 99)
            w.uint(4, 5)
        })
        #expect(fd.type == .unknown(99) && fd.isCloseOnExec && fd.fd == 5)
        #expect(FileDescriptorType(rawValue: 20) == .pidfd)
        // A known type whose sub-message is missing.
        let missing = try FileEntry(bytes: ModelTestWriter.build { w in w.uint(1, 1); w.uint(2, 3) })
        #expect(missing.type == .regular && missing.file == .missing)
    }

    @Test func pidfdAndDefaults() throws {
        let entry = try FileEntry(bytes: ModelTestWriter.build { w in
            w.uint(1, 20)
            w.uint(2, 4)
            w.message(22) { p in
                p.uint(1, 4)
                p.uint(2, 1234)
                p.uint(3, 2)
                p.int(4, -1)
                p.message(5) { _ in }
            }
        })
        guard case .pidfd(let pidfd) = entry.file else { Issue.record("not a pidfd: \(entry.file)"); return }
        #expect(pidfd.pid == -1 && pidfd.inode == 1234)
        let reg = try RegularFile(bytes: ModelTestWriter.build { w in w.uint(1, 1); w.string(6, "/x") })
        #expect(reg.mountID == -1)
        let regWithMount = try RegularFile(bytes: ModelTestWriter.build { w in w.uint(1, 1); w.sint(7, 42) })
        #expect(regWithMount.mountID == 42)
        let packet = try PacketSocket(bytes: ModelTestWriter.build { w in w.uint(1, 1) })
        #expect(packet.fanout == 0xffff_ffff)
        let bpf = try BPFMapFile(bytes: ModelTestWriter.build { w in w.uint(1, 1) })
        #expect(bpf.mountID == -1)
        let x86 = try Core(bytes: ModelTestWriter.build { w in
            w.uint(1, 1)
            w.message(2) { ti in
                ti.message(2) { gp in gp.uint(17, 0x401000) }
                ti.message(4) { tls in tls.uint(1, 12) }
            }
        })
        guard case .x86_64(let regs)? = x86.registers else { Issue.record("no x86 registers"); return }
        #expect(regs.mode == .native, "user_x86_regs_entry.mode defaults to NATIVE")
        #expect(regs.ip == 0x401000 && !regs.hasXSave)
        #expect(regs.tls.first?.readExecOnly == true && regs.tls.first?.segmentNotPresent == true)
        let compat = try X86Registers(bytes: ModelTestWriter.build { w in w.message(2) { gp in gp.uint(28, 2) } })
        #expect(compat.mode == .compat)
    }

    @Test func wrongWireTypeNamesTheKeyOffset() throws {
        // vaddr (field 1) sent length-delimited: the key is the 3rd byte.
        let bytes = ModelTestWriter.build { w in
            w.uint(2, 1)
            w.bytes(1, [1, 2])
        }
        do throws(ImageError) {
            _ = try PagemapEntry(bytes: bytes)
            Issue.record("accepted a length-delimited vaddr")
        } catch {
            #expect(error.code == .wrongWireType)
            #expect(error.offset == 2)
        }
        // Nested: file_entry.reg.flags (field 2) as fixed32, inside a sub-message.
        let nested = ModelTestWriter.build { w in
            w.uint(1, 1)
            w.uint(2, 1)
            w.message(3) { reg in
                reg.uint(1, 1)
                reg.key(2, 5)
                reg.bytes += [0, 0, 0, 0]
            }
        }
        do throws(ImageError) {
            _ = try FileEntry(bytes: nested)
            Issue.record("accepted a fixed32 flags")
        } catch {
            #expect(error.code == .wrongWireType)
            #expect(error.offset == 8, "4 bytes of type/id, 2 of the reg key and length, 2 of reg.id")
        }
        // Through the image API: offsets are absolute in the file, with file, image and entry.
        let good = ModelTestWriter.build { w in w.uint(1, 0x1000); w.uint(2, 0); w.uint(4, 4); w.uint(5, 1) }
        let image = modelTestImage(magic: [0x5456_4319, 0x5608_4025], entries: [[0x08, 0x01], good, bytes])
        do throws(ImageError) {
            _ = try Pagemap.decode(image, fileName: "pagemap-1.img")
            Issue.record("accepted a corrupt pagemap")
        } catch {
            #expect(error.code == .wrongWireType)
            // magic 8 + (4 + 2) head + (4 + good) + 4 size word + 2 bytes into the entry.
            #expect(error.offset == 8 + 6 + 4 + good.count + 4 + 2)
            #expect(error.file == "pagemap-1.img" && error.image == "PAGEMAP" && error.entry == 2)
        }
        // A varint where a sub-message belongs.
        #expect(throws: ImageError.self) { try Core(bytes: ModelTestWriter.build { w in w.uint(3, 1) }) }
    }

    @Test func unknownFieldsAreSkipped() throws {
        let vma = try VMA(bytes: ModelTestWriter.build { w in
            w.uint(1, 0x1000)
            w.uint(99, 5)
            w.bytes(100, [1, 2, 3])
            w.key(101, 1)
            w.bytes += [UInt8](repeating: 0, count: 8)
            w.uint(2, 0x3000)
            w.uint(6, 0x40000 | 0x20 | 0x2 | (21 << 26))
            w.uint(7, 0x10000)
            w.sint(8, -1)
        })
        #expect(vma.range == 0x1000..<0x3000 && vma.size == 0x2000)
        #expect(vma.fd == -1)
        #expect(vma.flags.contains(.hugeTLB) && vma.flags.hugePageShift == 21 && vma.flags.hugePageSize == 2 << 20)
        #expect(vma.isGuard && !vma.isRegular)
        #expect(vma.madvise == nil && vma.fileFlags == nil)
    }

    @Test func linuxNamesKeepTheirBytes() throws {
        let raw: [UInt8] = [0x66, 0x6f, 0xff, 0x6f]
        let task = try TaskCore(bytes: ModelTestWriter.build { w in w.uint(1, 1); w.bytes(6, raw) })
        #expect(task.comm.bytes == raw)
        #expect(task.comm.string == nil && !task.comm.isValidUTF8)
        #expect(task.comm.description == "fo\u{FFFD}o")
        let mount = try Mount(bytes: ModelTestWriter.build { w in w.uint(1, 99); w.bytes(7, [0x2f, 0x80]) })
        #expect(mount.mountPoint.bytes == [0x2f, 0x80] && mount.filesystemType == .unknown(99))
    }

    @Test func addressesCapabilitiesAndAuxv() throws {
        #expect(InetAddress(words: [0x0100_007f])?.description == "127.0.0.1")
        #expect(InetAddress(words: [0x0100_007f], byteOrder: .bigEndian)?.description == "1.0.0.127")
        #expect(InetAddress(words: [0, 0, 0, 0x0100_0000])?.description == "::1")
        #expect(InetAddress(words: [0x0000_80fe, 0, 0x0000_0002, 0x0100_0000])?.description == "fe80::200:0:0:1")
        #expect(InetAddress(words: [0, 0, 0xffff_0000, 0x0100_007f])?.description == "::ffff:127.0.0.1")
        #expect(InetAddress(words: [0xb80d_0120, 0, 0, 0])?.description == "2001:db8::")
        #expect(InetAddress(words: []) == nil && InetAddress(words: [1, 2]) == nil)
        #expect(CapabilitySet(words: [1 << 21, 1]).capabilities == [21, 32])
        let mm = try MemoryMap(bytes: ModelTestWriter.build { w in
            w.packed(13, [33, 0x7fff_0000, 6, 16384, 0, 0, 0, 0])
        })
        #expect(mm.pageSize == 16384)
        #expect(mm.auxiliaryVector == [AuxiliaryVectorEntry(type: 33, value: 0x7fff_0000), AuxiliaryVectorEntry(type: 6, value: 16384)])
        #expect(mm.savedAuxv.count == 8)
    }

    @Test func deeplyNestedCgroupDirectoriesAreRejected() throws {
        var dir = ModelTestWriter.build { w in w.string(1, "leaf") }
        for _ in 0..<100 {
            let inner = dir
            dir = ModelTestWriter.build { w in w.string(1, "d"); w.bytes(2, inner) }
        }
        let entry = ModelTestWriter.build { w in w.message(2) { c in c.bytes(2, dir) } }
        #expect(throws: ImageError.self) { try Cgroups(bytes: entry) }
        var shallow = ModelTestWriter.build { w in w.string(1, "leaf") }
        for _ in 0..<10 {
            let inner = shallow
            shallow = ModelTestWriter.build { w in w.string(1, "d"); w.bytes(2, inner) }
        }
        let ok = try Cgroups(bytes: ModelTestWriter.build { w in w.message(2) { c in c.bytes(2, shallow) } })
        #expect(ok.controllers.first?.directories.first?.children.count == 1)
    }

    @Test func seccompStacksFollowPrev() throws {
        let seccomp = try Seccomp(bytes: ModelTestWriter.build { w in
            w.message(1) { f in f.bytes(1, [UInt8](repeating: 0, count: 16)) }
            w.message(1) { f in f.bytes(1, [UInt8](repeating: 1, count: 8)); f.uint(2, 0); f.uint(3, 1) }
        })
        #expect(seccomp.stack(endingAt: 1).map(\.instructionCount) == [2, 1])
        #expect(seccomp.filters[1].previous == 0 && seccomp.filters[0].previous == nil)
    }

    @Test func pagemapDecodingScales() throws {
        var entries: [[UInt8]] = [[0x08, 0x05]]
        for i in 0..<50_000 {
            entries.append(ModelTestWriter.build { w in w.uint(1, UInt64(i) << 12); w.uint(2, 0); w.uint(4, 4); w.uint(5, 1) })
        }
        let image = modelTestImage(magic: [0x5456_4319, 0x5608_4025], entries: entries)
        let clock = ContinuousClock()
        var pagemap: Pagemap?
        let elapsed = try clock.measure { pagemap = try Pagemap.decode(image, fileName: "pagemap-9.img") }
        #expect(pagemap?.entries.count == 50_000 && pagemap?.pagesID == 5)
        #expect(pagemap?.presentPageCount == 50_000)
        print("pagemap: 50000 entries framed and decoded in \(elapsed)")
    }
}

@Suite struct SInt32ModelTests {
    /// thread_core.sched_nice is sint32: the varint 2^32 + 3 keeps its low 32 bits (3), which zig-zag to -2,
    /// as protobuf-c and the generic decoder read it.
    @Test func sint32TakesTheLow32Bits() throws {
        let message = Proto().varint(1, 0).varint(2, 0).varint(3, (1 << 32) + 3)
        let typed = try ThreadCore(bytes: message.bytes)
        #expect(typed.schedulingNice == -2)
        let generic = try GenericDecoder().decode("thread_core_entry", from: message.bytes)
        #expect(generic["sched_nice"]?.values == [.signed(-2)])
    }
}
