import Foundation

/// How much learning the data supports: a fixed weighted average, a simple learned blend, or full
/// stacking.
public enum EnsembleMethod: String, Sendable, Codable, CaseIterable {
    /// Only the fitted blend: simplex weights over the base models and the class prior.
    case weightedAverage = "weighted_average"
    /// The configured learners on the raw probabilities only (the basic features).
    case blending
    /// The configured learners on their configured feature sets.
    case stacking
}

/// The choice of `EnsembleMethod` from the number of base models, meta-training rows and diversity.
///
/// Why these thresholds: with fewer than 3 models there is almost nothing for a meta-learner to
/// weigh, and below 1 000 rows a 3-class learner over tens of features cannot be told apart from
/// noise on a 20 % validation slice (≈ 200 rows), so only a few simplex weights are fitted (the
/// fitted blend). Below 5 000 rows (or when the models mostly agree, so extra features add little)
/// the learners read the M·K probabilities only. Stacking only from there on. The rule narrows
/// what a learner reads, never which learner is fitted (`MetaTrainer.candidateKinds`).
public enum EnsembleMethodRule {
    /// Fewer base models than this → weighted average.
    public static let minimumModels = 3
    /// Fewer meta-training rows than this → weighted average.
    public static let minimumRowsForLearning = 1_000
    /// Fewer meta-training rows than this → blending.
    public static let minimumRowsForStacking = 5_000
    /// Mean pairwise disagreement (share of rows where two models' arg-max differ) below this →
    /// blending: near-identical models leave little for the extended features to exploit.
    public static let minimumDiversity = 0.15

    /// - Parameter diversity: mean pairwise disagreement of the base models, or nil when not
    ///   measured (then it does not restrict the choice).
    public static func choose(models: Int, rows: Int, diversity: Double?) -> (method: EnsembleMethod, reason: String) {
        if models < minimumModels {
            return (.weightedAverage, "\(models) base model(s) < \(minimumModels): too few to learn a combination")
        }
        if rows < minimumRowsForLearning {
            return (.weightedAverage, "\(rows) meta-training rows < \(minimumRowsForLearning): too few to fit a meta-learner")
        }
        if rows < minimumRowsForStacking {
            return (.blending, "\(rows) meta-training rows < \(minimumRowsForStacking): blend the raw probabilities only")
        }
        if let d = diversity, d < minimumDiversity {
            return (.blending, "base-model disagreement \(format(d)) < \(minimumDiversity): low diversity, blend only")
        }
        let div = diversity.map { "disagreement \(format($0))" } ?? "diversity not measured"
        return (.stacking, "\(models) models, \(rows) meta-training rows, \(div): stacking")
    }

    static func format(_ x: Double) -> String { String(format: "%.3f", x) }
}
