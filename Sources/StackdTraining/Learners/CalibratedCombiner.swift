import StackdCore
import StackdLearning

/// A fitted learner whose output is temperature-scaled: softmax(ln p / T).
///
/// The trainer fits T on the validation rows of each retrain (see `MetaTrainer`, cross-fitted for
/// judging, all validation rows for serving); the artifact records it in `meta_config.json`
/// (`calibration`) beside the learner's own unchanged `model.json`. `combine` scales in place and
/// stays allocation-free when the learner's does. Contributions are the learner's own
/// (before calibration): temperature only rescales every logit by 1/T.
public final class CalibratedCombiner: MetaLearnerWrapper {
    /// The uncalibrated learner.
    public let inner: any FittedMetaLearner
    public let calibration: TemperatureScaling

    public init(inner: any FittedMetaLearner, calibration: TemperatureScaling) {
        precondition(calibration.classCount == inner.layout.classCount, "CalibratedCombiner: class count mismatch")
        self.inner = inner
        self.calibration = calibration
    }

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
}
