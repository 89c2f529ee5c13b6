import CXGBoost

extension XGBoostClassifier {
    /// Normal (probability) prediction over all trees, with the output always shaped
    /// `(rows, numClass)` so the shape can be checked rather than assumed.
    private static let predictConfig =
        #"{"type": 0, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": true}"#
    /// Same, for in-place prediction, which also needs to be told what "missing" is.
    /// (XGBoost's JSON reader accepts `NaN`, as Python's `json.dumps` writes it; `cache_id` is
    /// required by 1.7 and must be 0, as in Python's `inplace_predict`.)
    private static let inplacePredictConfig =
        #"{"type": 0, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": true, "cache_id": 0, "missing": NaN}"#

    /// Class probabilities for every row of `matrix`.
    ///
    /// - Returns: `matrix.rows * numClass` values, row-major (row `r`, class `c` at
    ///   `r * numClass + c`); each row sums to 1 up to `Float` rounding.
    /// - Throws: `XGBoostError.invalidInput` if the column count differs from `numFeatures`.
    public func predictProbabilities(_ matrix: XGBoostDMatrix) throws -> [Double] {
        guard matrix.cols == numFeatures else {
            throw XGBoostError.invalidInput("model expects \(numFeatures) features, matrix has \(matrix.cols)")
        }
        var shape: UnsafePointer<bst_ulong>?
        var dimension: bst_ulong = 0
        var result: UnsafePointer<Float>?
        try xgbCheck(
            XGBoosterPredictFromDMatrix(handle, matrix.handle, Self.predictConfig, &shape, &dimension, &result),
            "XGBoosterPredictFromDMatrix")
        return try copyOutput(rows: matrix.rows, shape: shape, dimension: dimension, result: result,
                              call: "XGBoosterPredictFromDMatrix")
    }

    /// Class probabilities for `rows` rows of row-major `Float` features (NaN = missing).
    public func predictProbabilities(features: [Float], rows: Int) throws -> [Double] {
        try predictProbabilities(XGBoostDMatrix(features: features, rows: rows, cols: numFeatures))
    }

    /// Class probabilities for `rows` rows of row-major `Double` features (NaN = missing).
    public func predictProbabilities(features: [Double], rows: Int) throws -> [Double] {
        try predictProbabilities(XGBoostDMatrix(features: features, rows: rows, cols: numFeatures))
    }

    /// Class probabilities for one feature vector: the per-message path of the live daemon.
    ///
    /// Uses XGBoost's in-place prediction (`XGBoosterPredictFromDense`) on the caller's buffer,
    /// so no DMatrix is built per message. The trees and traversal are the same as for
    /// `predictProbabilities(_:)`, and the results are identical.
    ///
    /// - Returns: `numClass` probabilities.
    public func predictProbabilities(row: [Float]) throws -> [Double] {
        guard row.count == numFeatures else {
            throw XGBoostError.invalidInput("model expects \(numFeatures) features, row has \(row.count)")
        }
        var shape: UnsafePointer<bst_ulong>?
        var dimension: bst_ulong = 0
        var result: UnsafePointer<Float>?
        try row.withUnsafeBufferPointer { buffer in
            let address = UInt(bitPattern: buffer.baseAddress)
            // NumPy's __array_interface__ (v3): pointer, read-only flag, shape, little-endian f4.
            let arrayInterface =
                #"{"data": [\#(address), true], "shape": [1, \#(numFeatures)], "typestr": "<f4", "version": 3}"#
            try xgbCheck(
                XGBoosterPredictFromDense(
                    handle, arrayInterface, Self.inplacePredictConfig, nil, &shape, &dimension, &result),
                "XGBoosterPredictFromDense")
        }
        return try copyOutput(rows: 1, shape: shape, dimension: dimension, result: result,
                              call: "XGBoosterPredictFromDense")
    }

    /// `Double` variant of `predictProbabilities(row:)`; values are rounded to `Float` first.
    public func predictProbabilities(row: [Double]) throws -> [Double] {
        try predictProbabilities(row: row.map { Float($0) })
    }

    /// Copies the booster-owned prediction buffer, which is only valid until the next call on
    /// this booster, after checking that XGBoost returned the `(rows, numClass)` shape.
    private func copyOutput(
        rows: Int, shape: UnsafePointer<bst_ulong>?, dimension: bst_ulong, result: UnsafePointer<Float>?,
        call: String
    ) throws -> [Double] {
        guard let shape, let result, dimension == 2 else {
            throw XGBoostError.library(call: call, message: "unexpected output of dimension \(dimension)")
        }
        guard Int(shape[0]) == rows, Int(shape[1]) == numClass else {
            throw XGBoostError.library(
                call: call, message: "unexpected output shape \(shape[0])x\(shape[1]), expected \(rows)x\(numClass)")
        }
        return UnsafeBufferPointer(start: result, count: rows * numClass).map { Double($0) }
    }
}
