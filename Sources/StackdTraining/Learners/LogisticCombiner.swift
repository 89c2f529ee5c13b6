import StackdCore
import StackdLearning

/// A fitted logistic meta-learner served as a `MetaCombiner`.
///
/// It reads the first `featureSet.columnCount` stacking features of the live row (the feature sets
/// are prefixes of the layout) and predicts with the model's allocation-free kernel, so `combine`
/// costs one K×F dot product and never allocates.
public final class LogisticCombiner: MetaCombiner {
    public let method = CombinationMethod.logistic
    public let version: UInt32
    /// The fitted model (raw feature units).
    public let model: MultinomialLogisticRegression
    /// Which features it reads.
    public let featureSet: MetaFeatureSet
    /// The layout of the feature vectors it is given.
    public let layout: StackingFeatureLayout

    public init(model: MultinomialLogisticRegression, featureSet: MetaFeatureSet, layout: StackingFeatureLayout, version: UInt32) {
        precondition(model.features == featureSet.columnCount(layout), "LogisticCombiner: model has \(model.features) features, set \(featureSet.rawValue) has \(featureSet.columnCount(layout))")
        precondition(model.classes == layout.classCount, "LogisticCombiner: class count mismatch")
        self.model = model
        self.featureSet = featureSet
        self.layout = layout
        self.version = version
    }

    /// Number of feature columns read.
    public var featureCount: Int { model.features }

    public func combine(basePredictions: UnsafeBufferPointer<Double>, features: UnsafeBufferPointer<Double>,
                        presentMask: UInt64, into out: UnsafeMutableBufferPointer<Double>) {
        model.predictProbabilities(row: UnsafeBufferPointer(rebasing: features[0..<model.features]), into: out)
    }

    /// Probabilities for every row of a full feature matrix (layout columns).
    public func predictProbabilities(features X: Matrix) -> Matrix {
        model.predictProbabilities(X.cols == model.features ? X : X.selectingColumns(Array(0..<model.features)))
    }
}
