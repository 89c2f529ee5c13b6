import Foundation
import StackdLearning

/// Which labelled rows the verdict scores: the newest part of the replay's event time. Everything
/// before it is the warm-up (the meta-learner was still learning, baselines were still choosing);
/// it is shown but never counted in a verdict.
public enum EvaluationWindow: Sendable, Equatable, CustomStringConvertible {
    /// The last `share` (0 < share ≤ 1) of the labelled event-time span: rows with
    /// eventTime ≥ tMax − ⌊(tMax − tMin) · share⌋.
    case lastShare(Double)
    /// Rows with eventTime ≥ this instant (UTC ns).
    case from(Int64)

    /// The default: the last 20 % of labelled event time.
    public static let standard = EvaluationWindow.lastShare(0.2)

    /// First event time of the window for rows spanning `tMin…tMax`.
    public func start(tMin: Int64, tMax: Int64) -> Int64 {
        switch self {
        case .from(let t): return t
        case .lastShare(let share):
            let span = Double(tMax) - Double(tMin)
            return tMax - Int64((span * share).rounded(.down))
        }
    }

    public var description: String {
        switch self {
        case .lastShare(let s): return "last \(String(format: "%g", s * 100)) % of labelled event time"
        case .from(let t): return "from \(CivilDate.dateString(epochNanoseconds: t))"
        }
    }
}

/// The per-row predictors a verdict compares, all on the same rows, computed from the replay's
/// labelled rows only (no look-ahead): what stackd published, averaging, the best single model
/// chosen before the window, and the label-only baselines.
///
/// The class prior of a row counts only labels whose exit time is strictly before that row's
/// event time — the labels a live deployment had when it predicted the row — with add-one
/// (Laplace) smoothing: p_c = (n_c + 1) / (n + K). It is uniform before the first label and never
/// 0, so its log-loss is finite. Always-majority is one-hot on the most frequent of those labels
/// (ties to the lowest class index; class 0 before any label).
public struct HeldOutPredictors: Sendable {
    /// Row indices (into `LabelledMatrices`) in event-time order (ties: label order).
    public var order: [Int]
    /// First event time of the evaluation window.
    public var windowStart: Int64
    /// N × K, label-known-at-prediction-time class prior.
    public var classPrior: Matrix
    /// N × K, one-hot majority of the known labels.
    public var alwaysMajority: Matrix
    /// N × K, one-hot long.
    public var alwaysLong: Matrix
    /// Index of the best single model, chosen by lowest log-loss on the warm-up rows whose label
    /// was known before the window (the promotion metric, on rows a quant had at the time); nil
    /// without such rows.
    public var bestSingle: Int?
    /// Warm-up rows the best single model was chosen on.
    public var bestSingleSelectionRows: Int
    /// Log-loss of each base model on those rows.
    public var bestSingleSelectionLogLoss: [Double]

    public init(_ m: LabelledMatrices, window: EvaluationWindow) {
        let classes = m.classCount
        let n = m.rows
        order = (0..<n).sorted { (m.eventTimes[$0], $0) < (m.eventTimes[$1], $1) }
        let tMin = m.eventTimes.min() ?? 0, tMax = m.eventTimes.max() ?? 0
        windowStart = window.start(tMin: tMin, tMax: tMax)

        // Labels known at each row's prediction time: exit time strictly before its event time.
        let byExit = (0..<n).sorted { (m.exitTimes[$0], $0) < (m.exitTimes[$1], $1) }
        var counts = [Int](repeating: 0, count: classes), known = 0, next = 0
        var prior = Matrix(rows: n, cols: classes), majority = Matrix(rows: n, cols: classes)
        var long = Matrix(rows: n, cols: classes)
        for i in order {
            while next < n && m.exitTimes[byExit[next]] < m.eventTimes[i] {
                counts[m.labels[byExit[next]]] += 1
                known += 1
                next += 1
            }
            var best = 0
            for c in 0..<classes {
                prior[i, c] = Double(counts[c] + 1) / Double(known + classes)
                if counts[c] > counts[best] { best = c }
            }
            majority[i, best] = 1
            long[i, classes - 1] = 1
        }
        classPrior = prior
        alwaysMajority = majority
        alwaysLong = long

        let start = windowStart
        let selection = (0..<n).filter { m.eventTimes[$0] < start && m.exitTimes[$0] < start }
        bestSingleSelectionRows = selection.count
        if selection.isEmpty || m.models.isEmpty {
            bestSingle = nil
            bestSingleSelectionLogLoss = []
        } else {
            let y = selection.map { m.labels[$0] }
            let losses = m.models.indices.map { j in
                Metrics.logLoss(probabilities: m.model(j).selectingRows(selection), labels: y)
            }
            var best = 0
            for j in losses.indices where losses[j] < losses[best] { best = j }   // ties: the first model
            bestSingle = best
            bestSingleSelectionLogLoss = losses
        }
    }

    /// Indices (into the matrices) of the rows in the window, in event-time order.
    public func windowRows(_ m: LabelledMatrices) -> [Int] { let s = windowStart; return order.filter { m.eventTimes[$0] >= s } }
    /// Indices of the warm-up rows, in event-time order.
    public func warmupRows(_ m: LabelledMatrices) -> [Int] { let s = windowStart; return order.filter { m.eventTimes[$0] < s } }
}
