/// Where an archive stops being readable: a tar cut short, a damaged compressed stream, a broken
/// header. ``CheckpointSource/open(path:options:)`` keeps every member indexed before this point and
/// records the damage here instead of failing, so that what is readable is still read.
///
/// ```text
/// ck.tar.gz: member checkpoint/pages-3.img: truncated gzip input: the file ends at byte 214876
/// (decompressed tar stream: byte 458752, 28672 bytes into the member's 65536)
/// ```
public struct ArchiveDamage: Hashable, Sendable, CustomStringConvertible {
    /// `.truncated` (the input ends early), `.corrupt` (the stream or a header is damaged) or `.io`.
    public var code: ArchiveError.Code
    /// The source as the user named it.
    public var source: String
    /// The member being read when the damage was met, escaped for display; nil when it was met in
    /// a header or between members (then no member of the damaged part is known).
    public var member: String?
    /// Its index in ``CheckpointSource/members``, when the damaged member was indexed.
    public var memberIndex: Int?
    /// The bytes of that member's data that were read intact before the damage.
    public var memberBytesRead: UInt64?
    /// The offset in the file given: where the file ends for a truncation, else how far the input
    /// had been read when the damage was found (for compressed input, the reader works in 256 KiB
    /// blocks: the damage lies at or before this offset).
    public var fileOffset: UInt64
    /// Compressed input only: the offset in the decompressed tar stream where reading stopped.
    public var streamOffset: UInt64?
    /// What the reader said (libarchive's message, or ours).
    public var message: String

    /// Creates a damage record.
    public init(code: ArchiveError.Code, source: String, member: String?, memberIndex: Int?, memberBytesRead: UInt64?,
                fileOffset: UInt64, streamOffset: UInt64?, message: String) {
        self.code = code
        self.source = source
        self.member = member
        self.memberIndex = memberIndex
        self.memberBytesRead = memberBytesRead
        self.fileOffset = fileOffset
        self.streamOffset = streamOffset
        self.message = message
    }

    /// Where reading stopped, in words: `the file ends at byte N` or `at or before byte N of the
    /// file`, with the decompressed offset and the member's position for compressed input.
    public var location: String {
        var text = code == .truncated ? "the file ends at byte \(fileOffset)" : "at or before byte \(fileOffset) of the file"
        var inside: [String] = []
        if let streamOffset { inside.append("decompressed tar stream: byte \(streamOffset)") }
        if let memberBytesRead, member != nil { inside.append("\(memberBytesRead) bytes into the member") }
        if !inside.isEmpty { text += " (" + inside.joined(separator: ", ") + ")" }
        return text
    }

    /// `SOURCE: member NAME: MESSAGE: LOCATION`.
    public var description: String {
        var text = source + ": "
        if let member { text += "member \(member): " } else { text += "between members: " }
        return text + message + ": " + location
    }

    /// The error a read of the damaged member, or of anything after it, gets.
    public var error: ArchiveError {
        ArchiveError(code, source: source, member: member, message: message + ": " + location)
    }
}
