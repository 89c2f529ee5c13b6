import StackdCore

/// A digest of what a combiner computes, from its outputs on a fixed set of probe inputs: equal
/// parameters give equal digests, and almost any change of a parameter changes it.
///
/// Why probe outputs rather than hash the parameters: it works for every combiner kind (logistic
/// weights, boosted trees, blends) without serialising any, and it costs a few `combine` calls —
/// cheap enough for the ingest thread at a model install. A replay compares it with the live
/// model's (`retrain_finished`, `schemas/journal.md` §8), so a model that differs only in its
/// parameters (same decision and version) is reported instead of diverging silently.
package enum ModelProbeDigest {
    /// Probe inputs: a few pseudo-random base vectors (normalised per model) and feature vectors
    /// in [0, 1), every model present; fixed seed, so live and replay probe identically.
    package static func digest(of combiner: any MetaCombiner, modelCount m: Int, classCount k: Int, featureCount f: Int) -> String {
        var state: UInt64 = 0x5eed_cafe_f00d_0001
        func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) * 0x1p-53
        }
        var base = [Double](repeating: 0, count: m * k)
        var features = [Double](repeating: 0, count: max(f, 1))
        var out = [Double](repeating: 0, count: k)
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        let mask: UInt64 = m >= 64 ? .max : (1 << UInt64(m)) - 1
        for _ in 0..<4 {
            for i in 0..<m {
                var sum = 0.0
                for c in 0..<k { base[i * k + c] = next() + 0.01; sum += base[i * k + c] }
                for c in 0..<k { base[i * k + c] /= sum }
            }
            for j in 0..<f { features[j] = next() }
            base.withUnsafeBufferPointer { b in
                features.withUnsafeBufferPointer { fv in
                    out.withUnsafeMutableBufferPointer { o in
                        combiner.combine(basePredictions: b, features: UnsafeBufferPointer(rebasing: fv[0..<f]), presentMask: mask, into: o)
                    }
                }
            }
            for v in out {
                let x = (h ^ v.bitPattern) &* 0x9e37_79b9_7f4a_7c15
                h = x ^ (x >> 29)
            }
        }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
