import Foundation
import StackdCore

/// Draws the tests need on top of the project's one seeded generator (`StackdCore.SplitMix64`),
/// so test data is the same on every machine and run.
extension SplitMix64 {
    /// Uniform on [0, 1) (the name the tests' data generators read best with).
    package mutating func uniform() -> Double { nextUnitInterval() }

    /// Standard normal (Box–Muller on two uniform draws).
    package mutating func normal() -> Double {
        let u = max(nextUnitInterval(), 1e-300), v = nextUnitInterval()
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }

    /// An integer in 0..<n (n ≤ 0 gives 0); the modulo bias is irrelevant at test sizes.
    package mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
}
