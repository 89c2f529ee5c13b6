import Foundation
@testable import StackdCore
import StackdTestSupport

/// Softmax of `logits` into `out`.
func monitoringSoftmax(_ logits: [Double], into out: inout [Double], at offset: Int) {
    let mx = logits.max()!
    var s = 0.0
    for (i, l) in logits.enumerated() { out[offset + i] = exp(l - mx); s += out[offset + i] }
    for i in 0..<logits.count { out[offset + i] /= s }
}

/// A seeded 3-class stream with three base models. Model `strong` sees the label with signal
/// `signal`; from row `degradeAt` on, `degraded` model's signal drops to 0 and its outputs get a
/// bias towards class 2 (its distribution moves and its skill decays).
struct DriftScenario {
    static let k = 3
    static let m = 3
    var rng: SplitMix64
    var degradeAt: Int?
    var degraded = 0
    var row = 0

    init(seed: UInt64, degradeAt: Int?) {
        rng = SplitMix64(seed: seed)
        self.degradeAt = degradeAt
    }

    /// Next label, base vectors (M × K) and the ensemble (their average).
    mutating func next(base: inout [Double], ensemble: inout [Double]) -> Int {
        let label = rng.below(Self.k)
        let signals = [2.0, 1.0, 0.8]
        let broken = degradeAt.map { row >= $0 } ?? false
        for model in 0..<Self.m {
            var logits = [Double](repeating: 0, count: Self.k)
            for c in 0..<Self.k { logits[c] = 0.6 * rng.normal() }
            if broken && model == degraded {
                logits[2] += 1.0
            } else {
                logits[label] += signals[model]
            }
            monitoringSoftmax(logits, into: &base, at: model * Self.k)
        }
        for c in 0..<Self.k {
            var s = 0.0
            for model in 0..<Self.m { s += base[model * Self.k + c] }
            ensemble[c] = s / Double(Self.m)
        }
        row += 1
        return label
    }
}
