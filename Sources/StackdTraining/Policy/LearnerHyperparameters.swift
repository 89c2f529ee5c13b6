/// Model capacity chosen from the number of meta-training rows.
///
/// Meta-features are few and strongly collinear (the probabilities of one model sum to 1) and
/// the signal is weak, so a small meta-train set is fitted with a stronger penalty and smaller
/// trees; capacity grows only when there are rows to support it.
public struct LearnerHyperparameters: Sendable, Codable, Equatable {
    /// Inverse L2 strength of the logistic meta-learner.
    public var logisticC: Double
    /// Maximum depth of the boosted trees.
    public var treeDepth: Int
    /// Boosting rounds.
    public var treeEstimators: Int

    public init(logisticC: Double, treeDepth: Int, treeEstimators: Int) {
        self.logisticC = logisticC
        self.treeDepth = treeDepth
        self.treeEstimators = treeEstimators
    }

    /// C = 0.1 below 5 000 rows, 0.5 below 20 000, 1.0 otherwise.
    public static func logisticC(rows: Int) -> Double {
        rows < 5_000 ? 0.1 : rows < 20_000 ? 0.5 : 1.0
    }

    /// Depth/estimators 2/50 below 5 000 rows, 3/100 below 20 000, 4/150 otherwise.
    public static func treeShape(rows: Int) -> (depth: Int, estimators: Int) {
        rows < 5_000 ? (2, 50) : rows < 20_000 ? (3, 100) : (4, 150)
    }

    /// Both choices for `rows` meta-training rows.
    public static func forSampleSize(_ rows: Int) -> LearnerHyperparameters {
        let t = treeShape(rows: rows)
        return LearnerHyperparameters(logisticC: logisticC(rows: rows), treeDepth: t.depth, treeEstimators: t.estimators)
    }
}

/// Where the hyperparameters come from.
public enum RegularisationChoice: Sendable, Codable, Equatable {
    /// `LearnerHyperparameters.forSampleSize` of the meta-train rows (the default).
    case bySampleSize
    /// Fixed values, e.g. the reference's C = 1, depth 3, 100 trees.
    case fixed(LearnerHyperparameters)

    /// The hyperparameters for `rows` meta-training rows.
    public func resolve(rows: Int) -> LearnerHyperparameters {
        switch self {
        case .bySampleSize: return .forSampleSize(rows)
        case .fixed(let h): return h
        }
    }
}
