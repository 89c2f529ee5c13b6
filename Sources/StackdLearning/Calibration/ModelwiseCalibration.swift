/// Independent calibrators for each base model's block of a stacked feature row.
///
/// Base models drift in confidence independently, so each gets its own map; the meta-learner then
/// sees comparable probabilities. The layout is the "basic" stacking layout of
/// `OOSDailyDataset.basicFeatures()`: model-major, `classCount` columns per model.
public struct ModelwiseCalibration<Calibrator: ProbabilityCalibrator & Codable & Equatable>:
    Sendable, Equatable, Codable
{
    /// One calibrator per model, in model order.
    public let calibrators: [Calibrator]

    /// Wraps fitted per-model calibrators (all for the same class count).
    public init(calibrators: [Calibrator]) {
        precondition(!calibrators.isEmpty, "need at least one model")
        precondition(Set(calibrators.map(\.classCount)).count == 1, "class counts differ")
        self.calibrators = calibrators
    }

    /// Fits one calibrator per model block of `X` (`N × M·K`) with `fit(block, labels)`.
    public init(fitting X: Matrix, models: Int, labels: [Int],
                fit: (Matrix, [Int]) throws -> Calibrator) rethrows {
        precondition(models > 0 && X.cols % models == 0, "columns not divisible by model count")
        let K = X.cols / models
        self.init(calibrators: try (0..<models).map { m in
            try fit(X.selectingColumns(Array((m * K)..<((m + 1) * K))), labels)
        })
    }

    /// Calibrates each model block of `row` into the same position of `out`, without allocating.
    public func apply(_ row: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>) {
        let K = calibrators[0].classCount
        precondition(row.count == K * calibrators.count && out.count == row.count, "row width mismatch")
        for (m, cal) in calibrators.enumerated() {
            cal.apply(UnsafeBufferPointer(rebasing: row[(m * K)..<((m + 1) * K)]),
                      into: UnsafeMutableBufferPointer(rebasing: out[(m * K)..<((m + 1) * K)]))
        }
    }

    /// Calibrates every row of a stacked feature matrix.
    public func apply(_ X: Matrix) -> Matrix {
        var out = Matrix(rows: X.rows, cols: X.cols)
        X.storage.withUnsafeBufferPointer { src in
            out.withUnsafeMutableStorage { dst in
                for r in 0..<X.rows {
                    let lo = r * X.cols, hi = lo + X.cols
                    apply(UnsafeBufferPointer(rebasing: src[lo..<hi]),
                          into: UnsafeMutableBufferPointer(rebasing: dst[lo..<hi]))
                }
            }
        }
        return out
    }
}
