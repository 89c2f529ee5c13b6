import StackdCore
import StackdLearning

/// A fitted learner whose output goes through per-class isotonic maps, then is renormalised
/// (`IsotonicCalibrator`, one-vs-rest, as scikit-learn's `CalibratedClassifierCV(method="isotonic")`).
///
/// `learner.calibration = "isotonic"`: the trainer fits the maps on the validation rows of each
/// retrain (judged cross-fitted over their two time halves, like the temperature), and the artifact
/// records them in `meta_config.json` (`calibration.class_maps`) beside the learner's unchanged
/// `model.json`. `combine` maps in place (a binary search per class) and stays allocation-free
/// when the learner's does. Contributions are the learner's own, before calibration.
public final class IsotonicCalibratedCombiner: MetaLearnerWrapper {
    public let inner: any FittedMetaLearner
    public let calibrator: IsotonicCalibrator

    public init(inner: any FittedMetaLearner, calibrator: IsotonicCalibrator) {
        precondition(calibrator.classCount == inner.layout.classCount, "IsotonicCalibratedCombiner: class count mismatch")
        self.inner = inner
        self.calibrator = calibrator
    }

    public func combine(basePredictions: UnsafeBufferPointer<Double>, features: UnsafeBufferPointer<Double>,
                        presentMask: UInt64, into out: UnsafeMutableBufferPointer<Double>) {
        inner.combine(basePredictions: basePredictions, features: features, presentMask: presentMask, into: out)
        // `apply` reads p[c] before writing out[c] and normalises after, so in place is safe.
        let o = UnsafeMutableBufferPointer(rebasing: out[0..<calibrator.classCount])
        calibrator.apply(UnsafeBufferPointer(o), into: o)
    }

    public func predictProbabilities(features: Matrix) throws -> Matrix {
        calibrator.apply(try inner.predictProbabilities(features: features))
    }
}
