#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import StackdCore
import StackdLearning

/// Which base models a meta-learner sees (`learner.diverse_selection`): the others' own columns
/// are zero in everything it is fitted on and in every row it predicts.
///
/// "Own columns" are a model's probabilities, its confidence/entropy/margin/vote columns and its
/// recent-skill column. Zeroing (rather than removing) keeps the layout, the feature names and the
/// live feature vector unchanged, so the artifact stays readable by the same loader and the hot
/// path needs no re-indexing; a zero column carries no information, so a fitted learner cannot use
/// it (a logistic fit gives it weight 0: its gradient is only the penalty's). The cross-model
/// summary columns (`all_agree`, `avg_conf`, …) are still computed over every present model.
public struct ModelSelection: Sendable, Equatable {
    /// The models kept, in layout order.
    public let selected: [String]
    /// Layout columns zeroed (ascending).
    public let maskedFeatureColumns: [Int]
    /// Base-prediction columns zeroed (ascending): the dropped models' probabilities.
    public let maskedBaseColumns: [Int]

    /// Nil when `selected` names a model not in the layout or keeps none.
    public init?(selected: [String], layout: StackingFeatureLayout) {
        guard !selected.isEmpty, selected.allSatisfy(layout.models.contains), Set(selected).count == selected.count else { return nil }
        let k = layout.classCount
        var features: [Int] = [], base: [Int] = []
        let extended = MetaFeatureSet.all.modelColumnGroups(layout)
        for (m, name) in layout.models.enumerated() where !selected.contains(name) {
            base += Array((m * k)..<((m + 1) * k))
            features += extended[m]
            if layout.skillWindow > 0 { features.append(layout.skillOffset + m) }
        }
        self.selected = layout.models.filter(selected.contains)
        self.maskedFeatureColumns = features.sorted()
        self.maskedBaseColumns = base.sorted()
    }

    /// True when every model is kept (nothing to mask).
    public var keepsEveryModel: Bool { maskedBaseColumns.isEmpty }

    /// `rows` with the dropped models' columns zeroed (features and base predictions).
    public func masking(_ rows: TrainingRows) -> TrainingRows {
        TrainingRows(horizon: rows.horizon, models: rows.models, classCount: rows.classCount, eventTimes: rows.eventTimes,
                     exitTimes: rows.exitTimes, symbolIDs: rows.symbolIDs, symbols: rows.symbols, labels: rows.labels,
                     forwardReturns: rows.forwardReturns, basePredictions: Self.zeroing(rows.basePredictions, maskedBaseColumns),
                     features: masking(features: rows.features), layout: rows.layout)
    }

    /// A feature matrix (any prefix of the layout's columns) with the dropped models' columns zeroed.
    public func masking(features X: Matrix) -> Matrix { Self.zeroing(X, maskedFeatureColumns) }

    static func zeroing(_ X: Matrix, _ columns: [Int]) -> Matrix {
        var out = X
        let cols = columns.filter { $0 < X.cols }
        guard !cols.isEmpty else { return out }
        out.withUnsafeMutableStorage { s in
            for i in 0..<X.rows { for j in cols { s[i * X.cols + j] = 0 } }
        }
        return out
    }
}

/// A fitted learner that sees only the selected base models (`ModelSelection`): every row it is
/// given has the dropped models' columns zeroed first, exactly as in its fit.
///
/// `combine` copies the live vectors into the calling thread's scratch buffer (`ThreadScratch`,
/// allocated once per thread), zeroes the dropped columns and calls the learner: no allocation
/// per row, and no scratch shared between threads, so one instance may serve several pipelines
/// at once. The artifact records the selection in
/// `meta_config.json` (`selected_models`); the learner's own `model.json` is unchanged.
public final class ModelSelectionCombiner: MetaLearnerWrapper {
    public let inner: any FittedMetaLearner
    public let selection: ModelSelection

    public init(inner: any FittedMetaLearner, selection: ModelSelection) {
        self.inner = inner
        self.selection = selection
    }

    public func combine(basePredictions: UnsafeBufferPointer<Double>, features: UnsafeBufferPointer<Double>,
                        presentMask: UInt64, into out: UnsafeMutableBufferPointer<Double>) {
        let scratch = ThreadScratch.buffer(count: basePredictions.count + features.count)
        let base = Self.masked(basePredictions, selection.maskedBaseColumns,
                               into: UnsafeMutableBufferPointer(start: scratch, count: basePredictions.count))
        let feats = Self.masked(features, selection.maskedFeatureColumns,
                                into: UnsafeMutableBufferPointer(start: scratch + basePredictions.count, count: features.count))
        inner.combine(basePredictions: base, features: feats, presentMask: presentMask, into: out)
    }

    /// Copies `source` into `scratch` with `columns` zeroed; returns the filled prefix.
    static func masked(_ source: UnsafeBufferPointer<Double>, _ columns: [Int],
                       into scratch: UnsafeMutableBufferPointer<Double>) -> UnsafeBufferPointer<Double> {
        let n = source.count
        var i = 0
        while i < n { scratch[i] = source[i]; i += 1 }
        var k = 0
        let m = columns.count
        while k < m {
            let j = columns[k]
            if j < n { scratch[j] = 0 }
            k += 1
        }
        return UnsafeBufferPointer(start: scratch.baseAddress, count: n)
    }

    public func predictProbabilities(features: Matrix) throws -> Matrix {
        try inner.predictProbabilities(features: selection.masking(features: features))
    }

    public func featureImportance(trainFeatures: Matrix) throws -> LearnerImportance {
        try inner.featureImportance(trainFeatures: selection.masking(features: trainFeatures))
    }

    public func contributions(features: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>) throws {
        let scratch = ThreadScratch.buffer(count: features.count)
        try inner.contributions(features: Self.masked(features, selection.maskedFeatureColumns,
                                                      into: UnsafeMutableBufferPointer(start: scratch, count: features.count)), into: out)
    }
}

/// One growable buffer of doubles per thread, for combiners that must rewrite a row before their
/// learner reads it. Allocated on a thread's first use (and when a longer row comes), freed when
/// the thread exits; `buffer` is then a `pthread_getspecific` away and never allocates.
enum ThreadScratch {
    static let key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k) { free($0) }
        return k
    }()

    /// At least `count` doubles owned by the calling thread (valid until its next call).
    @inline(__always)
    static func buffer(count: Int) -> UnsafeMutablePointer<Double> {
        if let raw = pthread_getspecific(key) {
            let header = raw.assumingMemoryBound(to: Double.self)
            if Int(header[0]) >= count { return header + 1 }
            free(raw)
        }
        let capacity = max(count, 256)
        let raw = malloc((capacity + 1) * MemoryLayout<Double>.stride)!
        let header = raw.assumingMemoryBound(to: Double.self)
        header[0] = Double(capacity)
        pthread_setspecific(key, raw)
        return header + 1
    }
}
