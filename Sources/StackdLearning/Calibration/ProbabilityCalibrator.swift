/// A fitted map from a class-probability vector to a calibrated one.
///
/// The same calibrator type serves a base model's input block and the ensemble's output, so the
/// hot path is one allocation-free per-row call; the whole-matrix form is for evaluation and tests.
public protocol ProbabilityCalibrator: Sendable {
    /// Number of classes the calibrator was fitted for.
    var classCount: Int { get }

    /// Writes the calibrated version of `p` (length `classCount`) into `out` (same length).
    /// The output is finite, non-negative and sums to 1 whatever the input.
    func apply(_ p: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>)
}

extension ProbabilityCalibrator {
    /// Calibrates one probability vector (allocates; convenience for tests and tooling).
    public func apply(_ p: [Double]) -> [Double] {
        precondition(p.count == classCount, "expected \(classCount) probabilities, got \(p.count)")
        var out = [Double](repeating: 0, count: classCount)
        p.withUnsafeBufferPointer { src in out.withUnsafeMutableBufferPointer { apply(src, into: $0) } }
        return out
    }

    /// Calibrates every row of an `N × classCount` probability matrix.
    public func apply(_ P: Matrix) -> Matrix {
        precondition(P.cols == classCount, "expected \(classCount) columns, got \(P.cols)")
        var out = Matrix(rows: P.rows, cols: P.cols)
        P.storage.withUnsafeBufferPointer { src in
            out.withUnsafeMutableStorage { dst in
                for r in 0..<P.rows {
                    let lo = r * P.cols, hi = lo + P.cols
                    apply(UnsafeBufferPointer(rebasing: src[lo..<hi]),
                          into: UnsafeMutableBufferPointer(rebasing: dst[lo..<hi]))
                }
            }
        }
        return out
    }
}

/// Shared last step of every calibrator: scale `out` to sum 1, or fall back to the uniform vector.
///
/// A row can legitimately map to all zeros (every per-class isotonic map is 0 there) and a
/// corrupt input can produce NaN; a downstream meta-learner must never see either, and "no
/// information" is the honest answer in both cases (scikit-learn's CalibratedClassifierCV also
/// falls back to uniform).
@inlinable
func normaliseOrUniform(_ out: UnsafeMutableBufferPointer<Double>) {
    var sum = 0.0
    var finite = true
    for v in out {
        if !v.isFinite || v < 0 { finite = false }
        sum += v
    }
    if finite && sum > 0 && sum.isFinite {
        let inv = 1 / sum
        for i in out.indices { out[i] *= inv }
    } else {
        let u = 1 / Double(out.count)
        for i in out.indices { out[i] = u }
    }
}

/// Validates per-row labels and optional weights of a calibration set.
func validateCalibrationSet(rows: Int, classes: Int, labels: [Int], weights: [Double]?) throws {
    guard labels.count == rows else { throw CalibrationError.lengthMismatch }
    if let weights {
        guard weights.count == rows else { throw CalibrationError.lengthMismatch }
        guard weights.allSatisfy({ $0.isFinite && $0 >= 0 }) else { throw CalibrationError.nonFiniteInput }
        guard weights.contains(where: { $0 > 0 }) else { throw CalibrationError.emptyTrainingSet }
    }
    guard rows > 0 else { throw CalibrationError.emptyTrainingSet }
    for y in labels where y < 0 || y >= classes { throw CalibrationError.labelOutOfRange(y) }
}
