import CXGBoost

extension XGBoostClassifier {
    /// Trains a new model with libxgboost's own learner, one `XGBoosterUpdateOneIter` per round.
    ///
    /// - Parameters:
    ///   - features: `rows * cols` row-major values; NaN marks a missing value.
    ///   - labels: one class index per row, in `0..<parameters.numClass`.
    /// - Throws: `XGBoostError.invalidInput` for bad shapes or labels, `.library` if XGBoost fails.
    public static func train(
        features: [Float], rows: Int, cols: Int, labels: [Float], parameters: XGBoostParameters,
        shouldStop: () -> Bool = { false }
    ) throws -> XGBoostClassifier {
        try validate(labels: labels, numClass: parameters.numClass)
        let matrix = try XGBoostDMatrix(features: features, rows: rows, cols: cols, labels: labels)
        return try train(on: matrix, parameters: parameters, shouldStop: shouldStop)
    }

    /// Double-precision variant of `train(features:rows:cols:labels:parameters:)`; values are
    /// rounded to `Float` once, as XGBoost stores them.
    public static func train(
        features: [Double], rows: Int, cols: Int, labels: [Double], parameters: XGBoostParameters,
        shouldStop: () -> Bool = { false }
    ) throws -> XGBoostClassifier {
        try train(
            features: features.map { Float($0) }, rows: rows, cols: cols,
            labels: labels.map { Float($0) }, parameters: parameters, shouldStop: shouldStop)
    }

    /// Trains on an existing labelled matrix (labels are not re-validated here: the matrix
    /// does not expose them cheaply, and XGBoost itself rejects out-of-range classes).
    /// `shouldStop` is checked before each boosting round: true ends training with
    /// `XGBoostError.invalidInput("training cancelled")` (a stopping daemon does not wait for the
    /// remaining rounds).
    public static func train(on matrix: XGBoostDMatrix, parameters: XGBoostParameters,
                             shouldStop: () -> Bool = { false }) throws -> XGBoostClassifier {
        guard parameters.objective == "multi:softprob" else {
            throw XGBoostError.invalidInput("objective must be multi:softprob, got \(parameters.objective)")
        }
        guard parameters.numClass >= 2 else {
            throw XGBoostError.invalidInput("numClass must be at least 2, got \(parameters.numClass)")
        }
        guard parameters.nEstimators >= 1 else {
            throw XGBoostError.invalidInput("nEstimators must be at least 1, got \(parameters.nEstimators)")
        }
        let handle = try createBooster(cache: matrix)
        do {
            for (key, value) in parameters.keyValuePairs {
                try setParameter(handle, key, value)
            }
            for round in 0..<parameters.nEstimators {
                if shouldStop() { throw XGBoostError.invalidInput("training cancelled after \(round) rounds") }
                try xgbCheck(XGBoosterUpdateOneIter(handle, Int32(round), matrix.handle), "XGBoosterUpdateOneIter")
            }
        } catch {
            _ = XGBoosterFree(handle)
            throw error
        }
        return try XGBoostClassifier(adopting: handle)
    }

    private static func validate(labels: [Float], numClass: Int) throws {
        for (row, label) in labels.enumerated() {
            guard label >= 0, label < Float(numClass), label == label.rounded() else {
                throw XGBoostError.invalidInput("label \(label) at row \(row) is not a class index in 0..<\(numClass)")
            }
        }
    }
}
