/// The compression of a tar archive, detected by magic bytes, never by file name.
///
/// Podman names a zstd archive `.tar.gz` if asked to, so the name proves nothing.
public enum Compression: String, Hashable, Sendable, CaseIterable {
    /// A plain tar: `ustar` at offset 257.
    case none
    /// gzip: `1f 8b`.
    case gzip
    /// zstd: `28 b5 2f fd`.
    case zstd
    /// bzip2: `42 5a 68` (`BZh`).
    case bzip2
    /// xz: `fd 37 7a 58 5a 00`.
    case xz

    /// How many leading bytes ``detect(_:)`` needs to decide (the end of the tar magic).
    public static let detectionLength = 262

    /// Detects the compression from the first bytes of a file.
    ///
    /// - Parameter prefix: the first ``detectionLength`` bytes, or all of a shorter file.
    /// - Returns: the compression, or `nil` when no magic matches (not a tar we can read).
    public static func detect(_ prefix: some Collection<UInt8>) -> Compression? {
        let bytes = Array(prefix.prefix(detectionLength))
        func starts(_ magic: [UInt8]) -> Bool { bytes.starts(with: magic) }
        if starts([0x1f, 0x8b]) { return .gzip }
        if starts([0x28, 0xb5, 0x2f, 0xfd]) { return .zstd }
        if starts([0x42, 0x5a, 0x68]) { return .bzip2 }
        if starts([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) { return .xz }
        if bytes.count >= 262, Array(bytes[257..<262]) == Array("ustar".utf8) { return Compression.none }
        return nil
    }
}
