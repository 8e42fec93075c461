/// SplitMix64: seeds and stateless hashing (page kinds, twin changes).
@inline(__always)
public func splitmix64(_ x: UInt64) -> UInt64 {
    var z = x &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// wyrand: a fast seeded PRNG (one multiply per 8 bytes), used for layout and page bytes.
public struct FastRandom: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(seed: UInt64) { state = splitmix64(seed) }

    @inline(__always)
    public mutating func next() -> UInt64 {
        state &+= 0xA076_1D64_78BD_642F
        let m = state.multipliedFullWidth(by: state ^ 0xE703_7ED1_A0B4_28DB)
        return m.high ^ m.low
    }

    /// Uniform in `0..<bound` (bound > 0), slightly biased, fine for synthetic data.
    @inline(__always)
    public mutating func below(_ bound: Int) -> Int {
        Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// Uniform in `range`.
    @inline(__always)
    public mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + below(range.count)
    }

    /// True with probability `p`.
    @inline(__always)
    public mutating func chance(_ p: Double) -> Bool {
        Double(next() >> 11) * 0x1p-53 < p
    }

    public mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }
}

/// A stateless uniform [0, 1) from a hash of (seed, salt, index).
@inline(__always)
func hashUnit(_ seed: UInt64, _ salt: UInt64, _ index: UInt64) -> Double {
    Double(splitmix64(seed ^ splitmix64(salt &+ index)) >> 11) * 0x1p-53
}
