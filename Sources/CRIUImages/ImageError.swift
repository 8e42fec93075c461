/// An error found while reading a CRIU image: what went wrong and exactly where.
///
/// Every error carries the absolute byte offset in the file where the fault was
/// detected; errors raised while framing or decoding an image also carry the
/// file name, the image kind and the index of the entry being read. Errors are
/// plain values, so tests and callers can compare them.
public struct ImageError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of fault this is. New codes may be added; match with `==`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Hashable, Sendable {
            case truncated
            case malformedVarint
            case invalidWireType
            case invalidFieldNumber
            case wrongWireType
            case lengthOutOfBounds
            case unknownMagic
            case emptyFile
            case rawImage
            case nestingTooDeep
            case unexpectedEntryCount
            case invalidPayload
            case unknownMessage
            case invalidSchema
            case invalidJSON
            case invalidValue
            case unknownField
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The input ended in the middle of a value, entry or payload.
        public static let truncated = Code(.truncated)
        /// A varint ran over 10 bytes.
        public static let malformedVarint = Code(.malformedVarint)
        /// A field key used wire type 3, 4, 6 or 7 (groups are not used by CRIU).
        public static let invalidWireType = Code(.invalidWireType)
        /// A field key had field number 0 or above 2^29-1.
        public static let invalidFieldNumber = Code(.invalidFieldNumber)
        /// A known field arrived with a wire type its declared type cannot have.
        public static let wrongWireType = Code(.wrongWireType)
        /// A length or size word points past the end of the enclosing data.
        public static let lengthOutOfBounds = Code(.lengthOutOfBounds)
        /// The leading magic words match no known image.
        public static let unknownMagic = Code(.unknownMagic)
        /// The file is empty (only RAW images may legitimately be empty).
        public static let emptyFile = Code(.emptyFile)
        /// The file is a RAW image (pages, tarball, iproute2 dump...) and holds no protobuf entries.
        public static let rawImage = Code(.rawImage)
        /// Messages were nested deeper than the decoder allows.
        public static let nestingTooDeep = Code(.nestingTooDeep)
        /// A single-entry image held zero or several entries.
        public static let unexpectedEntryCount = Code(.unexpectedEntryCount)
        /// An extra payload after an entry is inconsistent with the entry's fields.
        public static let invalidPayload = Code(.invalidPayload)
        /// The schema has no message of the requested name.
        public static let unknownMessage = Code(.unknownMessage)
        /// The embedded descriptor set could not be read.
        public static let invalidSchema = Code(.invalidSchema)
        /// Text given to encode is not JSON (the offset is in the text).
        public static let invalidJSON = Code(.invalidJSON)
        /// A value given to encode does not fit its field (wrong type, out of range, unknown name).
        public static let invalidValue = Code(.invalidValue)
        /// A key given to encode names no field of its message.
        public static let unknownField = Code(.unknownField)

        /// A short name of the code (`length out of bounds`).
        public var description: String {
            switch value {
            case .truncated: "truncated"
            case .malformedVarint: "malformed varint"
            case .invalidWireType: "invalid wire type"
            case .invalidFieldNumber: "invalid field number"
            case .wrongWireType: "wrong wire type for field"
            case .lengthOutOfBounds: "length out of bounds"
            case .unknownMagic: "unknown magic"
            case .emptyFile: "empty file"
            case .rawImage: "raw image (no protobuf entries)"
            case .nestingTooDeep: "messages nested too deep"
            case .unexpectedEntryCount: "unexpected entry count"
            case .invalidPayload: "invalid extra payload"
            case .unknownMessage: "unknown message type"
            case .invalidSchema: "invalid schema"
            case .invalidJSON: "invalid JSON"
            case .invalidValue: "invalid value"
            case .unknownField: "unknown field"
            }
        }
    }

    /// The kind of fault.
    public var code: Code
    /// Absolute byte offset in the file where the fault was detected.
    public var offset: Int
    /// The file name, when known.
    public var file: String?
    /// The image kind (for example `PAGEMAP`), when known.
    public var image: String?
    /// The zero-based index of the entry being read, when the fault is inside an entry.
    public var entry: Int?
    /// A short explanation with the values involved.
    public var detail: String
    /// For errors raised while encoding: the path of the value inside its entry (`vmas[2].prot`),
    /// or inside the document when no entry is known. Encoding errors have no byte offset (0).
    public var path: String?

    /// An error with its code and absolute byte offset and, where known, the file, image kind and entry index.
    public init(_ code: Code, offset: Int, detail: String = "", file: String? = nil, image: String? = nil, entry: Int? = nil) {
        self.code = code
        self.offset = offset
        self.detail = detail
        self.file = file
        self.image = image
        self.entry = entry
    }

    /// An error raised while encoding: no byte offset, the path of the offending value instead.
    init(_ code: Code, path: String, detail: String) {
        self.init(code, offset: 0, detail: detail)
        self.path = path
    }

    /// The same error with the location context filled in where it is still missing.
    public func located(file: String? = nil, image: String? = nil, entry: Int? = nil) -> ImageError {
        var copy = self
        if copy.file == nil { copy.file = file }
        if copy.image == nil { copy.image = image }
        if copy.entry == nil { copy.entry = entry }
        return copy
    }

    /// `file: IMAGE entry N at byte B: code: detail`, leaving out what is not known; an encoding
    /// error names its field path instead of a byte (`file: IMAGE entry N: vmas[2].prot: code: detail`).
    public var description: String {
        var parts: [String] = []
        if let file { parts.append(file) }
        var place = ""
        if let image { place += image }
        if let entry { place += (place.isEmpty ? "" : " ") + "entry \(entry)" }
        if let path {
            if !place.isEmpty { parts.append(place) }
            parts.append(path)
        } else {
            place += (place.isEmpty ? "" : " ") + "at byte \(offset)"
            parts.append(place)
        }
        parts.append(detail.isEmpty ? code.description : "\(code): \(detail)")
        return parts.joined(separator: ": ")
    }
}
