import StackdCore
import StackdLearning

/// Everything a meta-learner of one horizon may see, one row per event, in event-time order.
///
/// Training, evaluation and selection all read these same arrays, so a baseline and a learned
/// combiner are always scored on exactly the same rows. The exit time travels with each row
/// because a label only exists from then on: the chronological split purges on it.
public struct TrainingRows: Sendable, Equatable {
    /// Prediction horizon in bars.
    public let horizon: Int
    /// Base-model names, in the column order of `basePredictions` (alphabetical).
    public let models: [String]
    /// Classes per probability vector (3: short, neutral, long).
    public let classCount: Int
    /// Event (prediction) times, UTC ns, non-decreasing.
    public let eventTimes: [Int64]
    /// Times at which each label became known, UTC ns.
    public let exitTimes: [Int64]
    /// Index into `symbols` per row.
    public let symbolIDs: [Int]
    /// Distinct symbols, in order of first appearance.
    public let symbols: [String]
    /// True class index per row (0 short, 1 neutral, 2 long).
    public let labels: [Int]
    /// Realised forward return per row (for Sharpe, IC, win rate).
    public let forwardReturns: [Double]
    /// N × (M·K) base probabilities, model-major.
    public let basePredictions: Matrix
    /// N × `layout.count` stacking features (extended, plus regimes when `layout.includesRegimes`).
    public let features: Matrix
    /// Names and order of the `features` columns.
    public let layout: StackingFeatureLayout

    /// Number of rows.
    public var count: Int { labels.count }

    /// Builds rows from already computed columns; checks every shape so a mismatch fails here
    /// rather than as a silently misaligned fit.
    public init(horizon: Int, models: [String], classCount: Int, eventTimes: [Int64], exitTimes: [Int64],
                symbolIDs: [Int], symbols: [String], labels: [Int], forwardReturns: [Double],
                basePredictions: Matrix, features: Matrix, layout: StackingFeatureLayout) {
        let n = labels.count
        precondition(eventTimes.count == n && exitTimes.count == n && symbolIDs.count == n && forwardReturns.count == n,
                     "TrainingRows: column lengths differ")
        precondition(basePredictions.rows == n && basePredictions.cols == models.count * classCount,
                     "TrainingRows: base predictions must be N × M·K")
        precondition(features.rows == n && features.cols == layout.count, "TrainingRows: features must be N × F")
        precondition(layout.models == models && layout.classCount == classCount, "TrainingRows: layout mismatch")
        precondition(zip(eventTimes, eventTimes.dropFirst()).allSatisfy { $0 <= $1 }, "TrainingRows: not in time order")
        precondition(labels.allSatisfy { $0 >= 0 && $0 < classCount }, "TrainingRows: label out of range")
        self.horizon = horizon
        self.models = models
        self.classCount = classCount
        self.eventTimes = eventTimes
        self.exitTimes = exitTimes
        self.symbolIDs = symbolIDs
        self.symbols = symbols
        self.labels = labels
        self.forwardReturns = forwardReturns
        self.basePredictions = basePredictions
        self.features = features
        self.layout = layout
    }

    /// The rows of a parsed `oos-daily` stream. A model missing from an event arrives imputed
    /// (the mean of the present vectors) and the features are computed with the event's
    /// `presentMask`, exactly as the live pipeline computes them; regimes are included when the
    /// dataset carries them for every event.
    public init(dataset: OOSDailyDataset) {
        let m = dataset.models.count, k = 3
        let withRegimes = !dataset.events.isEmpty && dataset.events.allSatisfy { $0.volRegime != nil && $0.trendRegime != nil }
        let layout = StackingFeatureLayout(models: dataset.models, classCount: k, includesRegimes: withRegimes)
        let n = dataset.events.count
        var features = Matrix(rows: n, cols: layout.count)
        var symbolIndex: [String: Int] = [:]
        var symbols: [String] = []
        var ids: [Int] = []
        ids.reserveCapacity(n)
        features.withUnsafeMutableStorage { out in
            for (i, e) in dataset.events.enumerated() {
                let row = UnsafeMutableBufferPointer(rebasing: out[(i * layout.count)..<((i + 1) * layout.count)])
                let regimes = withRegimes ? (Double(e.volRegime!), Double(e.trendRegime!)) : nil
                e.probabilities.withUnsafeBufferPointer { p in
                    StackingFeatures.compute(probabilities: p, modelCount: m, classCount: k, presentMask: e.presentMask,
                                             regimes: regimes, into: row)
                }
            }
        }
        for e in dataset.events {
            if let id = symbolIndex[e.symbol] { ids.append(id) } else {
                symbolIndex[e.symbol] = symbols.count
                ids.append(symbols.count)
                symbols.append(e.symbol)
            }
        }
        self.init(horizon: dataset.horizon, models: dataset.models, classCount: k,
                  eventTimes: dataset.timestamps, exitTimes: dataset.exitTimestamps, symbolIDs: ids, symbols: symbols,
                  labels: dataset.classIndices, forwardReturns: dataset.forwardReturns,
                  basePredictions: dataset.basicFeatures(), features: features, layout: layout)
    }

    /// The same rows restricted to `indices` (kept in the given order).
    public func subset(_ indices: [Int]) -> TrainingRows {
        TrainingRows(horizon: horizon, models: models, classCount: classCount,
                     eventTimes: indices.map { eventTimes[$0] }, exitTimes: indices.map { exitTimes[$0] },
                     symbolIDs: indices.map { symbolIDs[$0] }, symbols: symbols, labels: indices.map { labels[$0] },
                     forwardReturns: indices.map { forwardReturns[$0] },
                     basePredictions: basePredictions.selectingRows(indices), features: features.selectingRows(indices),
                     layout: layout)
    }

    /// The regime columns (N × 2), when present.
    public var regimes: Matrix? {
        layout.includesRegimes ? features.selectingColumns([layout.extendedCount, layout.extendedCount + 1]) : nil
    }
}
