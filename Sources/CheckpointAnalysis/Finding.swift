/// How bad a finding is.
public enum Severity: String, Hashable, Sendable, Codable, CaseIterable, Comparable {
    /// A restore would fail, or restore wrong data.
    case error
    /// Odd, or a risk, but CRIU would go on.
    case warning
    /// Worth knowing.
    case info

    var rank: Int {
        switch self {
        case .error: 0
        case .warning: 1
        case .info: 2
        }
    }

    /// Orders by gravity: errors first, then warnings, then info.
    public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
}

/// One result of ``Verifier``: a named check that fired, with the image, entry and byte offset it is about.
///
/// ``id`` is stable (`pagemap.pages.short`, `fd.unresolved`...): scripts may match on it; messages may change.
public struct Finding: Hashable, Sendable {
    /// Where a finding comes from.
    public enum Area: String, Hashable, Sendable, Codable {
        /// The images and the archive.
        case structure
        /// `dump.log` / `restore.log`.
        case log
        /// The comparison with this machine (`--host`).
        case host
    }

    /// An image and entry that refers to the thing a finding is about (the pstree entry that names a
    /// missing core, the pagemap whose pages file is too long).
    public struct Reference: Hashable, Sendable {
        /// The member path of the referring image.
        public var image: String
        /// The referring entry's index, when known.
        public var entry: Int?
        /// A reference to `entry` of `image`.
        public init(image: String, entry: Int? = nil) {
            self.image = image
            self.entry = entry
        }
    }

    /// The stable id of the check that fired (`fd.unresolved`).
    public var id: String
    /// How bad it is.
    public var severity: Severity
    /// Which part of the verification found it.
    public var area: Area
    /// What is wrong, for people to read; the wording may change.
    public var message: String
    /// The member path of the image (or archive member) the finding is about.
    public var image: String?
    /// The entry index inside ``image`` (0-based, as framed: a pagemap's head is entry 0).
    public var entry: Int?
    /// A field or element inside the entry (`vmas[3]`, `tfd[1]`, `threads[2]`).
    public var field: String?
    /// Absolute byte offset inside ``image`` of the entry (its size word) or the fault.
    public var offset: UInt64?
    /// The image and entry that refer to the thing the finding is about.
    public var referencedFrom: Reference?
    /// What to do about it.
    public var hint: String?

    /// A finding; only the id, severity and message are required.
    public init(id: String, severity: Severity, area: Area = .structure, message: String, image: String? = nil, entry: Int? = nil,
                field: String? = nil, offset: UInt64? = nil, referencedFrom: Reference? = nil, hint: String? = nil) {
        self.id = id
        self.severity = severity
        self.area = area
        self.message = message
        self.image = image
        self.entry = entry
        self.field = field
        self.offset = offset
        self.referencedFrom = referencedFrom
        self.hint = hint
    }

    /// `checkpoint/pagemap-1.img entry 3 (vmas[2]) at byte 40`.
    public var location: String? {
        guard let image else { return nil }
        var text = image
        if let entry { text += " entry \(entry)" }
        if let field { text += " (\(field))" }
        if let offset { text += " at byte \(offset)" }
        return text
    }
}

/// A fact the verifier compared or found (`architecture: x86_64`).
public struct Fact: Hashable, Sendable {
    /// What the fact is about (`architecture`).
    public var key: String
    /// The checkpoint's value.
    public var value: String
    /// The host's value, when compared (`--host`).
    public var host: String?
    /// Whether the host value is compatible (nil: not compared).
    public var matches: Bool?

    /// A fact; with `host` and `matches` when it was compared with this machine.
    public init(_ key: String, _ value: String, host: String? = nil, matches: Bool? = nil) {
        self.key = key
        self.value = value
        self.host = host
        self.matches = matches
    }
}

/// The result of verifying a checkpoint.
public struct VerificationReport: Sendable {
    /// The id of the JSON schema a report is written in (`ckpt-inspect/verify/v2`).
    public static let schemaVersion = "ckpt-inspect/verify/v2"

    /// The path that was verified.
    public var path: String
    /// Facts about the checkpoint (and the host, with `--host`).
    public var facts: [Fact]
    /// Every finding: errors first, then warnings, then info; within a severity in check order.
    public var findings: [Finding]
    /// The ids of the checks that ran (whether or not they fired).
    public var checks: [String]
    /// The parsed logs the checkpoint carries.
    public var logs: [CRIULog]
    /// The host comparison, when asked for.
    public var host: HostReport?
    /// One verdict per machine of ``Verifier/Options/targets``, in their order.
    public var targets: [NodeVerdict] = []

    /// The findings of severity ``Severity/error``.
    public var errors: [Finding] { findings.filter { $0.severity == .error } }
    /// The findings of severity ``Severity/warning``.
    public var warnings: [Finding] { findings.filter { $0.severity == .warning } }
    /// The findings of severity ``Severity/info``.
    public var infos: [Finding] { findings.filter { $0.severity == .info } }
    /// No errors (warnings allowed).
    public var isClean: Bool { !findings.contains { $0.severity == .error } }

    /// Findings with this id.
    public func findings(_ id: String) -> [Finding] { findings.filter { $0.id == id } }
}
