#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Computes the stacking features of one row into a caller-owned buffer (no allocation).
///
/// Cross-model features (agreement, majority, average confidence, spread) count only the
/// models present in the row: an imputed vector is a stand-in for the learners, not a vote.
public enum StackingFeatures {
    /// - Parameters:
    ///   - probabilities: M×K values, model-major, alphabetical model order.
    ///   - presentMask: bit m set when model m's vector arrived.
    ///   - regimes: `(vol_regime, trend_regime)` when the layout includes the reference regimes.
    ///   - regimeValues: the row's regime values, in `layout.regimeNames` order (live rows; use
    ///     one of `regimes` and `regimeValues`).
    ///   - out: at least `layout.count` values.
    public static func compute(
        probabilities p: UnsafeBufferPointer<Double>, modelCount m: Int, classCount k: Int,
        presentMask: UInt64, regimes: (Double, Double)? = nil, regimeValues: UnsafeBufferPointer<Double>? = nil,
        skill: UnsafeBufferPointer<Double>? = nil,
        into out: UnsafeMutableBufferPointer<Double>
    ) {
        let basic = m * k
        for i in 0..<basic { out[i] = p[i] }
        // Per model: conf, entropy, margin, pred.
        var votes = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var presentCount = 0
        var confSum = 0.0, confMax = -Double.infinity, confMin = Double.infinity
        var firstPred = -1
        var allAgree = true
        withUnsafeMutableBytes(of: &votes) { raw in
            let voteCounts = raw.bindMemory(to: Int.self)
            for j in 0..<m {
                let base = j * k
                var top1 = -Double.infinity, top2 = -Double.infinity, arg = 0
                var entropy = 0.0
                for c in 0..<k {
                    let v = p[base + c]
                    if v > top1 { top2 = top1; top1 = v; arg = c } else if v > top2 { top2 = v }
                    if v > 0 { entropy -= v * log(v) }
                }
                let o = basic + 4 * j
                out[o] = top1
                out[o + 1] = entropy
                out[o + 2] = top1 - top2
                out[o + 3] = StackingFeatureLayout.classValue(arg, classCount: k)
                if presentMask & (UInt64(1) << UInt64(j)) != 0 {
                    presentCount += 1
                    voteCounts[arg] += 1
                    confSum += top1
                    if top1 > confMax { confMax = top1 }
                    if top1 < confMin { confMin = top1 }
                    if firstPred < 0 { firstPred = arg } else if arg != firstPred { allAgree = false }
                }
            }
            // Majority: most votes; ties -> highest mean probability among the tied classes
            // (mean over present models); still tied -> lowest index.
            var bestVotes = -1
            for c in 0..<k where voteCounts[c] > bestVotes { bestVotes = voteCounts[c] }
            var majority = 0, bestMean = -Double.infinity
            for c in 0..<k where voteCounts[c] == bestVotes {
                var s = 0.0
                for j in 0..<m where presentMask & (UInt64(1) << UInt64(j)) != 0 { s += p[j * k + c] }
                let mean = s / Double(presentCount)
                if mean > bestMean { bestMean = mean; majority = c }
            }
            let c0 = basic + 4 * m
            out[c0] = allAgree ? 1 : 0
            out[c0 + 1] = StackingFeatureLayout.classValue(majority, classCount: k)
            out[c0 + 2] = Double(voteCounts[majority])
            out[c0 + 3] = confSum / Double(presentCount)
            out[c0 + 4] = confMax - confMin
            var extra = c0 + 5
            if let regimes {
                out[extra] = regimes.0
                out[extra + 1] = regimes.1
                extra += 2
            } else if let regimeValues {
                for i in 0..<regimeValues.count { out[extra + i] = regimeValues[i] }
                extra += regimeValues.count
            }
            if let skill { for j in 0..<m { out[extra + j] = skill[j] } }
        }
    }
}
