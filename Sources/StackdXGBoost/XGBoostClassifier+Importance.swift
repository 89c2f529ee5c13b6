import CXGBoost

extension XGBoostClassifier {
    /// Per-feature importance, keyed by XGBoost's default feature names `f0`, `f1`, ...
    ///
    /// Features never used in a split are absent, exactly as in Python's `Booster.get_score`,
    /// because both call `XGBoosterFeatureScore`; absent means "no split", not zero importance
    /// measured. For multi-class models the statistic is aggregated over all classes' trees.
    public func featureImportance(type: XGBoostImportanceType = .gain) throws -> [String: Double] {
        let config = #"{"importance_type": "\#(type.rawValue)"}"#
        var count: bst_ulong = 0
        var names: UnsafeMutablePointer<UnsafePointer<CChar>?>?
        var dimension: bst_ulong = 0
        var shape: UnsafePointer<bst_ulong>?
        var scores: UnsafePointer<Float>?
        try xgbCheck(
            XGBoosterFeatureScore(handle, config, &count, &names, &dimension, &shape, &scores),
            "XGBoosterFeatureScore")
        let n = Int(count)
        guard n == 0 || (names != nil && scores != nil) else {
            throw XGBoostError.library(call: "XGBoosterFeatureScore", message: "returned success but no buffers")
        }
        guard dimension == 1 else {
            throw XGBoostError.library(
                call: "XGBoosterFeatureScore", message: "expected one score per feature, got dimension \(dimension)")
        }
        // Names and scores belong to the booster; copy them now.
        var importance: [String: Double] = [:]
        for index in 0..<n {
            guard let name = names?[index], let score = scores?[index] else { continue }
            importance[String(cString: name)] = Double(score)
        }
        return importance
    }
}
