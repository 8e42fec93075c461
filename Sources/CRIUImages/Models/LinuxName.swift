/// A Linux path or name as CRIU stored it: raw bytes, not necessarily UTF-8.
///
/// CRIU's `string` fields (file paths, mount points, `comm`, cgroup paths, memfd and
/// interface names, LSM labels) hold whatever bytes the kernel reported. `bytes` keeps them
/// exactly; ``description`` is a lenient rendering (invalid sequences become U+FFFD) and
/// ``string`` is the exact text when the bytes are valid UTF-8.
public struct LinuxName: Hashable, Sendable, Comparable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The bytes as stored in the image.
    public var bytes: [UInt8]

    /// A name from raw bytes.
    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// A name from text (its UTF-8 bytes).
    public init(_ text: String) {
        self.bytes = Array(text.utf8)
    }

    /// A name from a string literal (its UTF-8 bytes).
    public init(stringLiteral value: String) {
        self.init(value)
    }

    /// The text, repairing invalid UTF-8 with U+FFFD.
    public var description: String { String(decoding: bytes, as: UTF8.self) }

    /// The exact text, or nil when the bytes are not valid UTF-8.
    public var string: String? { String(validating: bytes, as: UTF8.self) }

    /// True when the bytes are valid UTF-8.
    public var isValidUTF8: Bool { string != nil }

    /// True when there are no bytes.
    public var isEmpty: Bool { bytes.isEmpty }

    /// Orders names by their bytes, as `memcmp` does.
    public static func < (lhs: LinuxName, rhs: LinuxName) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }
}
