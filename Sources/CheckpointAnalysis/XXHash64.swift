/// XXH64 (Yann Collet's xxHash, 64-bit variant): a fast non-cryptographic hash, used to compare
/// pages and files without holding both sides. Mirrors `XXH64()` and the `XXH64_state_t` API.
public struct XXHash64: Sendable {
    static let p1: UInt64 = 0x9E37_79B1_85EB_CA87
    static let p2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    static let p3: UInt64 = 0x1656_67B1_9E37_79F9
    static let p4: UInt64 = 0x85EB_CA77_C2B2_AE63
    static let p5: UInt64 = 0x27D4_EB2F_1656_67C5

    private var v1: UInt64, v2: UInt64, v3: UInt64, v4: UInt64
    private let seed: UInt64
    private var total: UInt64 = 0
    private var buffer: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    private var buffered = 0

    /// A streaming hasher with `seed`: feed it with ``update(_:)``, then call ``finalize()``.
    public init(seed: UInt64 = 0) {
        self.seed = seed
        v1 = seed &+ Self.p1 &+ Self.p2
        v2 = seed &+ Self.p2
        v3 = seed
        v4 = seed &- Self.p1
    }

    @inline(__always) static func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { (x << r) | (x >> (64 - r)) }

    @inline(__always) static func round(_ acc: UInt64, _ input: UInt64) -> UInt64 {
        rotl(acc &+ input &* p2, 31) &* p1
    }

    @inline(__always) static func merge(_ acc: UInt64, _ value: UInt64) -> UInt64 {
        (acc ^ round(0, value)) &* p1 &+ p4
    }

    /// The hash of a buffer in one call.
    public static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0) -> UInt64 {
        let count = bytes.count
        guard let base = bytes.baseAddress else { return finish(seed &+ p5, tail: UnsafeRawBufferPointer(start: nil, count: 0), total: 0) }
        var h: UInt64
        var i = 0
        if count >= 32 {
            var a = seed &+ p1 &+ p2, b = seed &+ p2, c = seed, d = seed &- p1
            while i + 32 <= count {
                a = round(a, base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                b = round(b, base.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self))
                c = round(c, base.loadUnaligned(fromByteOffset: i + 16, as: UInt64.self))
                d = round(d, base.loadUnaligned(fromByteOffset: i + 24, as: UInt64.self))
                i += 32
            }
            h = rotl(a, 1) &+ rotl(b, 7) &+ rotl(c, 12) &+ rotl(d, 18)
            h = merge(merge(merge(merge(h, a), b), c), d)
        } else {
            h = seed &+ p5
        }
        return finish(h, tail: UnsafeRawBufferPointer(rebasing: bytes[i...]), total: UInt64(count))
    }

    /// The hash of an array in one call.
    public static func hash(_ bytes: [UInt8], seed: UInt64 = 0) -> UInt64 {
        bytes.withUnsafeBytes { hash($0, seed: seed) }
    }

    private static func finish(_ h0: UInt64, tail: UnsafeRawBufferPointer, total: UInt64) -> UInt64 {
        var h = h0 &+ total
        var i = 0
        let n = tail.count
        if let base = tail.baseAddress {
            while i + 8 <= n {
                h ^= round(0, base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                h = rotl(h, 27) &* p1 &+ p4
                i += 8
            }
            if i + 4 <= n {
                h ^= UInt64(base.loadUnaligned(fromByteOffset: i, as: UInt32.self)) &* p1
                h = rotl(h, 23) &* p2 &+ p3
                i += 4
            }
            while i < n {
                h ^= UInt64(tail[i]) &* p5
                h = rotl(h, 11) &* p1
                i += 1
            }
        }
        h ^= h >> 33
        h = h &* p2
        h ^= h >> 29
        h = h &* p3
        h ^= h >> 32
        return h
    }

    /// Adds bytes to a streaming hash.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        total &+= UInt64(bytes.count)
        var i = 0
        let n = bytes.count
        if buffered > 0 {
            let take = min(32 - buffered, n)
            withUnsafeMutableBytes(of: &buffer) { b in
                b.baseAddress!.advanced(by: buffered).copyMemory(from: base, byteCount: take)
            }
            buffered += take
            i = take
            if buffered < 32 { return }
            let (w0, w1, w2, w3) = buffer
            v1 = Self.round(v1, UInt64(littleEndian: w0))
            v2 = Self.round(v2, UInt64(littleEndian: w1))
            v3 = Self.round(v3, UInt64(littleEndian: w2))
            v4 = Self.round(v4, UInt64(littleEndian: w3))
            buffered = 0
        }
        while i + 32 <= n {
            v1 = Self.round(v1, base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            v2 = Self.round(v2, base.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self))
            v3 = Self.round(v3, base.loadUnaligned(fromByteOffset: i + 16, as: UInt64.self))
            v4 = Self.round(v4, base.loadUnaligned(fromByteOffset: i + 24, as: UInt64.self))
            i += 32
        }
        if i < n {
            let rest = n - i
            withUnsafeMutableBytes(of: &buffer) { b in
                b.baseAddress!.copyMemory(from: base + i, byteCount: rest)
            }
            buffered = rest
        }
    }

    /// The hash of everything added so far.
    public func finalize() -> UInt64 {
        var h: UInt64
        if total >= 32 {
            h = Self.rotl(v1, 1) &+ Self.rotl(v2, 7) &+ Self.rotl(v3, 12) &+ Self.rotl(v4, 18)
            h = Self.merge(Self.merge(Self.merge(Self.merge(h, v1), v2), v3), v4)
        } else {
            h = seed &+ Self.p5
        }
        var copy = buffer
        let count = buffered
        return withUnsafeBytes(of: &copy) { b in
            Self.finish(h, tail: UnsafeRawBufferPointer(rebasing: b[..<count]), total: total)
        }
    }
}
