public import Checkpoint
import CheckpointArchive
import CRIUImages
import Foundation

/// How urgently a triage finding deserves a look.
public enum TriageSeverity: String, Hashable, Sendable, Codable, CaseIterable, Comparable {
    /// A strong indicator of compromise: injected code, a fileless program, a reverse shell, a privileged container.
    case critical
    /// Suspicious or risky, worth checking: a preloaded library, a secret in the environment, an added executable.
    case warning
    /// Context for the analyst: connections to peers outside the checkpoint, library search paths.
    case info

    var rank: Int {
        switch self {
        case .critical: 0
        case .warning: 1
        case .info: 2
        }
    }

    /// Orders by urgency: critical first.
    public static func < (a: TriageSeverity, b: TriageSeverity) -> Bool { a.rank < b.rank }
}

/// What a triage finding rests on: the process, the memory range, the descriptors, the path, the
/// socket endpoints, and the image and entry that say so. Fields that do not apply are nil or empty.
public struct TriageEvidence: Hashable, Sendable {
    /// An IP endpoint: the address as text and the port.
    public struct Endpoint: Hashable, Sendable, CustomStringConvertible {
        /// `127.0.0.1`, `::1`.
        public var address: String
        /// The port.
        public var port: UInt32
        /// `127.0.0.1:80`, `[::1]:80`.
        public var description: String { (address.contains(":") ? "[\(address)]" : address) + ":\(port)" }
    }

    /// A process holding the thing a finding is about, with its descriptors.
    public struct Holder: Hashable, Sendable {
        /// The process.
        public var pid: UInt32
        /// Its `comm`.
        public var command: String
        /// The descriptors (empty when held otherwise, as an executable or a mapping).
        public var fds: [UInt32]
    }

    /// The process.
    public var pid: UInt32?
    /// The process's `comm`.
    public var command: String?
    /// A virtual address range of the process.
    public var addressRange: Range<UInt64>?
    /// The range's protection and sharing, as `/proc/PID/maps` shows them (`rwxp`).
    public var protection: String?
    /// File descriptors of ``pid``.
    public var fds: [UInt32] = []
    /// A path (an executable, a library, a file of the container, a mount's source).
    public var path: String?
    /// A socket's local endpoint.
    public var local: Endpoint?
    /// A socket's peer.
    public var remote: Endpoint?
    /// Every process holding the thing (a connection shared by a shell and its children).
    public var holders: [Holder] = []
    /// The member path of the image (or archive member) the evidence is in.
    public var image: String?
    /// The entry of ``image``.
    public var entry: Int?
    /// A field inside the entry (`vmas[6]`, `exe_file_id`).
    public var field: String?
    /// The first bytes of a memory region or file, when the checkpoint holds them.
    public var firstBytes: [UInt8]?
    /// The executable header those bytes begin with (`ELF 64-bit LSB executable, x86-64`), if any.
    public var header: String?
    /// An environment variable's name, or a capability, a namespace...
    public var name: String?
    /// Its value; a secret's value is masked unless ``Triage/Options/showSecrets``.
    public var value: String?
    /// Other facts, in display order.
    public var details: [Detail] = []

    /// One labelled fact (`size: 762480`).
    public struct Detail: Hashable, Sendable {
        /// The label.
        public var key: String
        /// The value, as text.
        public var value: String
        /// A detail from a label and a value.
        public init(_ key: String, _ value: String) {
            self.key = key
            self.value = value
        }
    }

    /// Empty evidence; fill in what applies.
    public init() {}
}

/// One result of ``Triage``: a stable id, a severity, a one-line statement and its evidence.
///
/// ``id`` is stable (`code.rwx`, `exe.memfd`, `net.reverse-shell`...): scripts may match on it;
/// the statement's wording may change.
public struct TriageFinding: Hashable, Sendable {
    /// The stable id of the check that fired.
    public var id: String
    /// How urgent it is.
    public var severity: TriageSeverity
    /// What was found, in one line.
    public var message: String
    /// What it rests on.
    public var evidence: TriageEvidence

    /// A finding.
    public init(id: String, severity: TriageSeverity, message: String, evidence: TriageEvidence) {
        self.id = id
        self.severity = severity
        self.message = message
        self.evidence = evidence
    }
}

/// The result of triaging a checkpoint.
public struct TriageReport: Sendable {
    /// The id of the JSON schema a report is written in.
    public static let schemaVersion = "ckpt-inspect/triage/v1"

    /// The path that was triaged.
    public var path: String
    /// Every finding: critical first, then warning, then info; within a severity by check, then pid and address.
    public var findings: [TriageFinding]
    /// The ids of the checks that ran, whether or not they fired.
    public var checks: [String]
    /// What could not be checked, and why (an environment whose pages were not dumped...).
    public var incomplete: [String]

    /// Findings with this id.
    public func findings(_ id: String) -> [TriageFinding] { findings.filter { $0.id == id } }
    /// Findings of this severity or more urgent.
    public func findings(atLeast severity: TriageSeverity) -> [TriageFinding] { findings.filter { $0.severity <= severity } }
}

/// Connects the raw facts of a checkpoint into findings an analyst acts on, as Volatility's
/// malfind, psaux, envars, lsof and sockstat do for a memory image: code outside files, fileless
/// and vanished programs, reverse shells and outside connections, preloads and secrets in the
/// environment, libraries from temporary places, the container's posture, and executables the
/// container added.
///
/// ```swift
/// let report = try Triage.run(try Checkpoint.open("checkpoint.tar"))
/// for f in report.findings(atLeast: .warning) { print(f.severity, f.id, f.message) }
/// ```
///
/// Every finding names its evidence; nothing is reported without it. Memory is read in one batched
/// fetch (one pass over a compressed archive); the file layers are read in place.
public enum Triage {
    /// Choices for ``run(_:options:)``.
    public struct Options: Sendable {
        /// Show the values of variables that look like secrets (masked by default).
        public var showSecrets: Bool
        /// The container image's root file system on this machine: executables that are neither
        /// there nor in the rootfs diff are reported (`exe.missing`).
        public var rootfs: String?

        /// Options; by default secrets are masked and no image root is compared.
        public init(showSecrets: Bool = false, rootfs: String? = nil) {
            self.showSecrets = showSecrets
            self.rootfs = rootfs
        }
    }

    /// Every check, in the order they run.
    public static let checks = [
        "code.rwx", "code.anonymous-exec", "code.memfd-exec", "code.exec-stack", "code.exec-heap",
        "exe.memfd", "exe.deleted", "exe.missing", "exe.added", "exe.tmpfs",
        "process.kernel-thread-name", "process.comm-mismatch",
        "net.reverse-shell", "net.external-connection",
        "env.ld-preload", "env.ld-audit", "env.ld-library-path", "env.credential",
        "lib.temporary-path",
        "posture.privileged", "posture.capability", "posture.host-namespace", "posture.host-mount",
        "posture.seccomp-disabled", "posture.lsm-disabled",
        "file.added-executable", "file.setid",
    ]

    /// Triages a checkpoint.
    ///
    /// The memory the checks read (command lines, environments, the first bytes of suspicious
    /// regions) is fetched in one batch; with `reader`, the ``TriageReader`` the checkpoint was
    /// opened with (``Checkpoint/open(_:options:streaming:)``), it was read during the opening pass.
    ///
    /// - Throws: ``CheckpointError`` when images the checks need cannot be read.
    public static func run(_ checkpoint: Checkpoint, options: Options = Options(), reader: TriageReader? = nil) throws(CheckpointError) -> TriageReport {
        var context = try TriageContext(checkpoint, options: options, fetched: reader?.fetched(in: checkpoint))
        var findings: [TriageFinding] = []
        findings += context.codeFindings()
        findings += context.executableFindings()
        findings += context.processNameFindings()
        findings += context.networkFindings()
        findings += context.environmentFindings()
        findings += context.libraryFindings()
        findings += ContainerPosture.findings(specDump: context.engineFile("spec.dump"), configDump: context.engineFile("config.dump"))
        findings += try context.fileFindings()
        let order = Dictionary(uniqueKeysWithValues: checks.enumerated().map { ($1, $0) })
        findings.sort {
            ($0.severity.rank, order[$0.id] ?? 99, $0.evidence.pid ?? 0, $0.evidence.addressRange?.lowerBound ?? 0, $0.evidence.path ?? "", $0.evidence.name ?? "")
                < ($1.severity.rank, order[$1.id] ?? 99, $1.evidence.pid ?? 0, $1.evidence.addressRange?.lowerBound ?? 0, $1.evidence.path ?? "", $1.evidence.name ?? "")
        }
        return TriageReport(path: checkpoint.path, findings: findings, checks: checks, incomplete: context.incomplete)
    }
}

/// The memory ``Triage`` reads, read while a checkpoint is opened: pass it to
/// ``Checkpoint/open(_:options:streaming:)`` and then to ``Triage/run(_:options:reader:)``, and a
/// compressed archive is decompressed once for both.
public final class TriageReader: PageStreamConsumer {
    /// The bytes of each planned range, filled as pieces arrive.
    private var buffers: [TriageContext.Slot: [UInt8]] = [:]
    /// Per image set, what each piece is: whose range, and where in it.
    private var targets: [Int: [(slot: TriageContext.Slot, at: Int)]] = [:]

    /// A reader with nothing read yet.
    public init() {}

    /// The pieces of set `set` the checks read: command lines, environments, candidate regions' first bytes.
    public func pieces(ofSet set: Int, in checkpoint: Checkpoint) throws(CheckpointError) -> [PageRequest] {
        var requests: [PageRequest] = []
        var mine: [(TriageContext.Slot, Int)] = []
        for planned in TriageContext.plan(checkpoint) {
            for piece in planned.space.pieces(address: planned.range.lowerBound, length: UInt64(planned.range.count)) {
                guard case .file(let file, let offset) = piece.location, file.set == set else { continue }
                requests.append(PageRequest(file: file, offset: offset, count: Int(piece.length)))
                mine.append((planned.slot, Int(piece.address - planned.range.lowerBound)))
            }
        }
        targets[set] = mine
        return requests
    }

    /// Keeps the bytes of a piece.
    public func consume(set: Int, piece: Int, position: UInt64, bytes: UnsafeRawBufferPointer) {
        guard let (slot, at) = targets[set]?[piece] else { return }
        let start = at + Int(position)
        var buffer = buffers[slot] ?? []
        if buffer.count < start + bytes.count { buffer.append(contentsOf: repeatElement(0, count: start + bytes.count - buffer.count)) }
        buffer.withUnsafeMutableBytes { UnsafeMutableRawBufferPointer(rebasing: $0[start..<start + bytes.count]).copyMemory(from: bytes) }
        buffers[slot] = buffer
    }

    /// Forgets what was read.
    public func reset() {
        buffers = [:]
    }

    /// What was read for the checkpoint this reader opened, in the form the checks take.
    func fetched(in checkpoint: Checkpoint) -> TriageContext.Fetched {
        var out: TriageContext.Fetched = [:]
        for planned in TriageContext.plan(checkpoint) {
            let buffer = buffers[planned.slot] ?? []
            var bytes: [UInt8]? = []
            var hole: MemoryHole?
            for piece in planned.space.pieces(address: planned.range.lowerBound, length: UInt64(planned.range.count)) {
                let from = Int(piece.address - planned.range.lowerBound), to = from + Int(piece.length)
                guard case .file = piece.location, to <= buffer.count else {
                    if case .hole(let why) = piece.location { hole = why } else { hole = .damaged }
                    break
                }
                bytes! += buffer[from..<to]
            }
            if hole != nil && bytes?.isEmpty == true { bytes = nil }
            out[planned.slot] = (bytes, hole)
        }
        return out
    }
}
