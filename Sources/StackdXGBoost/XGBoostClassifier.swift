import CXGBoost

/// A multi-class gradient-boosted tree model held by libxgboost (`BoosterHandle`).
///
/// The classifier only ever produces per-class probabilities (`multi:softprob`), because the
/// stacking pipeline consumes probability vectors; any other objective is refused.
///
/// Thread safety: not `Sendable`, and deliberately so. A booster keeps mutable caches and its
/// prediction output buffer inside libxgboost, and that buffer is overwritten by the next
/// call, so one booster must be used by one thread at a time. Swift's isolation checking then
/// enforces this; the daemon owns a classifier from a single actor or task.
public final class XGBoostClassifier {
    let handle: BoosterHandle

    /// Number of input features the model was trained on.
    public let numFeatures: Int
    /// Number of classes, i.e. the width of each returned probability vector.
    public let numClass: Int

    /// Wraps a booster that is already trained or loaded; checks that it is a softprob model.
    init(adopting handle: BoosterHandle) throws {
        self.handle = handle
        // From here on `deinit` frees the handle even if the checks below throw.
        let config = try XGBoostBoosterConfig.read(from: handle)
        self.numFeatures = config.numFeatures
        self.numClass = config.numClass
        guard config.objective == "multi:softprob" else {
            throw XGBoostError.modelMismatch(
                "objective is \(config.objective), only multi:softprob yields class probabilities")
        }
        guard numClass >= 2 else {
            throw XGBoostError.modelMismatch("model has num_class \(numClass), need at least 2")
        }
    }

    deinit {
        _ = XGBoosterFree(handle)
    }

    /// Creates an empty booster, optionally bound to a training matrix.
    static func createBooster(cache: XGBoostDMatrix?) throws -> BoosterHandle {
        var created: BoosterHandle?
        if let cache {
            var handles: [DMatrixHandle?] = [cache.handle]
            try xgbCheck(XGBoosterCreate(&handles, 1, &created), "XGBoosterCreate")
        } else {
            try xgbCheck(XGBoosterCreate(nil, 0, &created), "XGBoosterCreate")
        }
        guard let created else {
            throw XGBoostError.library(call: "XGBoosterCreate", message: "returned success but no handle")
        }
        return created
    }

    static func setParameter(_ handle: BoosterHandle, _ key: String, _ value: String) throws {
        try xgbCheck(XGBoosterSetParam(handle, key, value), "XGBoosterSetParam(\(key))")
    }

    /// Number of boosting rounds in the model (trees per class).
    public var numBoostedRounds: Int {
        get throws {
            var rounds: Int32 = 0
            try xgbCheck(XGBoosterBoostedRounds(handle, &rounds), "XGBoosterBoostedRounds")
            return Int(rounds)
        }
    }
}
