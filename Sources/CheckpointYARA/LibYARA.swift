// The only file that talks to libyara. No C type leaves it.
internal import CLibYARA
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif

/// libyara's process-wide state.
enum LibYARA {
    /// `yr_initialize`, once per process (libyara counts the calls; it is never finalized), and the
    /// match-data limit (``YARAScan/matchDataLimit``) that bounds what each match keeps.
    static let ready: Int32 = {
        let result = yr_initialize()
        if result == ERROR_SUCCESS {
            _ = yr_set_configuration_uint32(YR_CONFIG_MAX_MATCH_DATA, UInt32(YARAScan.matchDataLimit))
        }
        return result
    }()

    /// The longest match YARA's regular-expression engine makes on either side of an atom.
    static var regexScanLimit: Int { Int(ckpt_yr_re_scan_limit()) }

    /// A sentence for a libyara error code.
    static func message(_ code: Int32) -> String {
        switch code {
        case ERROR_INSUFFICIENT_MEMORY: "out of memory"
        case ERROR_COULD_NOT_OPEN_FILE: "cannot open the file"
        case ERROR_INVALID_FILE: "not a compiled YARA rules file"
        case ERROR_CORRUPT_FILE: "the compiled rules file is corrupt"
        case ERROR_UNSUPPORTED_FILE_VERSION: "compiled by an incompatible YARA version (recompile it with yarac \(YR_MAJOR_VERSION).\(YR_MINOR_VERSION), or give the source rules)"
        case ERROR_SCAN_TIMEOUT: "timed out"
        case ERROR_TOO_MANY_MATCHES: "too many matches"
        case ERROR_TOO_MANY_RE_FIBERS: "a regular expression needs too many fibers"
        case ERROR_EXEC_STACK_OVERFLOW: "a condition overflowed YARA's stack"
        case ERROR_CALLBACK_ERROR: "the scan was stopped"
        case ERROR_COULD_NOT_READ_FILE: "cannot read the file"
        default: "libyara error \(code)"
        }
    }
}

/// Compiled YARA rules, from source files (`.yar`) or a file written by `yarac`: usable by many
/// scans at once (libyara's rules are read-only while scanning).
public struct YARARules: ~Copyable, @unchecked Sendable {
    /// A rules source file to compile.
    public struct Source: Hashable, Sendable {
        /// The path to open.
        public var path: String
        /// The namespace its rules go in; nil for `default`.
        public var namespace: String?
        /// How errors and includes name it (the path as the user gave it).
        public var displayName: String

        /// The file at `path`, in `namespace` (nil: `default`), named `displayName` in messages.
        public init(path: String, namespace: String? = nil, displayName: String? = nil) {
            self.path = path
            self.namespace = namespace
            self.displayName = displayName ?? path
        }
    }

    /// `YR_RULES *`.
    let pointer: UnsafeMutableRawPointer
    /// The compiler's warnings (empty for compiled rules).
    public let warnings: [YARAError.Diagnostic]

    var rules: UnsafeMutablePointer<YR_RULES> { pointer.assumingMemoryBound(to: YR_RULES.self) }

    /// The number of rules (private and global ones included).
    public var count: Int { Int(ckpt_yr_rules_count(rules)) }
    /// The number of strings of all rules.
    var stringCount: UInt32 { ckpt_yr_rules_string_count(rules) }
    /// The longest string (literal bytes, or the source text of a regular expression).
    var longestString: Int { Int(ckpt_yr_rules_longest_string(rules)) }

    /// True when the file starts as a compiled rules file does (`YARA`), as `yarac` writes them.
    public static func isCompiled(path: String) -> Bool {
        guard let file = fopen(path, "rb") else { return false }
        defer { fclose(file) }
        var magic = [UInt8](repeating: 0, count: 4)
        return fread(&magic, 1, 4, file) == 4 && magic == Array("YARA".utf8)
    }

    /// Compiles rule source files, as `yara` does (includes resolved from each file's directory).
    ///
    /// - Throws: ``YARAError/Code/compile`` with every error and warning (file, line, message) when
    ///   a file does not compile; ``YARAError/Code/load`` when one cannot be opened.
    public init(compiling sources: [Source]) throws(YARAError) {
        guard LibYARA.ready == ERROR_SUCCESS else {
            throw YARAError(.load, file: sources.first?.displayName ?? "", message: "libyara: \(LibYARA.message(LibYARA.ready))")
        }
        final class Collector { var diagnostics: [YARAError.Diagnostic] = [] }
        let collector = Collector()
        var compiler: UnsafeMutablePointer<YR_COMPILER>?
        guard yr_compiler_create(&compiler) == ERROR_SUCCESS, let compiler else {
            throw YARAError(.load, file: sources.first?.displayName ?? "", message: "libyara: cannot create a compiler")
        }
        defer { yr_compiler_destroy(compiler) }
        yr_compiler_set_callback(compiler, { level, file, line, rule, message, user in
            let collector = Unmanaged<Collector>.fromOpaque(user!).takeUnretainedValue()
            collector.diagnostics.append(YARAError.Diagnostic(
                isError: level == YARA_ERROR_LEVEL_ERROR, file: file.map { String(cString: $0) },
                line: line > 0 ? Int(line) : nil, rule: rule.flatMap { ckpt_yr_rule_identifier($0) }.map { String(cString: $0) },
                message: message.map { String(cString: $0) } ?? "error"))
        }, Unmanaged.passUnretained(collector).toOpaque())
        for source in sources {
            guard let file = fopen(source.path, "r") else {
                throw YARAError(.load, file: source.displayName, message: "cannot open: \(String(cString: strerror(errno)))")
            }
            let errors = yr_compiler_add_file(compiler, file, source.namespace, source.displayName)
            fclose(file)
            if errors > 0 {
                let first = collector.diagnostics.first(where: \.isError)
                throw YARAError(.compile, file: source.displayName, message: first?.message ?? "\(errors) errors",
                                diagnostics: collector.diagnostics)
            }
        }
        var rules: UnsafeMutablePointer<YR_RULES>?
        let result = yr_compiler_get_rules(compiler, &rules)
        guard result == ERROR_SUCCESS, let rules else {
            throw YARAError(.compile, file: sources.first?.displayName ?? "", message: LibYARA.message(result), diagnostics: collector.diagnostics)
        }
        pointer = UnsafeMutableRawPointer(rules)
        warnings = collector.diagnostics.filter { !$0.isError }
    }

    /// Loads rules compiled by `yarac` (of the same YARA major version as the libyara linked in).
    ///
    /// - Throws: ``YARAError/Code/load`` naming the file and why.
    public init(loadingCompiled path: String, displayName: String? = nil) throws(YARAError) {
        let name = displayName ?? path
        guard LibYARA.ready == ERROR_SUCCESS else { throw YARAError(.load, file: name, message: "libyara: \(LibYARA.message(LibYARA.ready))") }
        var rules: UnsafeMutablePointer<YR_RULES>?
        let result = yr_rules_load(path, &rules)
        guard result == ERROR_SUCCESS, let rules else { throw YARAError(.load, file: name, message: LibYARA.message(result)) }
        pointer = UnsafeMutableRawPointer(rules)
        warnings = []
    }

    deinit { yr_rules_destroy(rules) }
}

/// One YARA scan of one target, fed block by block (push model): each ``feed(base:bytes:)`` hands
/// libyara one memory block, which it scans before returning (the bytes need only live during the
/// call), and ``finish()`` evaluates the conditions and collects the matches.
///
/// It uses libyara's resumable block iteration: the iterator answers `ERROR_BLOCK_NOT_READY` when
/// it has no block, `yr_scanner_scan_mem_blocks` returns with the scan's state kept, and the next
/// call resumes it. Reads a condition makes after the scan (`uint32(a)`, modules) go through
/// `read` over ``conditionBlocks``; without `read` (a compressed archive, already streamed) they
/// see undefined values and are counted in ``lateReads``.
final class YARASession {
    /// One match of one string, as libyara holds it.
    struct RawString {
        var identifier: String
        var address: UInt64
        var length: Int
        var bytes: [UInt8]
        var isHex: Bool
    }

    /// One matching rule.
    struct RawMatch {
        var rule: String
        var namespace: String
        var tags: [String]
        var metadata: [YARAMetadata]
        var strings: [RawString]
        var count: Int
        var truncated: Bool
    }

    private enum Phase { case scanning, draining, conditions }

    private let scanner: UnsafeMutablePointer<YR_SCANNER>
    private let iterator: UnsafeMutablePointer<YR_MEMORY_BLOCK_ITERATOR>
    private let block: UnsafeMutablePointer<YR_MEMORY_BLOCK>
    private var phase = Phase.scanning
    private var pending: (base: UInt64, bytes: UnsafeRawBufferPointer)?
    private let maxMatches: Int
    private var stringCount: UInt32
    private var capped: [Bool]
    private var anyCapped = false
    /// The libyara error that ended the scan, if one did.
    private(set) var error: Int32 = ERROR_SUCCESS
    /// The rules that matched (after ``finish()``).
    private(set) var matches: [RawMatch] = []
    /// Warnings libyara raised (a string with too many matches, `console.log` output).
    private(set) var notes: [String] = []
    /// Blocks a condition reads after the scan, and how to read one into a buffer of its size.
    var conditionBlocks: [(base: UInt64, size: Int)]
    let read: ((UInt64, UnsafeMutableRawBufferPointer) -> Bool)?
    private var conditionIndex = 0
    private var buffer: UnsafeMutableRawBufferPointer?
    /// Reads a condition made that could not be served.
    private(set) var lateReads = 0
    /// `filesize` for data targets; nil (undefined) for memory.
    let fileSize: UInt64?

    /// A session over `rules`, stopping after `timeout` seconds (0: none); `processMemory` makes
    /// addresses virtual (`entrypoint` and modules as in a process scan).
    init(rules: YARARules.Handle, processMemory: Bool, timeout: Int, maxMatches: Int,
         conditionBlocks: [(base: UInt64, size: Int)], fileSize: UInt64? = nil,
         read: ((UInt64, UnsafeMutableRawBufferPointer) -> Bool)?) throws(YARAError) {
        var created: UnsafeMutablePointer<YR_SCANNER>?
        let result = yr_scanner_create(rules.pointer.assumingMemoryBound(to: YR_RULES.self), &created)
        guard result == ERROR_SUCCESS, let created else { throw YARAError(.scan, file: "", message: LibYARA.message(result)) }
        scanner = created
        stringCount = rules.stringCount
        capped = Array(repeating: false, count: Int(stringCount))
        self.maxMatches = max(1, maxMatches)
        self.conditionBlocks = conditionBlocks
        self.read = read
        self.fileSize = fileSize
        iterator = .allocate(capacity: 1)
        block = .allocate(capacity: 1)
        let me = Unmanaged.passUnretained(self).toOpaque()
        iterator.initialize(to: YR_MEMORY_BLOCK_ITERATOR())
        block.initialize(to: YR_MEMORY_BLOCK())
        iterator.pointee.context = me
        iterator.pointee.first = { YARASession.of($0!.pointee.context).first() }
        iterator.pointee.next = { YARASession.of($0!.pointee.context).next() }
        iterator.pointee.file_size = fileSize == nil ? nil : { YARASession.of($0!.pointee.context).fileSize ?? 0 }
        iterator.pointee.last_error = ERROR_SUCCESS
        block.pointee.context = me
        block.pointee.fetch_data = { YARASession.of($0!.pointee.context).fetch() }
        yr_scanner_set_flags(scanner, ckpt_yr_scan_flags(processMemory ? 1 : 0))
        if timeout > 0 { yr_scanner_set_timeout(scanner, Int32(clamping: timeout)) }
        yr_scanner_set_callback(scanner, { _, message, data, user in
            YARASession.of(user).callback(message, data)
        }, me)
    }

    deinit {
        yr_scanner_destroy(scanner)
        iterator.deallocate()
        block.deallocate()
        buffer?.deallocate()
    }

    private static func of(_ context: UnsafeMutableRawPointer?) -> YARASession {
        Unmanaged<YARASession>.fromOpaque(context!).takeUnretainedValue()
    }

    /// True when the scan has ended in an error (then feeding does nothing).
    var failed: Bool { error != ERROR_SUCCESS }
    /// The error as a sentence.
    var errorMessage: String? { failed ? LibYARA.message(error) : nil }
    /// True when a string stopped collecting matches at the limit.
    var stoppedCollecting: Bool { anyCapped }

    /// Scans `bytes` as the memory block at `base`.
    func feed(base: UInt64, bytes: UnsafeRawBufferPointer) {
        guard error == ERROR_SUCCESS, phase == .scanning, !bytes.isEmpty else { return }
        pending = (base, bytes)
        let result = yr_scanner_scan_mem_blocks(scanner, iterator)
        pending = nil
        if result != ERROR_BLOCK_NOT_READY {
            error = result == ERROR_SUCCESS ? ERROR_INTERNAL_FATAL_ERROR : result
            return
        }
        capStrings()
    }

    /// Ends the scan: evaluates the conditions and collects the matching rules into ``matches``.
    func finish() {
        guard error == ERROR_SUCCESS, phase == .scanning else { return }
        phase = .draining
        let result = yr_scanner_scan_mem_blocks(scanner, iterator)
        if result != ERROR_SUCCESS { error = result }
    }

    /// Strings with `maxMatches` matches stop collecting (as libyara does at its own limit).
    private func capStrings() {
        for i in 0..<stringCount where !capped[Int(i)] {
            if Int(ckpt_yr_match_count(scanner, i)) >= maxMatches {
                ckpt_yr_disable_string(scanner, i)
                capped[Int(i)] = true
                anyCapped = true
            }
        }
    }

    private func first() -> UnsafeMutablePointer<YR_MEMORY_BLOCK>? {
        if phase == .conditions { conditionIndex = 0 }
        return next()
    }

    private func next() -> UnsafeMutablePointer<YR_MEMORY_BLOCK>? {
        switch phase {
        case .scanning, .draining:
            if let (base, bytes) = pending {
                iterator.pointee.last_error = ERROR_SUCCESS
                block.pointee.base = base
                block.pointee.size = bytes.count
                return block
            }
            if phase == .scanning {
                iterator.pointee.last_error = ERROR_BLOCK_NOT_READY
            } else {
                // Every block is scanned: the conditions are evaluated next.
                iterator.pointee.last_error = ERROR_SUCCESS
                phase = .conditions
            }
            return nil
        case .conditions:
            iterator.pointee.last_error = ERROR_SUCCESS
            guard conditionIndex < conditionBlocks.count else { return nil }
            let (base, size) = conditionBlocks[conditionIndex]
            conditionIndex += 1
            block.pointee.base = base
            block.pointee.size = size
            return block
        }
    }

    private func fetch() -> UnsafePointer<UInt8>? {
        if let (_, bytes) = pending {
            pending = nil
            return bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        }
        guard phase == .conditions, let read else {
            lateReads += 1
            return nil
        }
        let size = block.pointee.size
        if buffer == nil || buffer!.count < size {
            buffer?.deallocate()
            buffer = .allocate(byteCount: max(size, 1), alignment: 16)
        }
        let target = UnsafeMutableRawBufferPointer(rebasing: buffer![..<size])
        guard read(block.pointee.base, target) else {
            lateReads += 1
            return nil
        }
        return UnsafePointer(target.baseAddress!.assumingMemoryBound(to: UInt8.self))
    }

    private func callback(_ message: Int32, _ data: UnsafeMutableRawPointer?) -> Int32 {
        switch message {
        case CALLBACK_MSG_RULE_MATCHING:
            if let data { matches.append(rawMatch(data.assumingMemoryBound(to: YR_RULE.self))) }
        case CALLBACK_MSG_TOO_MANY_MATCHES:
            if let data {
                let string = data.assumingMemoryBound(to: YR_STRING.self)
                let name = ckpt_yr_string_identifier(string).map { String(cString: $0) } ?? "?"
                notes.append("string \(name) reached libyara's limit of \(ckpt_yr_max_string_matches()) matches; later ones are not counted")
            }
        case CALLBACK_MSG_CONSOLE_LOG:
            if let data { notes.append("console: " + String(cString: data.assumingMemoryBound(to: CChar.self))) }
        default:
            break
        }
        return CALLBACK_CONTINUE
    }

    private func rawMatch(_ rule: UnsafePointer<YR_RULE>) -> RawMatch {
        var tags: [String] = []
        if var tag = ckpt_yr_rule_tags(rule) {
            while tag.pointee != 0 {
                let name = String(cString: tag)
                tags.append(name)
                tag += strlen(tag) + 1
            }
        }
        var metadata: [YARAMetadata] = []
        if var meta = ckpt_yr_rule_metas(rule) {
            while true {
                let identifier = ckpt_yr_meta_identifier(meta).map { String(cString: $0) } ?? ""
                let value: YARAMetadata.Value
                switch ckpt_yr_meta_type(meta) {
                case ckpt_yr_meta_type_integer(): value = .integer(meta.pointee.integer)
                case ckpt_yr_meta_type_boolean(): value = .boolean(meta.pointee.integer != 0)
                default: value = .string(ckpt_yr_meta_string(meta).map { String(cString: $0) } ?? "")
                }
                metadata.append(YARAMetadata(identifier: identifier, value: value))
                if ckpt_yr_meta_is_last(meta) != 0 { break }
                meta += 1
            }
        }
        var strings: [RawString] = []
        var count = 0
        var truncated = false
        if var string = ckpt_yr_rule_strings(rule) {
            while true {
                if ckpt_yr_string_is_private(string) == 0 {
                    let identifier = ckpt_yr_string_identifier(string).map { String(cString: $0) } ?? "$"
                    let isHex = ckpt_yr_string_is_hex(string) != 0
                    let index = Int(ckpt_yr_string_index(string))
                    if index < capped.count, capped[index] { truncated = true }
                    var match = ckpt_yr_string_matches(scanner, string)
                    while let m = match {
                        count += 1
                        let bytes = m.pointee.data.map { Array(UnsafeBufferPointer(start: $0, count: Int(max(0, m.pointee.data_length)))) } ?? []
                        strings.append(RawString(identifier: identifier, address: UInt64(bitPattern: m.pointee.base &+ m.pointee.offset),
                                                 length: Int(m.pointee.match_length), bytes: bytes, isHex: isHex))
                        match = UnsafePointer(m.pointee.next)
                    }
                }
                if ckpt_yr_string_is_last(string) != 0 { break }
                string += 1
            }
        }
        strings.sort { ($0.address, $0.identifier) < ($1.address, $1.identifier) }
        if strings.count > maxMatches {
            strings.removeSubrange(maxMatches...)
            truncated = true
        }
        return RawMatch(rule: ckpt_yr_rule_identifier(rule).map { String(cString: $0) } ?? "?",
                        namespace: ckpt_yr_rule_namespace(rule).map { String(cString: $0) } ?? "default",
                        tags: tags, metadata: metadata, strings: strings, count: count, truncated: truncated)
    }
}
