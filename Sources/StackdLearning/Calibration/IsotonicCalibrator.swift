/// One-vs-rest isotonic calibration of K-class probability vectors.
///
/// Isotonic maps are non-parametric, so they repair any monotone distortion (over-confidence in
/// the tails, a shifted neutral class) that a single temperature cannot; the price is variance:
/// with fewer than ~1000 calibration rows they overfit (see notes/practice.md), where temperature
/// scaling is the safer choice.
public struct IsotonicCalibrator: ProbabilityCalibrator, Equatable, Codable {
    /// One map per class, fitted on (p_c, 1[y = c]).
    public let classMaps: [IsotonicRegression]

    public var classCount: Int { classMaps.count }

    /// Restores a fitted calibrator (e.g. from an artifact).
    public init(classMaps: [IsotonicRegression]) {
        precondition(classMaps.count >= 2, "need at least two classes")
        self.classMaps = classMaps
    }

    /// Fits one increasing isotonic map per class of the `N × K` probability matrix `P`.
    /// - Parameters:
    ///   - labels: true class index of each row, in `0..<K`.
    ///   - weights: optional per-row weights ≥ 0.
    public init(fitting P: Matrix, labels: [Int], weights: [Double]? = nil) throws {
        precondition(P.cols >= 2, "need at least two classes")
        try validateCalibrationSet(rows: P.rows, classes: P.cols, labels: labels, weights: weights)
        var maps: [IsotonicRegression] = []
        for c in 0..<P.cols {
            let x = (0..<P.rows).map { P[$0, c] }
            let y = labels.map { $0 == c ? 1.0 : 0.0 }
            maps.append(try IsotonicRegression(fitting: x, y, weights: weights))
        }
        self.classMaps = maps
    }

    /// Maps each class probability through its isotonic map, then renormalises (uniform if the
    /// maps give an all-zero or non-finite row).
    @inlinable
    public func apply(_ p: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>) {
        precondition(p.count == classMaps.count && out.count == classMaps.count, "class count mismatch")
        for c in 0..<classMaps.count { out[c] = classMaps[c].predict(p[c]) }
        normaliseOrUniform(out)
    }
}
