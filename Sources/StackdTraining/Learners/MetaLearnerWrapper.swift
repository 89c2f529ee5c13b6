import StackdCore
import StackdLearning

/// A fitted learner that wraps another and changes only part of what it serves: its output
/// (`CalibratedCombiner`, `IsotonicCalibratedCombiner`) or its input (`ModelSelectionCombiner`).
/// Everything a wrapper does not change is the inner learner's, forwarded here once; a wrapper
/// writes only `combine`, `predictProbabilities` and what it really alters.
public protocol MetaLearnerWrapper: FittedMetaLearner {
    /// The learner as fitted, before the wrapper's change.
    var inner: any FittedMetaLearner { get }
}

extension MetaLearnerWrapper {
    public var method: CombinationMethod { inner.method }
    public var version: UInt32 { inner.version }
    public var featureSet: MetaFeatureSet { inner.featureSet }
    public var featureCount: Int { inner.featureCount }
    public var layout: StackingFeatureLayout { inner.layout }
    public var learnerName: String { inner.learnerName }
    public var fitSummary: LearnerFitSummary { inner.fitSummary }

    /// The learner's own `model.json`: the wrapper's part is recorded in `meta_config.json`.
    public func encodeModel(horizon: Int, models: [String]) throws -> [UInt8] {
        try inner.encodeModel(horizon: horizon, models: models)
    }

    public func featureImportance(trainFeatures: Matrix) throws -> LearnerImportance {
        try inner.featureImportance(trainFeatures: trainFeatures)
    }

    public var contributionSpace: ContributionSpace { inner.contributionSpace }

    /// The learner's own contributions (before any output calibration).
    public func contributions(features: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>) throws {
        try inner.contributions(features: features, into: out)
    }
}

extension FittedMetaLearner {
    /// The first learner of type `T` in the chain of wrappers starting here (this one, then each
    /// wrapper's `inner`), or nil: how artifact writing finds, say, the model selection under a
    /// calibration or a mixture without a cast per combination.
    public func firstInChain<T>(as type: T.Type) -> T? {
        var x: any FittedMetaLearner = self
        while true {
            if let t = x as? T { return t }
            guard let w = x as? any MetaLearnerWrapper else { return nil }
            x = w.inner
        }
    }
}
