internal import CHostProbe
import Foundation

/// The x86 CPU features CRIU compares between `cpuinfo.img` and the restoring CPU, and the XSAVE state
/// components a thread's saved FPU state uses.
///
/// `cpuinfo_x86_entry.capability` holds 19 32-bit words (`capability_ver` 2; 12 in version 1). Each word is
/// one CPUID output register, in the order of ``words``, except words 2, 3, 5, 7 and 8, which are
/// Linux-defined; of those CRIU sets only three bits of word 3 (`rep_good`, `nopl`, `cpuid`).
///
/// At restore, `--cpu-cap` (which also makes CRIU read `cpuinfo.img`) checks by default:
/// - **fpu**: `fpu`, `fxsr`, `osxsave` and `xsaves` set in the image must be set here; the image's XSAVE
///   components must all be offered here; the XSAVE area sizes (current and maximum) must be equal.
/// - **ins**: every instruction-set feature of ``instructionFeatures`` set in the image must be set here
///   (the target may have more).
///
/// `--cpu-cap=cpu` (strict: every word equal) is not the default and not checked here.
public enum CPUFeatures {
    /// Where a capability word comes from.
    public struct Word: Hashable, Sendable {
        /// The word's index in `capability`.
        public var index: Int
        /// The CPUID leaf (EAX), or nil for a Linux-defined word.
        public var leaf: UInt32?
        /// The CPUID subleaf (ECX).
        public var subleaf: UInt32
        /// The output register: 0 EAX, 1 EBX, 2 ECX, 3 EDX.
        public var register: Int
        /// `CPUID 7.0 EBX`, or `Linux-defined`.
        public var label: String {
            guard let leaf else { return "Linux-defined" }
            return "CPUID 0x\(String(leaf, radix: 16)).\(subleaf) \(["EAX", "EBX", "ECX", "EDX"][register])"
        }
    }

    /// A named feature bit.
    public struct Feature: Hashable, Sendable {
        /// The name the kernel gives it in /proc/cpuinfo (`avx2`, `sse4_2`).
        public var name: String
        /// The capability word.
        public var word: Int
        /// The bit in the word.
        public var bit: Int
    }

    /// The 19 capability words of layout version 2 (the first 12 are version 1).
    public static let words: [Word] = [
        Word(index: 0, leaf: 0x1, subleaf: 0, register: 3),
        Word(index: 1, leaf: 0x8000_0001, subleaf: 0, register: 3),
        Word(index: 2, leaf: nil, subleaf: 0, register: 0),
        Word(index: 3, leaf: nil, subleaf: 0, register: 0),
        Word(index: 4, leaf: 0x1, subleaf: 0, register: 2),
        Word(index: 5, leaf: nil, subleaf: 0, register: 0),
        Word(index: 6, leaf: 0x8000_0001, subleaf: 0, register: 2),
        Word(index: 7, leaf: nil, subleaf: 0, register: 0),
        Word(index: 8, leaf: nil, subleaf: 0, register: 0),
        Word(index: 9, leaf: 0x7, subleaf: 0, register: 1),
        Word(index: 10, leaf: 0xD, subleaf: 1, register: 0),
        Word(index: 11, leaf: 0x7, subleaf: 0, register: 2),
        Word(index: 12, leaf: 0xF, subleaf: 1, register: 3),
        Word(index: 13, leaf: 0x8000_0008, subleaf: 0, register: 1),
        Word(index: 14, leaf: 0x6, subleaf: 0, register: 0),
        Word(index: 15, leaf: 0x8000_000A, subleaf: 0, register: 3),
        Word(index: 16, leaf: 0xF, subleaf: 0, register: 3),
        Word(index: 17, leaf: 0x8000_0007, subleaf: 0, register: 1),
        Word(index: 18, leaf: 0x7, subleaf: 0, register: 3),
    ]

    /// Words per layout version.
    public static func wordCount(version: UInt32) -> Int? {
        switch version {
        case 1: 12
        case 2: 19
        default: nil
        }
    }

    static func f(_ name: String, _ word: Int, _ bit: Int) -> Feature { Feature(name: name, word: word, bit: bit) }

    /// The features the FPU check compares (a restore needs every one the image has).
    public static let fpuFeatures: [Feature] = [f("fpu", 0, 0), f("fxsr", 0, 24), f("osxsave", 4, 27), f("xsaves", 10, 3)]

    /// The instruction-set features the default `ins` check compares (bit positions of the Intel SDM and
    /// AMD APM CPUID tables; names as in /proc/cpuinfo).
    public static let instructionFeatures: [Feature] = [
        // CPUID 1 EDX
        f("fpu", 0, 0), f("tsc", 0, 4), f("cx8", 0, 8), f("sep", 0, 11), f("cmov", 0, 15), f("clflush", 0, 19), f("mmx", 0, 23),
        f("fxsr", 0, 24), f("sse", 0, 25), f("sse2", 0, 26),
        // CPUID 0x80000001 EDX
        f("syscall", 1, 11), f("mmxext", 1, 22), f("rdtscp", 1, 27), f("3dnowext", 1, 30), f("3dnow", 1, 31),
        // Linux-defined
        f("rep_good", 3, 16), f("nopl", 3, 20),
        // CPUID 1 ECX
        f("pni", 4, 0), f("pclmulqdq", 4, 1), f("monitor", 4, 3), f("ssse3", 4, 9), f("cx16", 4, 13), f("sse4_1", 4, 19), f("sse4_2", 4, 20),
        f("movbe", 4, 22), f("popcnt", 4, 23), f("aes", 4, 25), f("xsave", 4, 26), f("osxsave", 4, 27), f("avx", 4, 28), f("f16c", 4, 29),
        f("rdrand", 4, 30),
        // CPUID 0x80000001 ECX
        f("abm", 6, 5), f("sse4a", 6, 6), f("misalignsse", 6, 7), f("3dnowprefetch", 6, 8), f("xop", 6, 11), f("fma4", 6, 16), f("tbm", 6, 21),
        // CPUID 7.0 EBX
        f("fsgsbase", 9, 0), f("bmi1", 9, 3), f("hle", 9, 4), f("avx2", 9, 5), f("bmi2", 9, 8), f("erms", 9, 9), f("rtm", 9, 11), f("mpx", 9, 14),
        f("avx512f", 9, 16), f("avx512dq", 9, 17), f("rdseed", 9, 18), f("adx", 9, 19), f("clflushopt", 9, 23), f("avx512pf", 9, 26),
        f("avx512er", 9, 27), f("avx512cd", 9, 28), f("sha_ni", 9, 29), f("avx512bw", 9, 30), f("avx512vl", 9, 31),
        // CPUID 0xD.1 EAX
        f("xsaveopt", 10, 0), f("xsavec", 10, 1), f("xgetbv1", 10, 2),
        // CPUID 7.0 ECX
        f("avx512vbmi", 11, 1), f("avx512_vbmi2", 11, 6), f("gfni", 11, 8), f("vaes", 11, 9), f("vpclmulqdq", 11, 10), f("avx512_vnni", 11, 11),
        f("avx512_bitalg", 11, 12), f("tme", 11, 13), f("avx512_vpopcntdq", 11, 14), f("rdpid", 11, 22),
        // CPUID 0x80000008 EBX
        f("clzero", 13, 0),
        // CPUID 7.0 EDX
        f("avx512_4vnniw", 18, 2), f("avx512_4fmaps", 18, 3),
    ]

    /// XSAVE state components by bit (`xstate_bv`, XCR0), with the CPUID feature that enables each.
    public static let xsaveComponents: [(bit: Int, name: String, feature: Feature?)] = [
        (0, "x87", f("fpu", 0, 0)), (1, "SSE", f("sse", 0, 25)), (2, "AVX", f("avx", 4, 28)),
        (3, "MPX bounds", f("mpx", 9, 14)), (4, "MPX CSR", f("mpx", 9, 14)),
        (5, "AVX-512 opmask", f("avx512f", 9, 16)), (6, "AVX-512 ZMM_Hi256", f("avx512f", 9, 16)), (7, "AVX-512 Hi16_ZMM", f("avx512f", 9, 16)),
        (9, "PKRU", f("pku", 11, 3)),
    ]

    /// The user-state components a restore can put back (x87, SSE, AVX, MPX, AVX-512, PKRU).
    public static let userComponentMask: UInt64 = 0b10_1111_1111

    /// Names of the components in `mask` (`AVX, PKRU`).
    public static func componentNames(_ mask: UInt64) -> [String] {
        xsaveComponents.filter { mask & (1 << UInt64($0.bit)) != 0 }.map(\.name)
    }

    /// `mask` as `0x205`.
    public static func hex(_ mask: UInt64) -> String { "0x" + String(mask, radix: 16) }

    /// True when `feature` is set in `words`.
    public static func has(_ feature: Feature, in words: [UInt32]) -> Bool {
        feature.word < words.count && words[feature.word] & (1 << UInt32(feature.bit)) != 0
    }

    /// This CPU read with the cpuid instruction; nil when this is not an x86 machine.
    ///
    /// `linuxFlags` (the kernel's /proc/cpuinfo flags) give word 3's `rep_good`; `nopl` and `cpuid` are
    /// always set on x86-64, as CRIU sets them.
    static func readThisCPU(linuxFlags: Set<String>) -> NodeFacts.CPU? {
        var regs: [UInt32] = [0, 0, 0, 0]
        func cpuid(_ leaf: UInt32, _ subleaf: UInt32 = 0) -> [UInt32] {
            regs.withUnsafeMutableBufferPointer { buffer in _ = ckpt_cpuid(leaf, subleaf, buffer.baseAddress) }
            return regs
        }
        guard ckpt_cpuid(0, 0, &regs) == 0 else { return nil }
        let maxLeaf = regs[0]
        let vendorBytes = [regs[1], regs[3], regs[2]].flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> (8 * $0)) } }
        var cpu = NodeFacts.CPU()
        cpu.vendor = String(decoding: vendorBytes.prefix { $0 != 0 }, as: UTF8.self)
        cpu.source = "cpuid instruction"
        cpu.capabilityVersion = 2
        let maxExtended = cpuid(0x8000_0000)[0]
        var words = [UInt32](repeating: 0, count: words.count)
        for word in Self.words {
            guard let leaf = word.leaf else { continue }
            let available = leaf >= 0x8000_0000 ? leaf <= maxExtended && maxExtended & 0xffff_0000 == 0x8000_0000 : leaf <= maxLeaf
            guard available else { continue }
            // CPUID 0xF.1 is read only when 0xF.0 EDX says the L3 monitoring sub-leaf exists.
            if leaf == 0xF, word.subleaf == 1, cpuid(0xF)[3] & 0b10 == 0 { continue }
            words[word.index] = cpuid(leaf, word.subleaf)[word.register]
        }
        if maxLeaf >= 1 {
            let eax = cpuid(1)[0]
            var family = (eax >> 8) & 0xf
            var model = (eax >> 4) & 0xf
            if family == 0xf { family += (eax >> 20) & 0xff }
            if family >= 6 { model += ((eax >> 16) & 0xf) << 4 }
            cpu.family = family
            cpu.model = model
            cpu.stepping = eax & 0xf
        }
        if maxLeaf < 0xD { words[4] &= ~(1 << 26) }  // no XSAVE leaf: XSAVE cannot be used
        if cpu.vendor == "AuthenticAMD" || cpu.vendor == "HygonGenuine" { words[0] &= ~(1 << 31) }  // not PBE on AMD
        words[3] |= 1 << 20 | 1 << 25  // nopl, cpuid
        if linuxFlags.contains("rep_good") { words[3] |= 1 << 16 }
        cpu.capabilityWords = words
        if maxExtended >= 0x8000_0004 {
            let brand = [0x8000_0002, 0x8000_0003, 0x8000_0004].flatMap { leaf in
                cpuid(UInt32(leaf)).flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> (8 * $0)) } }
            }
            cpu.modelName = String(decoding: brand.prefix { $0 != 0 }, as: UTF8.self).trimmingCharacters(in: .whitespaces)
        }
        if maxLeaf >= 0xD, has(f("xsave", 4, 26), in: words) {
            let leaf = cpuid(0xD)
            var mask = UInt64(leaf[0]) | UInt64(leaf[3]) << 32
            for component in xsaveComponents {
                if let feature = component.feature, !has(feature, in: words) { mask &= ~(1 << UInt64(component.bit)) }
            }
            cpu.xfeaturesMask = mask & userComponentMask
            cpu.xsaveSize = leaf[1]
            cpu.xsaveSizeMax = leaf[2]
        }
        return cpu
    }
}

/// What `cpuinfo.img` (written with `--cpu-cap`) records of the dumping CPU.
public struct CPUInfoRecord: Hashable, Sendable {
    /// `vendor_id`: `INTEL` or `AMD`.
    public var vendor: String?
    /// `cpu_family`.
    public var family: UInt32?
    /// `model`.
    public var model: UInt32?
    /// `stepping`.
    public var stepping: UInt32?
    /// `model_id`: the CPU's name.
    public var modelName: String?
    /// `capability_ver`.
    public var capabilityVersion: UInt32?
    /// `capability`: the CPUID feature words.
    public var capabilityWords: [UInt32]
    /// `xfeatures_mask` (3.11+).
    public var xfeaturesMask: UInt64?
    /// `xsave_size` (3.11+).
    public var xsaveSize: UInt32?
    /// `xsave_size_max` (3.11+).
    public var xsaveSizeMax: UInt32?
}
