import StackdCore
import StackdLearning
import StackdXGBoost
import Synchronization

/// A boosted-tree meta-learner served as a `MetaCombiner`.
///
/// libxgboost's booster is not thread-safe (its prediction buffer is overwritten by the next call),
/// so it lives behind a `Mutex`; that is what makes this final class `Sendable`.
///
/// Cost of `combine`, honestly: unlike the logistic combiner it allocates. Each call converts the
/// row to a `[Float]`, lets libxgboost parse two small JSON strings (array interface and predict
/// config) and walk M·K trees, and copies the K outputs into a fresh `[Double]` — a few small heap
/// allocations and on the order of tens of microseconds per row. Fine at thousands of rows per
/// second per horizon; use the logistic combiner where the hot path must not allocate.
public final class XGBoostCombiner: FittedMetaLearner {
    public let method = CombinationMethod.xgboost
    public let version: UInt32
    /// Which features it reads (a prefix of the layout).
    public let featureSet: MetaFeatureSet
    /// The layout of the feature vectors it is given.
    public let layout: StackingFeatureLayout
    /// The model in XGBoost's JSON format (what `model.json` holds); kept so that saving does not
    /// need the booster.
    public let modelJSON: [UInt8]
    /// Number of feature columns read.
    public let featureCount: Int
    private let booster: Mutex<XGBoostClassifier>
    public let fitSummary: LearnerFitSummary
    public var learnerName: String { XGBoostLearner.name }

    /// Wraps a trained classifier; the classifier must not be used elsewhere afterwards.
    public init(classifier: sending XGBoostClassifier, featureSet: MetaFeatureSet, layout: StackingFeatureLayout,
                version: UInt32, fitSummary: LearnerFitSummary? = nil) throws {
        let count = featureSet.columnCount(layout)
        guard classifier.numFeatures == count, classifier.numClass == layout.classCount else {
            throw XGBoostError.modelMismatch("XGBoostCombiner: model has \(classifier.numFeatures) features / \(classifier.numClass) classes, expected \(count) / \(layout.classCount)")
        }
        self.modelJSON = try classifier.modelData(format: .json)
        self.featureCount = count
        self.featureSet = featureSet
        self.layout = layout
        self.version = version
        self.fitSummary = fitSummary ?? LearnerFitSummary(hyperparameters: [:], selection: "loaded")
        self.booster = Mutex(classifier)
    }

    /// Loads from XGBoost JSON bytes, checking the feature and class counts.
    public convenience init(modelJSON: [UInt8], featureSet: MetaFeatureSet, layout: StackingFeatureLayout,
                            version: UInt32) throws {
        let clf = try XGBoostClassifier(modelData: modelJSON, expectedFeatureCount: featureSet.columnCount(layout),
                                        expectedClassCount: layout.classCount)
        try self.init(classifier: clf, featureSet: featureSet, layout: layout, version: version)
    }

    public func combine(basePredictions: UnsafeBufferPointer<Double>, features: UnsafeBufferPointer<Double>,
                        presentMask: UInt64, into out: UnsafeMutableBufferPointer<Double>) {
        let row = (0..<featureCount).map { Float(features[$0]) }
        let p: [Double]? = booster.withLock { try? $0.predictProbabilities(row: row) }
        let k = layout.classCount
        // A library failure here would be a bug (shapes are checked at load); emit the
        // uninformative vector rather than garbage.
        for c in 0..<k { out[c] = p?[c] ?? 1 / Double(k) }
    }

    /// Probabilities for every row of a full feature matrix (batch path, one DMatrix).
    public func predictProbabilities(features X: Matrix) throws -> Matrix {
        let x = X.cols == featureCount ? X : X.selectingColumns(Array(0..<featureCount))
        let flat = try booster.withLock { try $0.predictProbabilities(features: x.storage, rows: x.rows) }
        return Matrix(rows: x.rows, cols: layout.classCount, storage: flat)
    }

    /// Gain importance per feature column (0 for columns never split on).
    public func gainImportance() throws -> [Double] {
        let raw = try booster.withLock { try $0.featureImportance(type: .gain) }
        return (0..<featureCount).map { raw["f\($0)"] ?? 0 }
    }

    public func encodeModel(horizon: Int, models: [String]) throws -> [UInt8] { modelJSON }

    public func featureImportance(trainFeatures: Matrix) throws -> LearnerImportance {
        LearnerImportance(type: "gain", values: try gainImportance())
    }

    public var contributionSpace: ContributionSpace { .logit }

    /// XGBoost's `pred_contribs` (exact TreeSHAP on the margins). Allocates, like `combine`.
    public func contributions(features: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>) throws {
        let row = Array(features[0..<featureCount])
        let c = try booster.withLock { try $0.predictContributions(row: row) }
        precondition(out.count >= c.count, "contributions: buffer too small")
        for i in c.indices { out[i] = c[i] }
    }
}
