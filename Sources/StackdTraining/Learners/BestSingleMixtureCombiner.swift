import StackdCore
import StackdLearning

/// A learner's output mixed with the best single base model's vector:
/// out = w·learner + (1 − w)·p_best, with w ∈ [0, 1] fitted by `BestSingleMixture` on the
/// validation rows (`learner.mix_best_single`).
///
/// Why: on a short validation slice a meta-learner and the best single model often trade places
/// (on oos-daily's long horizons the single model wins most slices, the learner wins out of
/// sample), and the gate must then choose one of them on noise. Their mixture is never worse than
/// either on the rows its weight is fitted on, and out of sample it keeps most of whichever turns
/// out better. The gate still judges it, cross-fitted, against every baseline.
///
/// `combine` mixes in place after the learner's own `combine` and stays allocation-free when the
/// learner's does; a missing best model arrives imputed (the mean of the present ones), as for
/// every combiner. Contributions are the learner's own, before the mixture.
public final class BestSingleMixtureCombiner: MetaLearnerWrapper {
    /// The learner as fitted, unmixed.
    public let inner: any FittedMetaLearner
    /// The learner's weight w; the best single model gets 1 − w.
    public let learnerWeight: Double
    /// Layout index of the best single model.
    public let model: Int
    /// K and the best model's first column in the base predictions, fixed at init so that
    /// `combine` does not copy the layout (its arrays) per row.
    private let classCount: Int, baseOffset: Int

    public init(inner: any FittedMetaLearner, learnerWeight: Double, model: Int) {
        precondition(learnerWeight >= 0 && learnerWeight <= 1 && inner.layout.models.indices.contains(model),
                     "BestSingleMixtureCombiner: weight outside [0, 1] or model outside the layout")
        self.inner = inner
        self.learnerWeight = learnerWeight
        self.model = model
        classCount = inner.layout.classCount
        baseOffset = model * inner.layout.classCount
    }

    public var fitSummary: LearnerFitSummary {
        var s = inner.fitSummary
        s.hyperparameters["best_single_mixture_weight"] = learnerWeight
        return s
    }

    public func combine(basePredictions: UnsafeBufferPointer<Double>, features: UnsafeBufferPointer<Double>,
                        presentMask: UInt64, into out: UnsafeMutableBufferPointer<Double>) {
        inner.combine(basePredictions: basePredictions, features: features, presentMask: presentMask, into: out)
        let w = learnerWeight
        for c in 0..<classCount { out[c] = w * out[c] + (1 - w) * basePredictions[baseOffset + c] }
    }

    /// The basic columns of the features (the leading M·K) are the base probabilities.
    public func predictProbabilities(features X: Matrix) throws -> Matrix {
        var P = try inner.predictProbabilities(features: X)
        let w = learnerWeight
        for i in 0..<P.rows { for c in 0..<classCount { P[i, c] = w * P[i, c] + (1 - w) * X[i, baseOffset + c] } }
        return P
    }
}

/// Fitting the learner's weight of a `BestSingleMixtureCombiner`.
public enum BestSingleMixture {
    /// The w ∈ [0, 1] that minimises the mean log-loss of w·a + (1 − w)·b, where a and b are the
    /// learner's and the single model's probabilities of each row's label. The loss is convex in
    /// w, so its derivative −Σ (a − b) / (w·a + (1 − w)·b) is increasing: 0 or 1 when it does not
    /// change sign on [0, 1], else its root by bisection (to 1e-12).
    public static func fitWeight(learner a: [Double], single b: [Double]) -> Double {
        precondition(a.count == b.count, "BestSingleMixture.fitWeight: length mismatch")
        let eps = 1e-15
        func slope(_ w: Double) -> Double {
            var s = 0.0
            for i in a.indices {
                let x = max(a[i], eps), y = max(b[i], eps)
                s -= (x - y) / (w * x + (1 - w) * y)
            }
            return s
        }
        if a.isEmpty || slope(0) >= 0 { return 0 }
        if slope(1) <= 0 { return 1 }
        var lo = 0.0, hi = 1.0
        while hi - lo > 1e-12 {
            let mid = (lo + hi) / 2
            if slope(mid) < 0 { lo = mid } else { hi = mid }
        }
        return (lo + hi) / 2
    }

    /// Each row's probability of its label under `P`.
    static func labelProbabilities(_ P: Matrix, _ labels: [Int], rows: Range<Int>) -> [Double] {
        rows.map { P[$0, labels[$0]] }
    }

    /// The weight served (fitted on all rows) and the mixed probabilities the gate judges: the rows
    /// are split by time into two halves and each half is mixed with the weight fitted on the
    /// other, so no row is judged with a weight fitted on itself. nil with fewer than
    /// 2 × `minimumRows` rows.
    public static func crossFitted(learner P: Matrix, single S: Matrix, labels: [Int],
                                   minimumRows: Int) -> (weight: Double, crossFitted: Matrix)? {
        precondition(P.rows == S.rows && P.cols == S.cols && labels.count == P.rows, "BestSingleMixture.crossFitted: shape mismatch")
        guard let r = TimeHalvesCrossFit.crossFitted(
            rows: P.rows, cols: P.cols, minimumRows: minimumRows,
            fit: { r in fitWeight(learner: labelProbabilities(P, labels, rows: r), single: labelProbabilities(S, labels, rows: r)) },
            apply: { w, r in
                var out = Matrix(rows: r.count, cols: P.cols)
                for (j, i) in r.enumerated() { for c in 0..<P.cols { out[j, c] = w * P[i, c] + (1 - w) * S[i, c] } }
                return out
            }) else { return nil }
        return (r.served, r.crossFitted)
    }
}
