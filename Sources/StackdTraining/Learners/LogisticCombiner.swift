import StackdCore
import StackdLearning

/// A fitted logistic meta-learner served as a `MetaCombiner`.
///
/// It reads the first `featureSet.columnCount` stacking features of the live row (the feature sets
/// are prefixes of the layout) and predicts with the model's allocation-free kernel, so `combine`
/// costs one K×F dot product and never allocates.
public final class LogisticCombiner: FittedMetaLearner {
    public let method = CombinationMethod.logistic
    public let version: UInt32
    /// The fitted model (raw feature units).
    public let model: MultinomialLogisticRegression
    /// Which features it reads.
    public let featureSet: MetaFeatureSet
    /// The layout of the feature vectors it is given.
    public let layout: StackingFeatureLayout
    public let fitSummary: LearnerFitSummary
    public var learnerName: String { LogisticLearner.name }

    public init(model: MultinomialLogisticRegression, featureSet: MetaFeatureSet, layout: StackingFeatureLayout, version: UInt32,
                fitSummary: LearnerFitSummary? = nil) {
        precondition(model.features == featureSet.columnCount(layout), "LogisticCombiner: model has \(model.features) features, set \(featureSet.rawValue) has \(featureSet.columnCount(layout))")
        precondition(model.classes == layout.classCount, "LogisticCombiner: class count mismatch")
        self.model = model
        self.featureSet = featureSet
        self.layout = layout
        self.version = version
        self.fitSummary = fitSummary ?? LearnerFitSummary(hyperparameters: ["c": model.C], selection: "given")
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

    public func encodeModel(horizon: Int, models: [String]) throws -> [UInt8] {
        try ArtifactCoding.encode(LogisticModelDocument(
            schemaVersion: ArtifactSchema.version, kind: .logistic, horizon: horizon, models: models,
            featureNames: featureSet.names(layout), featureCount: featureCount, classCount: layout.classCount, c: model.C,
            coefficients: model.coefficients, intercepts: model.intercepts))
    }

    /// Mean over classes of |w|·sd(feature) on the training rows: a coefficient's effect on the
    /// logit for a typical move of its feature, so columns of different scales compare fairly.
    public func featureImportance(trainFeatures X: Matrix) -> LearnerImportance {
        let sd = FeatureStandardization(fitting: X).scales
        return LearnerImportance(type: "mean_abs_coefficient_times_sd", values: (0..<model.features).map { j in
            (0..<model.classes).reduce(0.0) { $0 + abs(model.weights[$1 * model.features + j]) } / Double(model.classes) * sd[j]
        })
    }

    public var contributionSpace: ContributionSpace { .logit }

    /// Exact: coefficient × feature for every (class, feature), the intercept last; each class's
    /// row sums to its logit. Allocation-free.
    public func contributions(features: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>) {
        let f = model.features, k = model.classes
        precondition(features.count >= f && out.count >= k * (f + 1), "contributions: buffer too small")
        for c in 0..<k {
            for j in 0..<f { out[c * (f + 1) + j] = model.weights[c * f + j] * features[j] }
            out[c * (f + 1) + f] = model.biases[c]
        }
    }
}
