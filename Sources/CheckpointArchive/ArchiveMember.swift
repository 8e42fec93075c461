/// One entry of a checkpoint source: a tar member, or a file found in a directory.
///
/// Names are bytes: a tar member's name need not be UTF-8 and may contain `..`. ``path`` is a
/// lenient `String` for matching and display in trusted contexts; show ``escapedName`` to
/// users, so a crafted name cannot inject terminal escapes.
public struct ArchiveMember: Hashable, Sendable {
    /// The type of an entry. Mirrors the tar type flag / `st_mode & S_IFMT`.
    public enum Kind: Hashable, Sendable {
        /// A regular file (tar types `0`, `7`, NUL; `S_IFREG`).
        case file
        /// A directory (tar type `5`; `S_IFDIR`).
        case directory
        /// A symbolic link (tar type `2`; `S_IFLNK`); ``ArchiveMember/linkTarget`` holds the target.
        case symlink
        /// A hard link to an earlier member (tar type `1`); the target is an archive path.
        case hardlink
        /// Anything else: devices, FIFOs, sockets.
        case other
    }

    /// The member's position in ``CheckpointSource/members``, or `nil` for a file reached by
    /// resolving a link out of an opened directory (a `parent` sibling).
    public let index: Int?
    /// The name exactly as stored (tar header bytes, or the path relative to the opened directory).
    public let rawName: [UInt8]
    /// The normalised name as bytes: leading `./` and `/` stripped, `.` components and
    /// duplicate and trailing slashes removed. `..` is kept.
    public let pathBytes: [UInt8]
    /// ``pathBytes`` as a `String`; invalid UTF-8 becomes U+FFFD.
    public let path: String
    /// The entry type.
    public let kind: Kind
    /// The data size in bytes, as the header or `lstat` says (0 for links and directories).
    public let size: UInt64
    /// The permission bits (`mode & 0o7777`).
    public let mode: UInt32
    /// The modification time, seconds since the epoch.
    public let modificationTime: Int64
    /// The link target as stored, for symbolic and hard links.
    public let linkTargetBytes: [UInt8]?
    /// For a plain tar: the absolute file offset of the member's data. `nil` for compressed
    /// archives, stdin, directories and GNU sparse members.
    public let dataOffset: UInt64?
    /// For a directory source: the file's absolute path on the host.
    public let filePath: String?

    init(
        index: Int?, rawName: [UInt8], kind: Kind, size: UInt64, mode: UInt32,
        modificationTime: Int64, linkTargetBytes: [UInt8]?, dataOffset: UInt64?, filePath: String?
    ) {
        self.index = index
        self.rawName = rawName
        self.pathBytes = ArchiveMember.normalize(rawName)
        self.path = String(decoding: pathBytes, as: UTF8.self)
        self.kind = kind
        self.size = size
        self.mode = mode
        self.modificationTime = modificationTime
        self.linkTargetBytes = linkTargetBytes
        self.dataOffset = dataOffset
        self.filePath = filePath
    }

    /// The link target as a `String` (invalid UTF-8 becomes U+FFFD), for links.
    public var linkTarget: String? {
        linkTargetBytes.map { String(decoding: $0, as: UTF8.self) }
    }

    /// ``pathBytes`` safe to print: control characters, backslashes and invalid UTF-8 are
    /// escaped as `\xNN`, and Unicode controls and bidirectional overrides as `\u{NNNN}`.
    public var escapedName: String { ArchiveMember.escape(pathBytes) }

    /// The normalised form of a name: see ``pathBytes``.
    static func normalize(_ name: [UInt8]) -> [UInt8] {
        isNormal(name) ? name : components(name).joined(separator: [UInt8(ascii: "/")]).map { $0 }
    }

    /// True when `name` is its own normal form (no empty or `.` component): most names looked up
    /// are, and need no splitting.
    private static func isNormal(_ name: [UInt8]) -> Bool {
        let slash = UInt8(ascii: "/"), dot = UInt8(ascii: ".")
        var start = 0
        for i in 0...name.count where i == name.count || name[i] == slash {
            // The component name[start..<i] must be neither empty nor ".".
            if i == start || (i == start + 1 && name[start] == dot) { return false }
            start = i + 1
        }
        return true
    }

    /// The components of a name, without empty and `.` components; `..` is kept.
    static func components(_ name: some Collection<UInt8>) -> [ArraySlice<UInt8>] {
        Array(name).split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true)
            .filter { !($0.count == 1 && $0.first == UInt8(ascii: ".")) }
    }

    /// Escapes bytes for display: see ``escapedName``.
    public static func escape(_ bytes: some Sequence<UInt8>) -> String {
        var out = ""
        var iterator = Array(bytes)[...]
        func hex(_ byte: UInt8) -> String {
            let digits = Array("0123456789abcdef")
            return "\\x" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0xf)])
        }
        while let first = iterator.first {
            if first < 0x80 {
                iterator = iterator.dropFirst()
                if first < 0x20 || first == 0x7f || first == UInt8(ascii: "\\") {
                    out += hex(first)
                } else {
                    out.unicodeScalars.append(Unicode.Scalar(first))
                }
                continue
            }
            // A multi-byte sequence: decode one scalar, or escape the lead byte.
            let length = first >= 0xf0 ? 4 : first >= 0xe0 ? 3 : first >= 0xc0 ? 2 : 1
            let candidate = iterator.prefix(length)
            var decoder = UTF8()
            var bytesIterator = candidate.makeIterator()
            if length > 1, candidate.count == length,
               case .scalarValue(let scalar) = decoder.decode(&bytesIterator) {
                iterator = iterator.dropFirst(length)
                let v = scalar.value
                let unsafe = (0x80...0x9f).contains(v) || (0x200b...0x200f).contains(v)
                    || (0x202a...0x202e).contains(v) || (0x2066...0x2069).contains(v)
                    || v == 0xfeff || v == 0x2028 || v == 0x2029
                if unsafe {
                    out += "\\u{" + String(v, radix: 16) + "}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            } else {
                iterator = iterator.dropFirst()
                out += hex(first)
            }
        }
        return out
    }
}
