/// SplitMix64 (Steele, Lea & Flood 2014): a tiny seeded generator whose output is fixed by its
/// definition, so the demo's stream, the MLP's initial weights, the backtest's bootstrap draws
/// and the tests' data are the same on every platform and Swift version (the system generator
/// is neither seedable nor stable). It is the one generator of the project; the core itself
/// never draws from it on the ingest path.
package struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    package init(seed: UInt64) { state = seed }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A double in [0, 1) from the top 53 bits (every value a multiple of 2⁻⁵³).
    package mutating func nextUnitInterval() -> Double { Double(next() >> 11) * 0x1.0p-53 }
}
