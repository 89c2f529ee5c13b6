#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Evaluation metrics for 3-class trading predictions, defined exactly as the offline reference
/// (`reference.py`) defines them so Swift reports can be compared to it to four decimals.
///
/// Class indices are 0, 1, 2 = short (−1), neutral (0), long (+1); probability matrices have one
/// row per event and one column per class. Label arrays hold class indices. With K ≠ 3 classes
/// (`models.classes`) the lowest class is short, the highest long and any between is flat
/// (`position(ofClass:classCount:)`); K = 3 is the case above.
public enum Metrics {
    /// Floor on the true-class probability inside the log-loss (the reference's `EPS`).
    public static let logLossEpsilon = 1e-15

    /// Index of the largest entry; ties go to the lowest index (numpy `argmax`).
    @inlinable
    public static func argmax(_ p: UnsafeBufferPointer<Double>) -> Int {
        var best = 0
        var i = 1
        while i < p.count { if p[i] > p[best] { best = i }; i += 1 }
        return best
    }

    /// Arg-max class index of every row.
    public static func predictedClasses(_ probabilities: Matrix) -> [Int] {
        (0..<probabilities.rows).map { r in probabilities.withRow(r) { argmax($0) } }
    }

    /// Position of a class index: −1, 0, +1 for short, neutral, long.
    @inlinable
    public static func position(ofClass c: Int) -> Int { c - 1 }

    /// Position of a class index among K classes: −1 for the lowest, +1 for the highest, 0 for
    /// any between (K = 3: the same as `position(ofClass:)`; K = 2: short or long, never flat).
    @inlinable
    public static func position(ofClass c: Int, classCount k: Int) -> Int { c == 0 ? -1 : (c == k - 1 ? 1 : 0) }

    /// Share of rows whose predicted class equals the true class.
    public static func accuracy(predicted: [Int], actual: [Int]) -> Double {
        precondition(predicted.count == actual.count, "length mismatch")
        guard !actual.isEmpty else { return 0 }
        return Double(zip(predicted, actual).filter { $0 == $1 }.count) / Double(actual.count)
    }

    /// Per-class F1 (scikit-learn semantics: 0 when precision and recall are both undefined or zero).
    public static func f1PerClass(predicted: [Int], actual: [Int], classes: Int = 3) -> [Double] {
        precondition(predicted.count == actual.count, "length mismatch")
        var tp = [Int](repeating: 0, count: classes), fp = tp, fn = tp
        for (p, a) in zip(predicted, actual) {
            if p == a { tp[p] += 1 } else { fp[p] += 1; fn[a] += 1 }
        }
        return (0..<classes).map { c in
            let denom = 2 * tp[c] + fp[c] + fn[c]
            return denom == 0 ? 0 : Double(2 * tp[c]) / Double(denom)
        }
    }

    /// Unweighted mean of the per-class F1 over all `classes` (absent classes count as 0).
    public static func macroF1(predicted: [Int], actual: [Int], classes: Int = 3) -> Double {
        let f = f1PerClass(predicted: predicted, actual: actual, classes: classes)
        return f.reduce(0, +) / Double(classes)
    }

    /// mean(−ln max(p_true, 1e-15)).
    public static func logLoss(probabilities P: Matrix, labels y: [Int]) -> Double {
        precondition(P.rows == y.count, "length mismatch")
        guard !y.isEmpty else { return 0 }
        var s = 0.0
        for i in 0..<y.count { s -= log(max(P[i, y[i]], logLossEpsilon)) }
        return s / Double(y.count)
    }

    /// Multiclass Brier score: mean over rows of Σ_c (p_c − 1[y = c])².
    public static func brierScore(probabilities P: Matrix, labels y: [Int]) -> Double {
        precondition(P.rows == y.count, "length mismatch")
        guard !y.isEmpty else { return 0 }
        var s = 0.0
        for i in 0..<y.count {
            for c in 0..<P.cols {
                let d = P[i, c] - (y[i] == c ? 1 : 0)
                s += d * d
            }
        }
        return s / Double(y.count)
    }

    /// Per-row P&L of trading the predicted class: position × forward return.
    public static func pnl(predicted: [Int], forwardReturns: [Double], classCount: Int = 3) -> [Double] {
        precondition(predicted.count == forwardReturns.count, "length mismatch")
        return zip(predicted, forwardReturns).map { Double(position(ofClass: $0, classCount: classCount)) * $1 }
    }

    /// Annualised Sharpe of the pooled per-event P&L: mean/std(ddof=1)·√(252/h); 0 when std is 0
    /// or there are fewer than two rows.
    public static func sharpe(predicted: [Int], forwardReturns: [Double], horizon: Int, classCount: Int = 3) -> Double {
        let p = pnl(predicted: predicted, forwardReturns: forwardReturns, classCount: classCount)
        guard p.count >= 2 else { return 0 }
        let mean = p.reduce(0, +) / Double(p.count)
        var ss = 0.0
        for v in p { ss += (v - mean) * (v - mean) }
        let sd = (ss / Double(p.count - 1)).squareRoot()
        guard sd > 0 else { return 0 }
        return mean / sd * (252.0 / Double(horizon)).squareRoot()
    }

    /// Share of rows with a nonzero position whose P&L is positive; 0 if no position was taken.
    public static func winRate(predicted: [Int], forwardReturns: [Double], classCount: Int = 3) -> Double {
        precondition(predicted.count == forwardReturns.count, "length mismatch")
        var traded = 0, won = 0
        for (c, r) in zip(predicted, forwardReturns) where position(ofClass: c, classCount: classCount) != 0 {
            traded += 1
            if Double(position(ofClass: c, classCount: classCount)) * r > 0 { won += 1 }
        }
        return traded == 0 ? 0 : Double(won) / Double(traded)
    }

    /// Ranks 1…n with tied values sharing their average rank (scipy `rankdata(method="average")`).
    public static func averageRanks(_ v: [Double]) -> [Double] {
        let order = v.indices.sorted { v[$0] < v[$1] }
        var ranks = [Double](repeating: 0, count: v.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && v[order[j + 1]] == v[order[i]] { j += 1 }
            let r = Double(i + j) / 2 + 1
            for t in i...j { ranks[order[t]] = r }
            i = j + 1
        }
        return ranks
    }

    /// Pearson correlation; 0 when either side has zero variance. Clamped to [−1, 1]: rounding
    /// can put an exactly linear relation a few ulps beyond ±1.
    public static func pearson(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count, "length mismatch")
        guard a.count >= 2 else { return 0 }
        let n = Double(a.count)
        let ma = a.reduce(0, +) / n, mb = b.reduce(0, +) / n
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for i in a.indices {
            let da = a[i] - ma, db = b[i] - mb
            sab += da * db; saa += da * da; sbb += db * db
        }
        guard saa > 0 && sbb > 0 else { return 0 }
        return min(1, max(-1, sab / (saa * sbb).squareRoot()))
    }

    /// Spearman rank correlation (average ranks for ties) of the directional score
    /// P(long) − P(short) (highest class minus lowest) against the forward return; 0 when either
    /// side is constant.
    public static func informationCoefficient(probabilities P: Matrix, forwardReturns: [Double]) -> Double {
        precondition(P.rows == forwardReturns.count && P.cols >= 2, "shape mismatch")
        let long = P.cols - 1
        let score = (0..<P.rows).map { P[$0, long] - P[$0, 0] }
        return pearson(averageRanks(score), averageRanks(forwardReturns))
    }

    /// Reliability diagram of one class: for each of `bins` equal-width bins on [0, 1]
    /// (bin = min(floor(bins·p), bins − 1)), the count, mean predicted probability and observed
    /// frequency of the class. Empty bins report count 0 and means of 0.
    public static func reliabilityCurve(probabilities P: Matrix, labels y: [Int], class c: Int,
                                        bins: Int = 10) -> [ReliabilityBin] {
        precondition(P.rows == y.count && c >= 0 && c < P.cols && bins > 0, "bad arguments")
        var n = [Int](repeating: 0, count: bins)
        var sp = [Double](repeating: 0, count: bins), sy = sp
        for i in 0..<y.count {
            let p = P[i, c]
            let b = min(max(Int((p * Double(bins)).rounded(.down)), 0), bins - 1)
            n[b] += 1; sp[b] += p; sy[b] += (y[i] == c ? 1 : 0)
        }
        return (0..<bins).map { b in
            n[b] == 0 ? ReliabilityBin(count: 0, meanPredicted: 0, observedFrequency: 0)
                : ReliabilityBin(count: n[b], meanPredicted: sp[b] / Double(n[b]),
                                 observedFrequency: sy[b] / Double(n[b]))
        }
    }

    /// Expected calibration error of one class: Σ_b n_b/N · |observed_b − predicted_b|.
    public static func expectedCalibrationError(probabilities P: Matrix, labels y: [Int], class c: Int,
                                                bins: Int = 10) -> Double {
        guard !y.isEmpty else { return 0 }
        let curve = reliabilityCurve(probabilities: P, labels: y, class: c, bins: bins)
        var e = 0.0
        for b in curve where b.count > 0 {
            e += Double(b.count) / Double(y.count) * abs(b.observedFrequency - b.meanPredicted)
        }
        return e
    }
}

/// One bin of a reliability diagram.
public struct ReliabilityBin: Sendable, Equatable, Codable {
    /// Rows whose predicted probability fell in the bin.
    public var count: Int
    /// Mean predicted probability of those rows.
    public var meanPredicted: Double
    /// Share of those rows whose true class is the curve's class.
    public var observedFrequency: Double

    public init(count: Int, meanPredicted: Double, observedFrequency: Double) {
        self.count = count
        self.meanPredicted = meanPredicted
        self.observedFrequency = observedFrequency
    }
}
