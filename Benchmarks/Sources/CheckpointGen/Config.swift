/// Options of one generation.
public struct GeneratorConfig: Sendable {
    /// Bytes of page data in `checkpoint/pages-*.img` (rounded down to whole pages).
    public var pagesSize: UInt64
    /// The extracted-archive directory to write (`DIR/checkpoint`, `DIR/config.dump`, ...).
    public var out: String
    /// A second directory: the same container with `changedFraction` of its pages rewritten.
    public var twin: String?
    public var changedFraction: Double = 0.05
    public var seed: UInt64 = 1
    /// Processes in the tree (zombies included); nil = 8, 16 or 32 depending on size.
    public var processes: Int?
    public var zombies: Int = 1
    /// Pages in `pre-checkpoint/` (PE_PARENT runs), as a fraction of `pagesSize`.
    public var parentFraction: Double = 0.08
    /// Markers to plant; nil = max(16, pages / 256).
    public var markers: Int?
    /// Archives to make of `out` (`tar`, `tar.gz`, `tar.zst`), written next to it as `DIR.tar`...
    public var archives: [ArchiveFormat] = [.tar, .gzip, .zstd]
    /// Archives to make of the twin.
    public var twinArchives: [ArchiveFormat] = [.tar]
    /// Print progress to stderr.
    public var verbose = false

    public init(pagesSize: UInt64, out: String) {
        self.pagesSize = pagesSize
        self.out = out
    }

    public var pageCount: Int { Int(pagesSize / 4096) }
}

public enum ArchiveFormat: String, Sendable, CaseIterable, Codable {
    case tar = "tar"
    case gzip = "tar.gz"
    case zstd = "tar.zst"
}

/// Parses `2GiB`, `20MiB`, `4096`, `1.5G`, `512k`.
public func parseSize(_ text: String) -> UInt64? {
    let lower = text.lowercased().trimmingCharacters(in: " ")
    let units: [(String, Double)] = [
        ("kib", 1024), ("mib", 1_048_576), ("gib", 1_073_741_824), ("tib", 1_099_511_627_776),
        ("kb", 1000), ("mb", 1e6), ("gb", 1e9), ("tb", 1e12),
        ("k", 1024), ("m", 1_048_576), ("g", 1_073_741_824), ("t", 1_099_511_627_776), ("b", 1),
    ]
    for (suffix, factor) in units where lower.hasSuffix(suffix) {
        guard let value = Double(lower.dropLast(suffix.count)) else { return nil }
        return UInt64(value * factor)
    }
    return UInt64(lower)
}

extension String {
    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return String(s)
    }
}

func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }

func padded(_ n: Int, _ width: Int) -> String {
    let s = String(n)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}
