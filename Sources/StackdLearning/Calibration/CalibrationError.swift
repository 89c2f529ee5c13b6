/// Why a calibrator could not be fitted.
///
/// Calibration sets come from live data (a trailing window, a meta-train slice), so an empty or
/// malformed set is a runtime condition the daemon must survive and report, not a programmer error.
public enum CalibrationError: Error, Equatable, Sendable {
    /// No observation carried positive weight.
    case emptyTrainingSet
    /// Inputs of different lengths (values, targets, weights, labels).
    case lengthMismatch
    /// A value, target or weight that is NaN or infinite, or a negative weight.
    case nonFiniteInput
    /// A label outside `0..<classes`.
    case labelOutOfRange(Int)
}
