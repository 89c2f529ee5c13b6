import StackdLearning

/// The rolling-origin (purged) validation folds of one window: the gate judges candidates and
/// baselines on the pooled out-of-sample predictions of the last F folds instead of one slice.
///
/// Why: one validation slice (the newest `1 − trainFraction` of the window) is about a year of
/// rows on daily data; with overlapping multi-day labels its effective size is small, so a small
/// but steady gain cannot be told from noise. F folds give the gate F times more out-of-sample rows
/// while every prediction stays honest: fold j is fitted only on rows labelled before its start.
///
/// Fold j (0 = newest) validates on the rows with event time in [cut_j, cut_{j−1}) (the newest fold
/// to the end of the window), where cut_j is the `ChronologicalSplit` cut at train fraction
/// `1 − (j + 1)·(1 − trainFraction)`; it trains on the rows before cut_j whose label is known
/// before cut_j (the others are purged). With F = 1 this is exactly the single split.
public struct RollingOriginFolds: Sendable, Equatable {
    public struct Fold: Sendable, Equatable {
        /// Indices of the rows this fold is fitted on (before its cut, purged), ascending.
        public let train: [Int]
        /// Indices of the rows this fold predicts, ascending.
        public let validation: [Int]
        /// The split at this fold's cut (its `test` runs to the end of the window).
        public let split: ChronologicalSplit
    }

    /// The folds, oldest first (the last one is the single split's validation slice).
    public let folds: [Fold]
    /// Every validated row, ascending: the folds' validation rows in fold order.
    public var pooledValidation: [Int] { folds.flatMap(\.validation) }
    /// The newest fold.
    public var newest: Fold { folds[folds.count - 1] }

    /// The folds that fit: as many of the `requested` as leave the oldest fold a train fraction of
    /// at least `1 − trainFraction` (one slice's worth), and at least one.
    public init(timestamps: [Int64], exitTimestamps: [Int64], trainFraction: Double, requested: Int) {
        let v = 1 - trainFraction
        let count = max(1, min(requested, Self.maximumFolds(trainFraction: trainFraction)))
        var splits: [ChronologicalSplit] = []
        for j in (0..<count).reversed() {
            splits.append(ChronologicalSplit(timestamps: timestamps, exitTimestamps: exitTimestamps,
                                             trainFraction: j == 0 ? trainFraction : 1 - Double(j + 1) * v))
        }
        var folds: [Fold] = []
        for (i, split) in splits.enumerated() {
            let end = i + 1 < splits.count ? splits[i + 1].cutTimestamp : Int64.max
            folds.append(Fold(train: split.train, validation: split.test.filter { timestamps[$0] < end }, split: split))
        }
        // A fold with nothing to predict (its cut falls on the next one's event time) adds
        // nothing; the oldest folds with nothing to fit on are dropped. The newest fold is kept
        // whatever it holds, so F = 1 is exactly the single split.
        let newest = folds.removeLast()
        folds = folds.filter { !$0.validation.isEmpty }
        while let first = folds.first, first.train.isEmpty { folds.removeFirst() }
        self.folds = folds + [newest]
    }

    /// The most folds a train fraction allows: the oldest fold must keep at least one slice
    /// (`1 − trainFraction`) of the window to fit on.
    public static func maximumFolds(trainFraction: Double) -> Int {
        let v = 1 - trainFraction
        guard v > 0 else { return 1 }
        return max(1, Int((trainFraction / v + 1e-9).rounded(.down)))
    }
}
