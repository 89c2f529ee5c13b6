import CXGBoost

extension XGBoostClassifier {
    /// Class probabilities of `rows` rows using only the first `rounds` boosting rounds (0: all),
    /// so one fit scores every smaller number of trees (how the trainer chooses the tree count
    /// on validation rows without refitting).
    public func predictProbabilities(features: [Double], rows: Int, rounds: Int) throws -> [Double] {
        let matrix = try XGBoostDMatrix(features: features, rows: rows, cols: numFeatures)
        let config = #"{"type": 0, "training": false, "iteration_begin": 0, "iteration_end": \#(max(0, rounds)), "strict_shape": true}"#
        var shape: UnsafePointer<bst_ulong>?
        var dimension: bst_ulong = 0
        var result: UnsafePointer<Float>?
        try xgbCheck(XGBoosterPredictFromDMatrix(handle, matrix.handle, config, &shape, &dimension, &result),
                     "XGBoosterPredictFromDMatrix")
        guard let shape, let result, dimension == 2, Int(shape[0]) == rows, Int(shape[1]) == numClass else {
            throw XGBoostError.library(call: "XGBoosterPredictFromDMatrix", message: "unexpected output shape")
        }
        return UnsafeBufferPointer(start: result, count: rows * numClass).map { Double($0) }
    }

    /// SHAP contributions (`pred_contribs`) of one row: `numClass × (numFeatures + 1)` margins,
    /// row-major by class, the last of each class the bias; each class's values sum to its margin.
    public func predictContributions(row: [Double]) throws -> [Double] {
        guard row.count == numFeatures else {
            throw XGBoostError.invalidInput("model expects \(numFeatures) features, row has \(row.count)")
        }
        let matrix = try XGBoostDMatrix(features: row, rows: 1, cols: numFeatures)
        let config = #"{"type": 2, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": true}"#
        var shape: UnsafePointer<bst_ulong>?
        var dimension: bst_ulong = 0
        var result: UnsafePointer<Float>?
        try xgbCheck(XGBoosterPredictFromDMatrix(handle, matrix.handle, config, &shape, &dimension, &result),
                     "XGBoosterPredictFromDMatrix")
        let count = numClass * (numFeatures + 1)
        guard let shape, let result, dimension == 3, Int(shape[0]) == 1, Int(shape[1]) == numClass,
              Int(shape[2]) == numFeatures + 1 else {
            throw XGBoostError.library(call: "XGBoosterPredictFromDMatrix", message: "unexpected contributions shape")
        }
        return UnsafeBufferPointer(start: result, count: count).map { Double($0) }
    }
}
