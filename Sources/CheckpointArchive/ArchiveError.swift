/// An error from reading a checkpoint source: an archive, a stream or a directory.
///
/// Errors are values: tests compare them, and callers switch over ``code``. The
/// ``description`` reads like `ck.tar: member checkpoint/pages-1.img: truncated at byte 123456`.
public struct ArchiveError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong. Extensible: new codes may be added, so `switch` with a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Wrapped: Hashable, Sendable {
            case notFound, notAnArchive, corrupt, truncated, unsupportedCompression
            case memberNotFound, linkOutsideArchive, tooManyLinks, notARegularFile
            case tooLarge, notSeekable, invalidArgument, io
        }

        let wrapped: Wrapped
        init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// The path does not exist.
        public static var notFound: Code { Code(.notFound) }
        /// The file is neither a tar nor a compressed tar (no known magic bytes), or is empty.
        public static var notAnArchive: Code { Code(.notAnArchive) }
        /// The compressed stream or the tar structure is damaged.
        public static var corrupt: Code { Code(.corrupt) }
        /// The input ends before the archive or a member does.
        public static var truncated: Code { Code(.truncated) }
        /// The compression is recognised but cannot be decoded by this build of libarchive.
        public static var unsupportedCompression: Code { Code(.unsupportedCompression) }
        /// A member was asked for that the source does not hold.
        public static var memberNotFound: Code { Code(.memberNotFound) }
        /// A symbolic or hard link points outside the archive (absolute, or too many `..`).
        public static var linkOutsideArchive: Code { Code(.linkOutsideArchive) }
        /// Resolving a name followed too many links (a cycle, or a very long chain).
        public static var tooManyLinks: Code { Code(.tooManyLinks) }
        /// The member is a directory or a special file and has no data to read.
        public static var notARegularFile: Code { Code(.notARegularFile) }
        /// A member, the decompressed stream or the member count exceeds a limit.
        public static var tooLarge: Code { Code(.tooLarge) }
        /// The data is gone: the source is a stream (stdin) that can be read only once.
        public static var notSeekable: Code { Code(.notSeekable) }
        /// An argument is out of range (an offset past the end, a root that does not hold the path).
        public static var invalidArgument: Code { Code(.invalidArgument) }
        /// The operating system reported an error (`open`, `read`, ...).
        public static var io: Code { Code(.io) }

        /// A short name for the code: `truncated`, `link outside archive`, ...
        public var description: String {
            switch wrapped {
            case .notFound: "not found"
            case .notAnArchive: "not an archive"
            case .corrupt: "corrupt"
            case .truncated: "truncated"
            case .unsupportedCompression: "unsupported compression"
            case .memberNotFound: "member not found"
            case .linkOutsideArchive: "link outside archive"
            case .tooManyLinks: "too many links"
            case .notARegularFile: "not a regular file"
            case .tooLarge: "too large"
            case .notSeekable: "not seekable"
            case .invalidArgument: "invalid argument"
            case .io: "I/O error"
            }
        }
    }

    /// What went wrong.
    public var code: Code
    /// The source the error is about, as the user named it (`-` for stdin).
    public var source: String
    /// The member the error is about, escaped for display (see ``ArchiveMember/escapedName``).
    public var member: String?
    /// The absolute byte offset of the fault: in the file for plain tar and directories,
    /// in the decompressed tar stream for compressed archives.
    public var offset: UInt64?
    /// A human explanation, without the source, member and offset (``description`` adds them).
    public var message: String

    /// Creates an error value.
    public init(_ code: Code, source: String, member: String? = nil, offset: UInt64? = nil, message: String) {
        self.code = code
        self.source = source
        self.member = member
        self.offset = offset
        self.message = message
    }

    /// `SOURCE: member NAME: MESSAGE at byte OFFSET`.
    public var description: String {
        var text = source + ": "
        if let member { text += "member \(member): " }
        text += message
        if let offset { text += " at byte \(offset)" }
        return text
    }
}
