public import CheckpointArchive
import Foundation

/// A parsed CRIU log (`dump.log`, `pre-dump.log`, `restore.log`): what was done, how it ended, and
/// every error and warning with its source location and the lines leading to it.
///
/// Two line formats are read (CRIU-FORMAT.md 4.1):
/// - the current one, with a timestamp and, in restore logs, the pid of the task that logged:
///   `(00.116595) Error (criu/cr-restore.c:1230): Can't fork for 15047: File exists`,
///   `(00.296482)      1: Warn  (criu/sk-unix.c:1333): ...`;
/// - the older one, without timestamp and, before CRIU 2.0, without the `criu/` directory:
///   `Error (cr-restore.c:1225): BUG at cr-restore.c:1225`.
///
/// Lines that are neither (output of `ip`, `iptables-restore`...) are kept as context only.
public struct CRIULog: Hashable, Sendable {
    /// What the log records.
    public enum Operation: String, Hashable, Sendable, Codable {
        /// `dump`, `pre-dump`, `restore`, or `unknown` when neither the name nor the log says.
        case dump, preDump = "pre-dump", restore, unknown
    }

    /// How the operation ended, from CRIU's last words (`Dumping finished successfully`,
    /// `Restoring FAILED.`).
    public enum Outcome: String, Hashable, Sendable, Codable {
        /// Finished successfully, failed, or no closing line (`unknown`).
        case success, failure, unknown
    }

    /// The level of a message.
    public enum Level: String, Hashable, Sendable, Codable {
        /// An `Error` line, or a `Warn` / `Warning` line.
        case error, warning
    }

    /// Which line format the log uses.
    public enum Format: String, Hashable, Sendable, Codable {
        /// `(00.012345) ...` timestamps.
        case timestamped
        /// No timestamps (older CRIU, or a log captured from the console).
        case plain
        /// No recognisable CRIU line at all.
        case unknown
    }

    /// A plain-language reading of a common failure.
    public struct Explanation: Hashable, Sendable {
        /// Stable id (`pid-in-use`, `port-in-use`, `file-missing`...).
        public var id: String
        /// A one-line summary.
        public var title: String
        /// What the failure usually means and what to do.
        public var text: String
    }

    /// One error or warning line.
    public struct Message: Hashable, Sendable {
        /// Error or warning.
        public var level: Level
        /// 1-based line number in the log.
        public var line: Int
        /// The timestamp as written (`00.116595`), seconds since CRIU started.
        public var timestamp: String?
        /// The pid prefix of restore logs (the task that logged), if any.
        public var pid: UInt32?
        /// CRIU's source file (`criu/cr-restore.c`).
        public var sourceFile: String?
        /// The line in ``sourceFile``.
        public var sourceLine: Int?
        /// The message without prefixes.
        public var text: String
        /// Up to ``CRIULog/contextLines`` lines before this one, oldest first.
        public var context: [String]
        /// Why this line is known to be harmless, when it is.
        public var harmless: String?
        /// What the message usually means.
        public var explanation: Explanation?

        /// `criu/cr-restore.c:1230`.
        public var location: String? {
            guard let sourceFile else { return nil }
            return sourceLine.map { "\(sourceFile):\($0)" } ?? sourceFile
        }
        /// True when the message is known to be harmless.
        public var isHarmless: Bool { harmless != nil }
    }

    /// Something about how CRIU ran that a reader of its images should know: not a failure, but not
    /// a production run either.
    public struct Caution: Hashable, Sendable, Codable {
        /// A stable id (`fake-dirty-track`, `test-switch`, `non-release`).
        public var id: String
        /// The line it was seen on.
        public var line: Int
        /// One line.
        public var title: String
        /// What it means for the checkpoint.
        public var text: String
    }

    /// Whether `message` is what one of the ``cautions`` is about (every line of a test switch).
    public func isCaution(_ message: Message) -> Bool { caution(for: message) != nil }

    /// The caution `message` is about, if any.
    public func caution(for message: Message) -> Caution? {
        cautions.first { c in
            c.line == message.line || (c.id == "fake-dirty-track" && message.text.contains("CRIU_FAKE_DIRTY_TRACK"))
                || (c.id == "test-switch" && message.text.hasPrefix(String(c.title.split(separator: " ").last ?? "") + ":"))
        }
    }

    /// Lines of context kept before each message.
    public static let contextLines = 4

    /// The name the log was read under (`dump.log`).
    public var name: String
    /// What the log records.
    public var operation: Operation
    /// How the operation ended.
    public var outcome: Outcome
    /// The line that decided the outcome.
    public var outcomeLine: Int?
    /// The text of the line that decided the outcome.
    public var outcomeText: String?
    /// The line format.
    public var format: Format
    /// `Version: 4.2` from the log's header.
    public var criuVersion: String?
    /// The `gitid` of the same line (`v4.2-12-gabc1234`, or `0` when CRIU was not built from a git tree).
    public var gitID: String?
    /// What makes this run less trustworthy than one of a release CRIU: test switches in its
    /// environment, a build that is not a release (``LogKnowledge/cautions(_:)``).
    public var cautions: [Caution] = []
    /// The kernel release from `Running on <host> Linux <release> ...`.
    public var kernel: String?
    /// The machine from the same line (`x86_64`).
    public var machine: String?
    /// CRIU's description of the CPU (`x86_family 25 x86_vendor_id AuthenticAMD x86_model_id AMD EPYC`).
    public var cpu: String?
    /// The number of lines.
    public var lineCount: Int
    /// Errors and warnings in log order. The final `Dumping FAILED.` / `Restoring FAILED.` line is the
    /// outcome, not a message.
    public var messages: [Message]

    /// The error messages, in log order.
    public var errors: [Message] { messages.filter { $0.level == .error } }
    /// The warnings, in log order.
    public var warnings: [Message] { messages.filter { $0.level == .warning } }
    /// Errors not known to be harmless.
    public var significantErrors: [Message] { errors.filter { !$0.isHarmless } }
    /// The explanations of the errors that are not harmless, each once, in order of first appearance.
    public var explanations: [Explanation] {
        var seen = Set<String>()
        var out: [Explanation] = []
        for m in messages where m.level == .error && !m.isHarmless {
            if let e = m.explanation, seen.insert(e.id).inserted { out.append(e) }
        }
        // The RLIMIT line is rarely the cause; keep it only when nothing else is explained.
        let others = out.filter { $0.id != "rlimit-nofile" }
        return others.isEmpty ? out : others
    }

    /// Parses a log. Never fails: text that is not a CRIU log gives `.unknown` operation, outcome and format.
    public static func parse(_ text: String, name: String) -> CRIULog {
        var log = CRIULog(name: name, operation: .unknown, outcome: .unknown, outcomeLine: nil, outcomeText: nil,
                          format: .unknown, criuVersion: nil, kernel: nil, machine: nil, cpu: nil, lineCount: 0, messages: [])
        var recent: [String] = []
        var timestamped = 0, plain = 0
        var lineNumber = 0
        var versionLine = 0
        let lowerName = name.lowercased()
        if lowerName.contains("pre-dump") || lowerName.contains("predump") { log.operation = .preDump }
        else if lowerName.contains("restore") { log.operation = .restore }
        else if lowerName.contains("dump") { log.operation = .dump }

        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            defer {
                recent.append(String(line))
                if recent.count > contextLines { recent.removeFirst() }
            }
            guard !line.isEmpty else { continue }
            let parsed = LineParser.parse(line)
            if parsed.timestamp != nil { timestamped += 1 } else if parsed.level != nil { plain += 1 }
            let body = parsed.text

            // Header facts.
            if log.criuVersion == nil, body.hasPrefix("Version: ") {
                log.criuVersion = String(body.dropFirst("Version: ".count).prefix { $0 != " " })
                if let start = body.range(of: "(gitid ") {
                    log.gitID = String(body[start.upperBound...].prefix { $0 != ")" && $0 != " " })
                }
                versionLine = lineNumber
            }
            if log.kernel == nil, body.hasPrefix("Running on "), let range = body.range(of: " Linux ") {
                let fields = body[range.upperBound...].split(separator: " ")
                log.kernel = fields.first.map(String.init)
                if let last = fields.last, fields.count > 1 { log.machine = String(last) }
            }
            if log.cpu == nil, body.hasPrefix("cpu: x86_family") || body.hasPrefix("cpu: cpu") {
                log.cpu = String(body.dropFirst("cpu: ".count))
            }
            // Operation and outcome.
            if let (operation, outcome) = Self.outcome(of: body) {
                if log.operation == .unknown || outcome != .unknown { log.operation = operation }
                log.outcome = outcome
                log.outcomeLine = lineNumber
                log.outcomeText = body.trimmingSpaces()
                continue
            }
            if log.operation == .unknown {
                if body.hasPrefix("Dumping processes") { log.operation = .dump }
                else if body.hasPrefix("Pre-dumping") { log.operation = .preDump }
                else if body.hasPrefix("Restoring processes") || body.hasPrefix("Reading image tree") { log.operation = .restore }
            }
            guard let level = parsed.level else { continue }
            log.messages.append(Message(
                level: level, line: lineNumber, timestamp: parsed.timestamp, pid: parsed.pid, sourceFile: parsed.file,
                sourceLine: parsed.line, text: body, context: recent, harmless: nil, explanation: nil))
        }
        log.lineCount = text.hasSuffix("\n") ? lineNumber - 1 : lineNumber
        log.format = timestamped > 0 ? .timestamped : plain > 0 ? .plain : .unknown
        // Harmless lines and explanations need the outcome, known only at the end.
        for i in log.messages.indices {
            let m = log.messages[i]
            log.messages[i].harmless = LogKnowledge.harmless(m, outcome: log.outcome)
            if m.level == .error { log.messages[i].explanation = LogKnowledge.explain(m.text) }
        }
        log.cautions = LogKnowledge.cautions(log, versionLine: versionLine)
        return log
    }

    /// The CRIU logs a checkpoint carries: `dump.log`, `pre-dump.log` and `restore.log` at the top of an
    /// archive (an engine's work directory) or in the images directory, in that order.
    public static func logs(in source: CheckpointSource) -> [CRIULog] {
        var out: [CRIULog] = []
        var seen = Set<String>()
        for name in ["pre-dump.log", "dump.log", "restore.log"] {
            for path in [name, source.imagesDirectory.isEmpty ? name : source.imagesDirectory + "/" + name] where !seen.contains(name) {
                guard let found = try? source.member(named: path), let member = (try? source.resolve(found)) ?? nil, member.kind == .file,
                      let bytes = try? source.read(member, maxBytes: 256 << 20) else { continue }
                seen.insert(name)
                out.append(parse(String(decoding: bytes, as: UTF8.self), name: path))
            }
        }
        return out
    }

    /// The operation and outcome a closing line announces.
    static func outcome(of body: String) -> (Operation, Outcome)? {
        if body.hasPrefix("Dumping finished successfully") { return (.dump, .success) }
        if body.hasPrefix("Dumping FAILED") { return (.dump, .failure) }
        if body.hasPrefix("Pre-dumping finished successfully") { return (.preDump, .success) }
        if body.hasPrefix("Pre-dumping FAILED") { return (.preDump, .failure) }
        if body.hasPrefix("Restore finished successfully") { return (.restore, .success) }
        if body.hasPrefix("Restoring FAILED") { return (.restore, .failure) }
        return nil
    }
}

/// Splits one log line into its prefixes and message.
enum LineParser {
    struct Parsed {
        var timestamp: String?
        var pid: UInt32?
        var level: CRIULog.Level?
        var file: String?
        var line: Int?
        var text: String
    }

    static func parse(_ input: Substring) -> Parsed {
        var rest = input
        var result = Parsed(text: "")
        // "(00.012345)" — digits and one dot.
        if rest.first == "(", let close = rest.firstIndex(of: ")") {
            let inside = rest[rest.index(after: rest.startIndex)..<close]
            if !inside.isEmpty, inside.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }), inside.contains(".") {
                result.timestamp = String(inside)
                rest = rest[rest.index(after: close)...]
            }
        }
        // "     1: " (restore logs: the task that logged), and "pie: 1: " from the restorer blob.
        while true {
            let trimmed = rest.drop { $0 == " " || $0 == "\t" }
            if trimmed.hasPrefix("pie: ") {
                rest = trimmed.dropFirst(5)
                continue
            }
            let digits = trimmed.prefix { $0.isASCII && $0.isNumber }
            if !digits.isEmpty, digits.count <= 10, trimmed.dropFirst(digits.count).hasPrefix(": "), let pid = UInt32(digits), result.pid == nil {
                result.pid = pid
                rest = trimmed.dropFirst(digits.count + 2)
                continue
            }
            rest = result.timestamp != nil || result.pid != nil ? trimmed : rest
            break
        }
        // "Error (criu/file.c:123): message", "Warn  (file.c:12): message", "Warning (…)", "Error: message".
        for (word, level) in [("Error", CRIULog.Level.error), ("Warning", .warning), ("Warn", .warning)] {
            guard rest.hasPrefix(word) else { continue }
            var after = rest.dropFirst(word.count)
            let spaces = after.prefix { $0 == " " }
            after = after.dropFirst(spaces.count)
            if after.first == "(", let close = after.firstIndex(of: ")"), after[close...].hasPrefix("):") {
                let location = after[after.index(after: after.startIndex)..<close]
                if let colon = location.lastIndex(of: ":"), let n = Int(location[location.index(after: colon)...]) {
                    result.file = String(location[..<colon])
                    result.line = n
                } else {
                    result.file = String(location)
                }
                result.level = level
                result.text = String(after[after.index(close, offsetBy: 2)...]).trimmingSpaces()
                return result
            }
            if after.hasPrefix(":") && spaces.isEmpty {
                result.level = level
                result.text = String(after.dropFirst()).trimmingSpaces()
                return result
            }
        }
        result.text = String(rest)
        return result
    }
}

/// What is known about CRIU's messages: lines that are harmless, and what common failures mean.
public enum LogKnowledge {
    /// A message known to be harmless.
    public struct Harmless: Sendable {
        /// Any of these (case-insensitive) substrings identifies the message.
        public var patterns: [String]
        /// The level the message is logged at.
        public var level: CRIULog.Level
        /// Harmless only when the operation still succeeded.
        public var onlyIfSucceeded: Bool
        /// Why the message is harmless, in plain language.
        public var reason: String
    }

    /// One entry of the explanation table.
    public struct Entry: Sendable {
        /// Any of these (case-insensitive) substrings selects the entry; the first matching entry wins.
        public var patterns: [String]
        /// The reading of the messages the entry selects.
        public var explanation: CRIULog.Explanation
    }

    /// Messages known to be harmless.
    public static let harmlessMessages: [Harmless] = [
        Harmless(patterns: ["can't setup rlimit_nofile for self"], level: .error, onlyIfSucceeded: true,
                 reason: "CRIU could not raise its own open-file limit (not permitted here) and went on with the current one; the operation still finished."),
        Harmless(patterns: ["with interrupted system call"], level: .warning, onlyIfSucceeded: false,
                 reason: "The task was inside a system call when it was frozen; the call is restarted after restore."),
        Harmless(patterns: ["inotify events will be dropped"], level: .warning, onlyIfSucceeded: false,
                 reason: "Events queued on an inotify fd are not part of a checkpoint; the watches themselves are restored."),
        Harmless(patterns: ["can't keep kdat cache on non-tempfs"], level: .warning, onlyIfSucceeded: false,
                 reason: "CRIU only caches its kernel probe results on tmpfs; it probes again next time."),
        Harmless(patterns: ["set clone_parent | clone_newpid but it might cause restore problem"], level: .warning, onlyIfSucceeded: false,
                 reason: "A generic caution printed for every restore into a new pid namespace."),
    ]

    /// Plain-language readings of common failures; the first entry that matches wins.
    public static let table: [Entry] = [
        Entry(patterns: ["can't fork for", "pid already in use", "ns_last_pid", "set_next_pid", "do not match expected"], explanation: .init(
            id: "pid-in-use", title: "A process id is already in use",
            text: "CRIU restores every process with its original pid. A process on this host (or in the target pid namespace) already has one of them. Stop that process, or restore into a new pid namespace (containers do this).")),
        Entry(patterns: ["address already in use", "eaddrinuse"], explanation: .init(
            id: "port-in-use", title: "A port or socket address is busy",
            text: "A socket of the checkpoint was bound to an address or port that something on this host uses now. Stop what holds it, or restore in a fresh network namespace.")),
        Entry(patterns: ["tcp_repair", "repair mode", "libsoccr", "tcp: can't", "can't restore tcp"], explanation: .init(
            id: "tcp-repair", title: "TCP connections could not be repaired",
            text: "Established TCP connections are restored with the kernel's TCP repair mode: it needs CAP_NET_ADMIN, the same IP addresses on this host, and --tcp-established on restore as on dump (or --tcp-close).")),
        Entry(patterns: ["vdso", "vvar"], explanation: .init(
            id: "vdso", title: "The vDSO does not match",
            text: "The kernel's vDSO (the code it maps into every process) differs from what this CRIU can handle, usually a CRIU older than the kernel. Use a CRIU release newer than the kernel.")),
        Entry(patterns: ["seccomp"], explanation: .init(
            id: "seccomp", title: "Seccomp filters could not be restored",
            text: "The processes ran with seccomp filters. Restoring them needs a kernel with seccomp filter support and enough privilege; the filters are in seccomp.img.")),
        Entry(patterns: ["cgroup", "cg: ", "cg-prop", "cgroupns"], explanation: .init(
            id: "cgroup", title: "A cgroup is missing or not writable",
            text: "The processes are put back into the cgroups they were in. On this host a cgroup path, controller or cgroup version differs, or CRIU may not write it. Create the cgroups, use --manage-cgroups with a matching mode, or restore through the container engine.")),
        Entry(patterns: ["mnt: ", "mount", "mnt_id", "pivot_root", "mountpoint"], explanation: .init(
            id: "mount", title: "A mount point is missing",
            text: "A mount of the checkpointed mount namespace cannot be recreated: its source directory, external bind mount (--external mnt[...]) or root is missing on this host.")),
        Entry(patterns: ["apparmor", "selinux", "lsm"], explanation: .init(
            id: "lsm", title: "A security label could not be applied",
            text: "The processes carried an AppArmor profile or SELinux label that this host does not have loaded, or uses another LSM.")),
        Entry(patterns: ["iptables", "nftables", "network lock", "netlock"], explanation: .init(
            id: "network-lock", title: "The network could not be locked or unlocked",
            text: "CRIU blocks traffic with iptables or nftables while it works. The tool is missing on this host or differs from the dump (--network-lock).")),
        Entry(patterns: ["bad size", "bad mode", "build-id", "checksum mismatch", "has changed"], explanation: .init(
            id: "file-changed", title: "A file changed since the checkpoint",
            text: "A file the processes had open or mapped is present but differs (size, mode or build-id) from the checkpoint. Restore with the same version of the file.")),
        Entry(patterns: ["can't open file", "no such file or directory", "can't stat", "enoent", "ghost"], explanation: .init(
            id: "file-missing", title: "A file is missing",
            text: "A file the processes had open, mapped or used as cwd or executable does not exist at the same path on this host. Make the same files available (for containers: the same image and volumes).")),
        Entry(patterns: ["can't open image", "unable to open image", "no parent image", "parent images", "pagemap", "can't read image", "page-read", "pages-"], explanation: .init(
            id: "images-incomplete", title: "Checkpoint images are missing or damaged",
            text: "An image CRIU needs is missing, truncated or points to missing parent (pre-dump) images. Run `ckpt-inspect verify` on the checkpoint.")),
        Entry(patterns: ["operation not permitted", "permission denied", "cap_sys_admin", "cap_checkpoint_restore", "eperm"], explanation: .init(
            id: "permission", title: "Not enough privilege",
            text: "Restoring needs root, or CAP_CHECKPOINT_RESTORE plus the capabilities of what is restored (CAP_SYS_ADMIN for namespaces and mounts, CAP_NET_ADMIN for TCP repair).")),
        Entry(patterns: ["not supported", "doesn't support", "unsupported", "function not implemented", "enosys", "kerndat"], explanation: .init(
            id: "kernel-feature", title: "The kernel lacks a feature",
            text: "The checkpoint uses a kernel feature this kernel lacks or has disabled. `criu check --all` lists what is missing; restore on a kernel at least as new as the dumping one.")),
        Entry(patterns: ["rlimit_nofile"], explanation: .init(
            id: "rlimit-nofile", title: "CRIU could not raise its open-file limit",
            text: "This alone rarely fails an operation; look at the errors after it.")),
    ]

    /// Why a message is harmless, if it is known to be.
    public static func harmless(_ message: CRIULog.Message, outcome: CRIULog.Outcome) -> String? {
        let text = message.text.lowercased()
        for h in harmlessMessages where h.level == message.level && h.patterns.contains(where: { text.contains($0) }) {
            if h.onlyIfSucceeded && outcome != .success { return nil }
            // "The 0x00001a inotify events will be dropped": the number is the inotify's id, not a count.
            if text.contains("inotify events will be dropped"), let id = hexNumber(after: "the ", in: text) {
                return "0x\(String(id, radix: 16)) is the id of the inotify file (files.img id \(id)), not a number of events. " + h.reason
            }
            return h.reason
        }
        return nil
    }

    /// The hex number (`0x...`) right after `prefix` in `text`.
    static func hexNumber(after prefix: String, in text: String) -> UInt64? {
        guard let range = text.range(of: prefix + "0x") else { return nil }
        return UInt64(String(text[range.upperBound...].prefix { $0.isHexDigit }), radix: 16)
    }

    /// What a reader should know about how CRIU ran: test switches (`CRIU_FAKE_DIRTY_TRACK` and
    /// other `CRIU_*` variables CRIU reports), and a CRIU built from commits after a release or with
    /// local changes (`gitid v4.2-12-gabc1234`, `-dirty`). `gitid 0` (built outside git, as release
    /// tarballs are) says nothing either way.
    public static func cautions(_ log: CRIULog, versionLine: Int) -> [CRIULog.Caution] {
        var out: [CRIULog.Caution] = []
        if let fake = log.messages.first(where: { $0.text.contains("CRIU_FAKE_DIRTY_TRACK") }) {
            out.append(.init(id: "fake-dirty-track", line: fake.line, title: "CRIU ran with the test switch CRIU_FAKE_DIRTY_TRACK",
                             text: "The kernel's soft-dirty tracking was emulated: which pages changed since the previous (pre-)dump was not tracked by the kernel, so pages taken from parent images may be older than what the process held. Fine for testing CRIU; not evidence a production dump would give."))
        }
        for m in log.messages where m.level == .warning && !m.text.contains("CRIU_FAKE_DIRTY_TRACK") {
            let name = m.text.prefix { $0.isUppercase || $0.isNumber || $0 == "_" }
            guard name.hasPrefix("CRIU_"), name.count > 5, m.text.dropFirst(name.count).hasPrefix(":"), !out.contains(where: { $0.title.hasSuffix(String(name)) }) else { continue }
            out.append(.init(id: "test-switch", line: m.line, title: "CRIU ran with the environment switch \(name)",
                             text: "A switch for testing CRIU changed how it worked (\(m.text)); the images may differ from what a release CRIU in its normal setup writes."))
        }
        if let gitID = log.gitID, gitID != "0" {
            let release = gitID.range(of: #"^v?[0-9]+(\.[0-9]+)*$"#, options: .regularExpression) != nil
            if !release {
                var what = "not a release"
                if let match = gitID.range(of: #"-([0-9]+)-g[0-9a-f]+"#, options: .regularExpression) {
                    let commits = gitID[match].dropFirst().prefix { $0.isNumber }
                    what = "\(commits) commit\(commits == "1" ? "" : "s") after \(gitID[..<match.lowerBound])"
                }
                if gitID.hasSuffix("-dirty") { what += ", with uncommitted changes" }
                out.append(.init(id: "non-release", line: versionLine, title: "CRIU \(log.criuVersion ?? "") was built from git \(gitID): \(what)",
                                 text: "A patched or development build of CRIU wrote these images; its behaviour may differ from the release it names."))
            }
        }
        return out
    }

    /// The plain-language reading of an error message, if one applies.
    public static func explain(_ text: String) -> CRIULog.Explanation? {
        let lower = text.lowercased()
        // The RLIMIT line mentions "Operation not permitted"; its own entry is more precise.
        if lower.contains("rlimit_nofile") { return table.last?.explanation }
        return table.first { $0.patterns.contains { lower.contains($0) } }?.explanation
    }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
