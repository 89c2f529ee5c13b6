import CXGBoost

/// A dense feature matrix owned by libxgboost (`DMatrixHandle`), with optional labels.
///
/// XGBoost copies the values into its own storage at construction, so the Swift array can be
/// released right away. NaN means "missing": XGBoost routes missing values down each split's
/// learned default branch instead of treating them as a number, which is what stackd needs
/// when a base model did not answer in time.
///
/// Not `Sendable`: libxgboost gives no guarantee that a DMatrix may be shared across threads
/// while a booster caches per-matrix state, so a matrix stays in one isolation domain.
public final class XGBoostDMatrix {
    let handle: DMatrixHandle

    /// Number of rows, as given at construction.
    public let rows: Int
    /// Number of feature columns, as given at construction.
    public let cols: Int

    /// Builds a matrix from row-major single-precision values (XGBoost's native precision).
    ///
    /// - Parameters:
    ///   - features: `rows * cols` values, row-major; NaN marks a missing value.
    ///   - labels: one label per row, or `nil` for a prediction-only matrix.
    /// - Throws: `XGBoostError.invalidInput` on a shape mismatch, `.library` if XGBoost refuses.
    public init(features: [Float], rows: Int, cols: Int, labels: [Float]? = nil) throws {
        guard rows > 0, cols > 0 else {
            throw XGBoostError.invalidInput("matrix must have at least one row and one column, got \(rows)x\(cols)")
        }
        guard features.count == rows * cols else {
            throw XGBoostError.invalidInput("expected \(rows)x\(cols) = \(rows * cols) feature values, got \(features.count)")
        }
        if let labels, labels.count != rows {
            throw XGBoostError.invalidInput("expected \(rows) labels, got \(labels.count)")
        }
        var created: DMatrixHandle?
        try features.withUnsafeBufferPointer { buffer in
            try xgbCheck(
                XGDMatrixCreateFromMat(buffer.baseAddress, bst_ulong(rows), bst_ulong(cols), Float.nan, &created),
                "XGDMatrixCreateFromMat")
        }
        guard let created else {
            throw XGBoostError.library(call: "XGDMatrixCreateFromMat", message: "returned success but no handle")
        }
        self.handle = created
        self.rows = rows
        self.cols = cols
        if let labels {
            // On failure `deinit` still runs and frees the handle: all stored properties are set.
            try setFloatInfo("label", labels)
        }
    }

    /// Builds a matrix from row-major double-precision values.
    ///
    /// XGBoost stores and splits on `Float`, so the values are converted once here; this is the
    /// same rounding Python's `xgboost.DMatrix` applies to a float64 NumPy array.
    public convenience init(features: [Double], rows: Int, cols: Int, labels: [Double]? = nil) throws {
        try self.init(
            features: features.map { Float($0) }, rows: rows, cols: cols,
            labels: labels.map { $0.map { Float($0) } })
    }

    deinit {
        // A failure here cannot be reported or recovered from; the handle is gone either way.
        _ = XGDMatrixFree(handle)
    }

    private func setFloatInfo(_ field: String, _ values: [Float]) throws {
        try values.withUnsafeBufferPointer { buffer in
            try xgbCheck(
                XGDMatrixSetFloatInfo(handle, field, buffer.baseAddress, bst_ulong(buffer.count)),
                "XGDMatrixSetFloatInfo")
        }
    }
}
