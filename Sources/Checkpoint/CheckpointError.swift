import CheckpointArchive
import CRIUImages

/// An error from opening or reading a checkpoint: names the file, the image, the entry and the byte offset
/// where known.
public struct CheckpointError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is. New codes may be added; match with `==`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Hashable, Sendable {
            case archive, image, missingImage, notACheckpoint, missingParent, inconsistent, output, limitExceeded, malformed
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }
        /// The archive or directory could not be read.
        public static let archive = Code(.archive)
        /// An image is damaged.
        public static let image = Code(.image)
        /// An image the checkpoint needs is missing.
        public static let missingImage = Code(.missingImage)
        /// The source holds no CRIU images at all.
        public static let notACheckpoint = Code(.notACheckpoint)
        /// A parent (pre-dump) image set is missing.
        public static let missingParent = Code(.missingParent)
        /// Images contradict each other (a pagemap pointing past its pages file, overlapping entries...).
        public static let inconsistent = Code(.inconsistent)
        /// Writing to the caller's output file failed (a full disk, a closed descriptor...).
        public static let output = Code(.output)
        /// A size or count is beyond a hard limit (a pod checkpoint's manifest over 16 MiB, more than 1,024 containers...).
        public static let limitExceeded = Code(.limitExceeded)
        /// A metadata file (a pod checkpoint's manifest, `pod-config.json`, `pod.options`) is not what its writer writes.
        public static let malformed = Code(.malformed)
        /// The code's name (`missingParent`).
        public var description: String { value.rawValue }
    }

    /// The kind of failure.
    public var code: Code
    /// The archive or directory the user named.
    public var source: String
    /// The member or image file, when known.
    public var file: String?
    /// The entry index inside the image, when known.
    public var entry: Int?
    /// Byte offset inside `file`, when known.
    public var offset: UInt64?
    /// What went wrong, with the values involved.
    public var message: String

    /// An error with its code and source and, where known, the file, entry and byte offset.
    public init(_ code: Code, source: String, file: String? = nil, entry: Int? = nil, offset: UInt64? = nil, message: String) {
        self.code = code
        self.source = source
        self.file = file
        self.entry = entry
        self.offset = offset
        self.message = message
    }

    init(_ error: ArchiveError) {
        self.init(.archive, source: error.source, file: error.member, offset: error.offset, message: error.message)
    }

    init(_ error: ImageError, source: String, member: String) {
        var detail = error
        detail.file = nil
        self.init(.image, source: source, file: member, entry: error.entry, offset: UInt64(max(0, error.offset)), message: detail.description)
    }

    /// `source: file: message`, with the entry and byte offset where known.
    public var description: String {
        var parts = [source]
        if let file { parts.append(file) }
        if code == .image {
            parts.append(message)
        } else {
            var text = message
            if let entry { text = "entry \(entry): " + text }
            if let offset, code != .archive || !message.contains("byte") { text += " (byte \(offset))" }
            parts.append(text)
        }
        return parts.joined(separator: ": ")
    }
}
