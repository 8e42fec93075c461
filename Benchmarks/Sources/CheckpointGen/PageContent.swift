/// What a synthetic page holds.
public enum PageKind: String, Codable, Sendable, CaseIterable {
    /// All zero (touched, then cleared; CRIU writes such pages when they are not the zero page).
    case zero
    /// ASCII log lines and identifiers (compressible, greppable).
    case text
    /// Bytes from the seeded PRNG (incompressible: buffers, crypto state, compressed data).
    case random
    /// Heap-like words: pointers near a base, small integers, zero padding.
    case structured
}

/// Page contents as a pure function of (seed, page ordinal, variant): the generator, the twin
/// and any checker can recompute any page without storing it.
public struct PageContent: Sendable {
    public let seed: UInt64
    public let pageSize: Int

    /// Shares of the kinds (zero, text, random, structured); they sum to 1.
    public static let shares: [(PageKind, Double)] = [(.zero, 0.10), (.text, 0.35), (.random, 0.40), (.structured, 0.15)]

    public init(seed: UInt64, pageSize: Int = 4096) {
        self.seed = seed
        self.pageSize = pageSize
    }

    public func kind(ordinal: UInt64, variant: UInt64) -> PageKind {
        let u = hashUnit(seed, 0x6B69_6E64 &+ variant &* 0x1000, ordinal)
        var acc = 0.0
        for (kind, share) in Self.shares {
            acc += share
            if u < acc {
                // A changed page (variant > 0) never stays all-zero: it must differ from the original.
                if variant > 0 && kind == .zero { return .random }
                return kind
            }
        }
        return .random
    }

    /// Fills `page` (pageSize bytes) with the content of page `ordinal` in `variant` (0 = original).
    public func fill(_ page: UnsafeMutableRawBufferPointer, ordinal: UInt64, variant: UInt64) {
        let kind = kind(ordinal: ordinal, variant: variant)
        var rng = FastRandom(seed: seed ^ splitmix64(ordinal &* 0x2545_F491_4F6C_DD1D &+ variant))
        switch kind {
        case .zero:
            page.initializeMemory(as: UInt8.self, repeating: 0)
        case .random:
            let words = page.bindMemory(to: UInt64.self)
            for i in 0..<words.count { words[i] = rng.next() }
        case .structured:
            let words = page.bindMemory(to: UInt64.self)
            let base: UInt64 = 0x5555_5560_0000 &+ (rng.next() & 0xFF_FFF0)
            for i in 0..<words.count {
                let r = rng.next()
                switch r & 7 {
                case 0, 1, 2: words[i] = base &+ ((r >> 8) & 0xF_FFF8)       // pointer into the heap
                case 3: words[i] = (r >> 16) & 0xFFFF                         // small integer
                case 4: words[i] = 0x7F00_0000_0000 | ((r >> 8) & 0xFF_FFFF_FFF8) // pointer into mmap area
                default: words[i] = 0
                }
            }
        case .text:
            TextFiller.fill(page, rng: &rng)
        }
    }
}

enum TextFiller {
    static let words: [[UInt8]] = [
        "INFO", "DEBUG", "WARN", "request", "handled", "worker", "session", "user", "GET", "POST",
        "/api/v1/items", "/healthz", "status=200", "status=404", "latency_ms=", "bytes=", "cache",
        "hit", "miss", "connection", "accepted", "closed", "upstream", "timeout", "retry", "queue",
        "job", "completed", "started", "config", "loaded", "from", "/etc/app/config.yaml", "the",
        "a", "of", "to", "and", "in", "is", "for", "with", "on", "as", "by", "at", "id=", "trace=",
        "span=", "tenant=", "region=eu-west-1", "db.query", "SELECT", "FROM", "WHERE", "orders",
        "customers", "ok", "error=nil", "took", "allocating", "buffer", "flushed", "segment",
        "compaction", "checkpoint", "container", "podman", "runc", "libpod", "overlay", "mount",
    ].map { Array($0.utf8) }

    static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    static func fill(_ page: UnsafeMutableRawBufferPointer, rng: inout FastRandom) {
        let out = page.bindMemory(to: UInt8.self)
        let n = out.count
        var i = 0
        var lineLength = 0
        while i < n {
            let r = rng.next()
            if lineLength > 60 + Int(r & 31) {
                out[i] = 0x0A
                i += 1
                lineLength = 0
                continue
            }
            if r & 0x700 == 0 {
                // a number: 3 to 10 hex/decimal digits
                let count = 3 + Int((r >> 12) & 7)
                var x = r >> 20
                var k = 0
                while k < count && i < n {
                    out[i] = digits[Int(x & 15) % ((r & 0x800) == 0 ? 10 : 16)]
                    x >>= 4
                    i += 1
                    k += 1
                }
                lineLength += count
            } else {
                let word = words[Int((r >> 16) % UInt64(words.count))]
                for b in word where i < n {
                    out[i] = b
                    i += 1
                }
                lineLength += word.count
            }
            if i < n {
                out[i] = 0x20
                i += 1
                lineLength += 1
            }
        }
    }
}
