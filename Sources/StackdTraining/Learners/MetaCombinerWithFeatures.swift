import StackdCore
import StackdLearning

/// A learned combiner that can also score a whole feature matrix, which evaluation needs and
/// the per-row `MetaCombiner.combine` would make slow (XGBoost) or verbose.
public protocol MetaCombinerWithFeatures: MetaCombiner {
    /// Which features it reads.
    var featureSet: MetaFeatureSet { get }
    /// Number of leading feature columns it reads.
    var featureCount: Int { get }
    /// The layout of the feature vectors it expects.
    var layout: StackingFeatureLayout { get }
    /// Probabilities for every row of a feature matrix with `layout` columns (or exactly `featureCount`).
    func predictProbabilities(features: Matrix) throws -> Matrix
}
