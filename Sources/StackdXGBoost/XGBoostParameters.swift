/// Training parameters for `XGBoostClassifier`, named after XGBoost's own parameters.
///
/// `Codable` so that the daemon configuration can carry them and a saved model can be traced back
/// to the settings that produced it. The defaults are chosen for reproducibility rather than
/// speed: `nthread = 1` because multi-threaded histogram building may sum gradients in a
/// different order and change the trees in the last bits.
public struct XGBoostParameters: Codable, Sendable, Equatable {
    /// Learning objective; `multi:softprob` is the only one whose output `XGBoostClassifier`
    /// can interpret as per-class probabilities.
    public var objective: String
    /// Number of classes (the width of each probability vector).
    public var numClass: Int
    /// Maximum tree depth (`max_depth`).
    public var maxDepth: Int
    /// Number of boosting rounds; each round adds `numClass` trees.
    public var nEstimators: Int
    /// Shrinkage applied to each new tree (`eta`).
    public var learningRate: Double
    /// Fraction of rows sampled per tree (`subsample`).
    public var subsample: Double
    /// Fraction of columns sampled per tree (`colsample_bytree`).
    public var colsampleByTree: Double
    /// Seed for row/column sampling (`seed`); fixed so runs are repeatable.
    public var seed: Int
    /// Split-finding algorithm (`tree_method`); `hist` is deterministic given `nthread`.
    public var treeMethod: String
    /// OpenMP threads used by this booster (`nthread`).
    public var nthread: Int
    /// Any other XGBoost parameter, passed verbatim after the named ones (so it can override
    /// them). XGBoost validates names (`validate_parameters`) and warns about unknown ones.
    public var extra: [String: String]

    public init(
        objective: String = "multi:softprob",
        numClass: Int = 3,
        maxDepth: Int = 3,
        nEstimators: Int = 50,
        learningRate: Double = 0.1,
        subsample: Double = 1.0,
        colsampleByTree: Double = 1.0,
        seed: Int = 0,
        treeMethod: String = "hist",
        nthread: Int = 1,
        extra: [String: String] = [:]
    ) {
        self.objective = objective
        self.numClass = numClass
        self.maxDepth = maxDepth
        self.nEstimators = nEstimators
        self.learningRate = learningRate
        self.subsample = subsample
        self.colsampleByTree = colsampleByTree
        self.seed = seed
        self.treeMethod = treeMethod
        self.nthread = nthread
        self.extra = extra
    }

    /// The parameters as XGBoost's string key/value pairs, in the order they are applied.
    ///
    /// Numbers use Swift's shortest round-trip formatting, which matches Python's `str(float)`
    /// (e.g. `0.1` -> "0.1"), so both front ends hand libxgboost the same text to parse.
    /// Extra parameters are sorted by key so the order is deterministic.
    public var keyValuePairs: [(key: String, value: String)] {
        var pairs: [(key: String, value: String)] = [
            ("validate_parameters", "1"),
            ("objective", objective),
            ("num_class", String(numClass)),
            ("max_depth", String(maxDepth)),
            ("eta", String(learningRate)),
            ("subsample", String(subsample)),
            ("colsample_bytree", String(colsampleByTree)),
            ("seed", String(seed)),
            ("tree_method", treeMethod),
            ("nthread", String(nthread)),
        ]
        for key in extra.keys.sorted() {
            pairs.append((key, extra[key]!))
        }
        return pairs
    }
}
