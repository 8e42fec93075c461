/// One thread's core image, `core-<tid>.img`. Mirrors `core_entry`.
///
/// A live thread-group leader has ``task``, ``thread`` and registers; a live non-leader
/// thread has no ``task``; a zombie (``TaskState/dead``) has ``task`` only.
public struct Core: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "core_entry"

    /// `mtype`: the architecture of the dumped task; selects the register field that is set.
    public var architecture: Architecture = .unknown(0)
    /// `tc`: the per-process part (leader and zombie cores only).
    public var task: TaskCore?
    /// `ids`: legacy location of the kernel-object ids (modern CRIU writes `ids-<pid>.img`).
    public var ids: KernelObjectIDs?
    /// `thread_core`: the per-thread part (absent for zombies).
    public var thread: ThreadCore?
    /// The register state: `thread_info` (x86_64, also 32-bit compat tasks) or `ti_aarch64`,
    /// summarised; other architectures' `ti_*` fields are recognised but not summarised.
    /// The field matching ``architecture`` wins when several are present.
    public var registers: Registers?

    /// Decodes the message from the wire (see ``ImageMessage``).
    public init(from reader: inout WireReader) throws(ImageError) {
        var found: [Registers] = []
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: architecture = Architecture(rawValue: try reader.u32(key))
            case 2: found.append(.x86_64(try reader.message(key)))
            case 3: task = try reader.message(key)
            case 4: ids = try reader.message(key)
            case 5: thread = try reader.message(key)
            case 8: found.append(.aarch64(try reader.message(key)))
            case 6, 9, 10, 11, 12, 13:
                try reader.expectLengthDelimited(key)
                _ = try reader.readLengthDelimitedRange()
                found.append(.unsummarised(Registers.architecture(ofField: key.number)))
            default: try reader.skip(key.wireType)
            }
        }
        registers = found.last { $0.architecture == architecture } ?? found.last
    }
}

/// The architecture of a dumped task. Mirrors enum `core_entry.march`.
public enum Architecture: Hashable, Sendable, RawRepresentable, CustomStringConvertible {
    /// `X86_64` (1).
    case x86_64
    /// `ARM` (2).
    case arm
    /// `AARCH64` (3).
    case aarch64
    /// `PPC64` (4).
    case ppc64
    /// `S390` (5).
    case s390
    /// `MIPS` (6).
    case mips
    /// `LOONGARCH64` (7).
    case loongarch64
    /// `RISCV64` (8).
    case riscv64
    /// `UNKNOWN` (0) or a value this library does not know.
    case unknown(UInt32)

    /// Maps a stored number to a case; numbers this library does not know become `unknown`.
    public init(rawValue: UInt32) {
        switch rawValue {
        case 1: self = .x86_64
        case 2: self = .arm
        case 3: self = .aarch64
        case 4: self = .ppc64
        case 5: self = .s390
        case 6: self = .mips
        case 7: self = .loongarch64
        case 8: self = .riscv64
        default: self = .unknown(rawValue)
        }
    }

    /// The number as stored in the image.
    public var rawValue: UInt32 {
        switch self {
        case .x86_64: 1
        case .arm: 2
        case .aarch64: 3
        case .ppc64: 4
        case .s390: 5
        case .mips: 6
        case .loongarch64: 7
        case .riscv64: 8
        case .unknown(let value): value
        }
    }

    /// The name CRIU's enum uses (`X86_64`, `AARCH64`...).
    public var description: String {
        switch self {
        case .x86_64: "X86_64"
        case .arm: "ARM"
        case .aarch64: "AARCH64"
        case .ppc64: "PPC64"
        case .s390: "S390"
        case .mips: "MIPS"
        case .loongarch64: "LOONGARCH64"
        case .riscv64: "RISCV64"
        case .unknown(let value): value == 0 ? "UNKNOWN" : "unknown(\(value))"
        }
    }

    /// The machine name as `uname -m` prints it on such a host (`x86_64`, `aarch64`, `ppc64le`, `s390x`...).
    public var machineName: String {
        switch self {
        case .x86_64: "x86_64"
        case .arm: "arm"
        case .aarch64: "aarch64"
        case .ppc64: "ppc64le"
        case .s390: "s390x"
        case .mips: "mips64"
        case .loongarch64: "loongarch64"
        case .riscv64: "riscv64"
        case .unknown(let n): "unknown(\(n))"
        }
    }

    /// True for the big-endian architecture (s390x): raw payloads and IP words use its byte order.
    public var isBigEndian: Bool { self == .s390 }
}
