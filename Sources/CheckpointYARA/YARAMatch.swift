public import Checkpoint

/// What a YARA scan looked at: one process's memory, data CRIU saved outside memory, or a file of
/// the container, each named as its source.
public enum YARATarget: Hashable, Sendable, CustomStringConvertible {
    /// A process's memory; match addresses are virtual addresses.
    case process(pid: UInt32, command: String)
    /// Data CRIU saved outside memory (``InFlightData``: a TCP or socket queue, a pipe buffer, a
    /// ghost file, a memfd no scanned process maps); match addresses are offsets in it.
    case inFlight(id: String, name: String)
    /// A file of the container (``ContainerFile``: in the rootfs diff, a tmpfs image, `/dev/shm`, a
    /// volume), by its layer and its path in the container; match addresses are offsets in it.
    case file(layer: String, path: String)

    /// `pid 7044 dev-inject`, `tcp receive queue, fd 15 of pid 23431, 127.0.0.1:44724 -> 127.0.0.1:47001`,
    /// `rootfs-diff /data/written.txt`.
    public var description: String {
        switch self {
        case .process(let pid, let command): "pid \(pid) \(command)"
        case .inFlight(_, let name): name
        case .file(let layer, let path): "\(layer) \(path)"
        }
    }

    /// True for a process (addresses are virtual), false for data and files (offsets).
    public var isMemory: Bool {
        if case .process = self { true } else { false }
    }
}

/// A rule's metadata entry (`meta:` section), in the rule's order (identifiers may repeat).
public struct YARAMetadata: Hashable, Sendable {
    /// A metadata value: YARA has strings, integers and booleans.
    public enum Value: Hashable, Sendable {
        /// `author = "..."`.
        case string(String)
        /// `version = 3`.
        case integer(Int64)
        /// `internal = true`.
        case boolean(Bool)
    }

    /// The identifier (`author`).
    public var identifier: String
    /// The value.
    public var value: Value
}

/// One match of one of a rule's strings.
public struct YARAStringMatch: Hashable, Sendable {
    /// The string's identifier, with its `$` (`$marker`).
    public var identifier: String
    /// Where the match starts: a virtual address for a process, an offset for data.
    public var address: UInt64
    /// The length of the match in bytes.
    public var length: Int
    /// The matched bytes (the first ``YARAScan/matchDataLimit`` of them).
    public var bytes: [UInt8]
    /// True when the rule wrote the string as hex (`{ 4D 5A }`): show the bytes as hex.
    public var isHex: Bool
    /// The VMA holding the match (processes only).
    public var region: Region?
    /// For a match in pages CRIU did not dump, read from the mapped file: the file and the offset
    /// of the match in it.
    public var origin: MappedFileOrigin? = nil

    /// A VMA, as `maps` shows it.
    public struct Region: Hashable, Sendable {
        /// Its first address.
        public var start: UInt64
        /// The address just past it.
        public var end: UInt64
        /// Its kind (`heap`, `anon`, `file`...).
        public var kind: VMAKind
        /// `rwxp` as in `/proc/PID/maps`.
        public var permissions: String
        /// The backing file, if it has one.
        public var file: String?
    }
}

/// A rule that matched one target.
public struct YARAMatch: Hashable, Sendable {
    /// The rule's identifier.
    public var rule: String
    /// Its namespace (`default` unless the rules file was given as `NAMESPACE:FILE`).
    public var namespace: String
    /// Its tags, in order.
    public var tags: [String]
    /// Its metadata, in order.
    public var metadata: [YARAMetadata]
    /// What it matched.
    public var target: YARATarget
    /// The string matches shown: the first ``YARAScan/maxMatches`` in address order.
    public var strings: [YARAStringMatch]
    /// How many string matches YARA recorded for the rule (at least ``strings``'s count).
    public var stringMatchCount: Int
    /// True when matches were left out: ``strings`` was cut at ``YARAScan/maxMatches``, or a string
    /// stopped collecting matches at that limit (then ``stringMatchCount`` is a lower bound).
    public var isTruncated: Bool
}

/// Something about one target that the scan could not do as asked.
public struct YARAProblem: Hashable, Sendable, CustomStringConvertible {
    /// How serious it is.
    public enum Severity: String, Hashable, Sendable {
        /// The target was not (fully) scanned: its result is missing or partial.
        case error
        /// The scan went on, with a limit applied or something not evaluated.
        case warning
    }

    /// How serious it is.
    public var severity: Severity
    /// The target it is about.
    public var target: YARATarget
    /// What happened.
    public var message: String

    /// `pid 7044 dev-inject: message`.
    public var description: String { "\(target): \(message)" }
}

/// The result of ``YARAScan/run(_:in:progress:)`` (and ``YARAScan/runData(_:in:)``).
public struct YARAReport: Sendable {
    /// Every rule that matched, by target (in the checkpoint's process order), then rule order.
    public var matches: [YARAMatch]
    /// The targets scanned, in order.
    public var targets: [YARATarget]
    /// Bytes handed to YARA (each dumped page once per process mapping it).
    public var bytesScanned: UInt64
    /// What could not be done (timeouts, limits, conditions a compressed archive could not serve).
    public var problems: [YARAProblem]
    /// Mapped files looked up for pages CRIU did not dump and not used, each with why
    /// (``MappedFiles/refusals``).
    public var unusedFiles: [String] = []

    /// The report of `other`'s targets after this one's.
    public func merged(with other: YARAReport) -> YARAReport {
        YARAReport(matches: matches + other.matches, targets: targets + other.targets, bytesScanned: bytesScanned + other.bytesScanned,
                   problems: problems + other.problems, unusedFiles: unusedFiles + other.unusedFiles)
    }
}

/// An error from compiling or loading rules, or from scanning.
public struct YARAError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is. New codes may be added; match with `==`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Hashable, Sendable {
            case compile, load, scan, checkpoint
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }
        /// Rules failed to compile (``YARAError/diagnostics`` has every error with its file and line).
        public static let compile = Code(.compile)
        /// A rules file could not be read, or compiled rules could not be loaded.
        public static let load = Code(.load)
        /// libyara failed while scanning.
        public static let scan = Code(.scan)
        /// The checkpoint could not be read (``YARAError/checkpoint`` has the error).
        public static let checkpoint = Code(.checkpoint)
        /// The code's name (`compile`).
        public var description: String { value.rawValue }
    }

    /// One message of the YARA compiler.
    public struct Diagnostic: Hashable, Sendable, CustomStringConvertible {
        /// True for an error, false for a warning.
        public var isError: Bool
        /// The rules file (as given, or an included file), when known.
        public var file: String?
        /// The line in it (1-based), when known.
        public var line: Int?
        /// The rule being compiled, when known.
        public var rule: String?
        /// The compiler's message.
        public var message: String

        /// `file: line N: rule R: message` (`warning: message` for a warning).
        public var description: String {
            [file, line.map { "line \($0)" }, rule.map { "rule \($0)" }, (isError ? "" : "warning: ") + message].compactMap { $0 }.joined(separator: ": ")
        }
    }

    /// The kind of failure.
    public var code: Code
    /// The file involved (a rules file, or the checkpoint).
    public var file: String
    /// What went wrong.
    public var message: String
    /// The compiler's errors and warnings (``Code/compile``).
    public var diagnostics: [Diagnostic]
    /// The checkpoint's error (``Code/checkpoint``).
    public var checkpoint: CheckpointError?

    /// An error with its code, file and message.
    public init(_ code: Code, file: String, message: String, diagnostics: [Diagnostic] = [], checkpoint: CheckpointError? = nil) {
        self.code = code
        self.file = file
        self.message = message
        self.diagnostics = diagnostics
        self.checkpoint = checkpoint
    }

    init(_ error: CheckpointError) {
        self.init(.checkpoint, file: error.source, message: error.description, checkpoint: error)
    }

    /// `file: message`; for compile errors the first error's `file: line N: message`.
    public var description: String {
        if let checkpoint { return checkpoint.description }
        if code == .compile, let first = diagnostics.first(where: \.isError) { return first.description }
        return "\(file): \(message)"
    }
}
