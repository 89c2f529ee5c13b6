import StackdCore
import StackdLearning

/// A fitted learner whose output is temperature-scaled: softmax(ln p / T).
///
/// The trainer fits T on the validation rows of each retrain (see `MetaTrainer`, cross-fitted for
/// judging, all validation rows for serving); the artifact records it in `meta_config.json`
/// (`calibration`) beside the learner's own unchanged `model.json`. `combine` scales in place and
/// stays allocation-free when the learner's does. Contributions are the learner's own
/// (before calibration): temperature only rescales every logit by 1/T.
public final class CalibratedCombiner: FittedMetaLearner {
    /// The uncalibrated learner.
    public let inner: any FittedMetaLearner
    public let calibration: TemperatureScaling

    public init(inner: any FittedMetaLearner, calibration: TemperatureScaling) {
        precondition(calibration.classCount == inner.layout.classCount, "CalibratedCombiner: class count mismatch")
        self.inner = inner
        self.calibration = calibration
    }

    public var method: CombinationMethod { inner.method }
    public var version: UInt32 { inner.version }
    public var featureSet: MetaFeatureSet { inner.featureSet }
    public var featureCount: Int { inner.featureCount }
    public var layout: StackingFeatureLayout { inner.layout }
    public var learnerName: String { inner.learnerName }
    public var fitSummary: LearnerFitSummary {
        var s = inner.fitSummary
        s.hyperparameters["temperature"] = calibration.temperature
        return s
    }

    public func combine(basePredictions: UnsafeBufferPointer<Double>, features: UnsafeBufferPointer<Double>,
                        presentMask: UInt64, into out: UnsafeMutableBufferPointer<Double>) {
        inner.combine(basePredictions: basePredictions, features: features, presentMask: presentMask, into: out)
        // `apply` reads p[c] before writing out[c], so in place is safe.
        let o = UnsafeMutableBufferPointer(rebasing: out[0..<calibration.classCount])
        calibration.apply(UnsafeBufferPointer(o), into: o)
    }

    public func predictProbabilities(features: Matrix) throws -> Matrix {
        calibration.apply(try inner.predictProbabilities(features: features))
    }

    public func encodeModel(horizon: Int, models: [String]) throws -> [UInt8] {
        try inner.encodeModel(horizon: horizon, models: models)
    }

    public func featureImportance(trainFeatures: Matrix) throws -> LearnerImportance {
        try inner.featureImportance(trainFeatures: trainFeatures)
    }

    public var contributionSpace: ContributionSpace { inner.contributionSpace }

    public func contributions(features: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>) throws {
        try inner.contributions(features: features, into: out)
    }
}
