import Foundation
import StackdCore
import StackdLearning

/// "Does the ensemble beat this baseline, or could the difference be luck?" — the paired
/// difference of one metric between the ensemble and one baseline on the same held-out rows,
/// with a block-bootstrap standard error.
///
/// Rows close in event time are not independent (overlapping holding periods share returns,
/// regimes persist), so resampling single rows would understate the error. The window's rows are
/// cut into blocks of `blockLength` consecutive distinct event times, with
/// blockLength = max(horizon, ⌈√T⌉) (T = distinct event times in the window): at least one
/// holding period, and enough blocks to resample. Each of `resamples` (1000) resamples draws as
/// many blocks as there are, with replacement, by `SplitMix64` (Steele, Lea, Flood 2014; the
/// demo's generator) seeded with the horizon
/// (index = next() mod B), so the error is reproducible bit for bit (and by
/// `scripts/verify_backtest.py`). Each metric is computed from per-block sufficient statistics:
/// log-loss from the sum of −ln max(p_true, 1e-15); macro-F1 from the K × K confusion counts
/// (scikit-learn's zero-division 0); Sharpe from Σpnl and Σpnl² as
/// mean / √((Σpnl² − (Σpnl)²/n)/(n − 1)) · √(252/h) (0 when n < 2 or the variance is not positive).
/// The standard error is the standard deviation (ddof 1) of the resampled differences.
///
/// Verdict: with improvement = (baseline − ensemble) for log-loss and (ensemble − baseline)
/// otherwise, "wins" when improvement > 2 SE, "loses" when improvement < −2 SE, else "ties".
public struct PairedComparison: Codable, Sendable, Equatable {
    /// log_loss, f1_macro or sharpe.
    public var metric: String
    /// averaging, best_single, class_prior, always_majority, always_long.
    public var baseline: String
    /// The baseline's display name, e.g. "best single (logreg)".
    public var baselineName: String
    public var ensembleValue: Double
    public var baselineValue: Double
    /// ensembleValue − baselineValue.
    public var difference: Double
    public var standardError: Double
    /// wins, ties or loses (from the ensemble's side).
    public var verdict: String

    public static let metrics = ["log_loss", "f1_macro", "sharpe"]
    public static let resamples = 1000
    /// How many standard errors separate a win or a loss from a tie.
    public static let tieStandardErrors = 2.0

    static func lowerIsBetter(_ metric: String) -> Bool { metric == "log_loss" }

    static func verdict(metric: String, difference d: Double, standardError se: Double) -> String {
        let improvement = lowerIsBetter(metric) ? -d : d
        if improvement > tieStandardErrors * se { return "wins" }
        if improvement < -tieStandardErrors * se { return "loses" }
        return "ties"
    }
}

/// Per-block sufficient statistics of one predictor, from which every compared metric of any
/// union of blocks is computed.
struct BlockStatistics {
    var rows = 0
    var logLossSum = 0.0
    var pnlSum = 0.0
    var pnlSquares = 0.0
    /// K, the class count.
    var classes = 3
    /// confusion[K · predicted + actual]
    var confusion = [Int](repeating: 0, count: 9)

    init(classes: Int = 3) {
        self.classes = classes
        confusion = [Int](repeating: 0, count: classes * classes)
    }

    mutating func add(_ o: BlockStatistics) {
        rows += o.rows
        logLossSum += o.logLossSum
        pnlSum += o.pnlSum
        pnlSquares += o.pnlSquares
        for i in confusion.indices { confusion[i] += o.confusion[i] }
    }

    func value(_ metric: String, horizon: Int) -> Double {
        switch metric {
        case "log_loss": return rows > 0 ? logLossSum / Double(rows) : 0
        case "f1_macro":
            var f = 0.0
            let k = classes
            for c in 0..<k {
                let tp = confusion[k * c + c]
                var fp = 0, fn = 0
                for o in 0..<k where o != c { fp += confusion[k * c + o]; fn += confusion[k * o + c] }
                let denom = 2 * tp + fp + fn
                f += denom == 0 ? 0 : Double(2 * tp) / Double(denom)
            }
            return f / Double(k)
        default:
            guard rows >= 2 else { return 0 }
            let n = Double(rows), mean = pnlSum / n
            let variance = (pnlSquares - pnlSum * pnlSum / n) / (n - 1)
            guard variance > 0 else { return 0 }
            return mean / variance.squareRoot() * (252.0 / Double(horizon)).squareRoot()
        }
    }
}

/// The comparisons of one horizon's window, and how its blocks were cut.
public struct WindowComparisons: Sendable {
    public var blockLength: Int
    public var blocks: Int
    public var comparisons: [PairedComparison]

    /// - Parameters:
    ///   - rows: the window's row indices in event-time order.
    ///   - ensemble: N × K; baselines: (key, display name, N × K), compared in this order.
    public init(horizon: Int, rows: [Int], eventTimes: [Int64], labels: [Int], forwardReturns: [Double],
                ensemble: Matrix, baselines: [(String, String, Matrix)]) {
        // Blocks of `blockLength` consecutive distinct event times.
        var distinct = 0
        var timeRank = [Int](repeating: 0, count: rows.count)
        for (k, i) in rows.enumerated() {
            if k > 0 && eventTimes[i] != eventTimes[rows[k - 1]] { distinct += 1 }
            timeRank[k] = distinct
        }
        let times = rows.isEmpty ? 0 : distinct + 1
        let L = max(horizon, Int(Double(times).squareRoot().rounded(.up)), 1)
        let B = (times + L - 1) / L
        blockLength = L
        blocks = B

        func statistics(_ p: Matrix) -> [BlockStatistics] {
            let classes = p.cols
            var s = [BlockStatistics](repeating: BlockStatistics(classes: classes), count: B)
            for (k, i) in rows.enumerated() {
                let b = timeRank[k] / L
                let y = labels[i]
                let predicted = p.withRow(i) { Metrics.argmax($0) }
                let pnl = Double(Metrics.position(ofClass: predicted, classCount: classes)) * forwardReturns[i]
                s[b].rows += 1
                s[b].logLossSum -= log(max(p[i, y], Metrics.logLossEpsilon))
                s[b].pnlSum += pnl
                s[b].pnlSquares += pnl * pnl
                s[b].confusion[classes * predicted + y] += 1
            }
            return s
        }
        func total(_ s: [BlockStatistics]) -> BlockStatistics {
            var t = BlockStatistics(classes: ensemble.cols)
            for b in s { t.add(b) }
            return t
        }
        let ens = statistics(ensemble)
        let bases = baselines.map { statistics($0.2) }
        let metrics = PairedComparison.metrics
        // differences[baseline][metric][resample]
        var differences = [[[Double]]](repeating: [[Double]](repeating: [], count: metrics.count), count: baselines.count)
        if B > 0 {
            var rng = SplitMix64(seed: UInt64(max(horizon, 0)))
            var draw = [Int](repeating: 0, count: B)
            for _ in 0..<PairedComparison.resamples {
                for j in 0..<B { draw[j] = Int(rng.next() % UInt64(B)) }
                var e = BlockStatistics(classes: ensemble.cols)
                for j in draw { e.add(ens[j]) }
                for (bi, base) in bases.enumerated() {
                    var s = BlockStatistics(classes: ensemble.cols)
                    for j in draw { s.add(base[j]) }
                    for (mi, metric) in metrics.enumerated() {
                        differences[bi][mi].append(e.value(metric, horizon: horizon) - s.value(metric, horizon: horizon))
                    }
                }
            }
        }
        let ensTotal = total(ens)
        var out: [PairedComparison] = []
        for (mi, metric) in metrics.enumerated() {
            for (bi, base) in baselines.enumerated() {
                let ev = ensTotal.value(metric, horizon: horizon), bv = total(bases[bi]).value(metric, horizon: horizon)
                let d = differences[bi][mi]
                var se = 0.0
                if d.count >= 2 {
                    let mean = d.reduce(0, +) / Double(d.count)
                    var ss = 0.0
                    for v in d { ss += (v - mean) * (v - mean) }
                    se = (ss / Double(d.count - 1)).squareRoot()
                }
                out.append(PairedComparison(metric: metric, baseline: base.0, baselineName: base.1, ensembleValue: ev,
                                            baselineValue: bv, difference: ev - bv, standardError: se,
                                            verdict: PairedComparison.verdict(metric: metric, difference: ev - bv, standardError: se)))
            }
        }
        comparisons = out
    }
}
