/// A single 0…1 diversity number with a coarse grade, for dashboards and model-selection gates.
///
/// Score of one pair = mean of four terms, each in [0, 1] and 0 for identical models:
/// - disagreement;
/// - 1 − shared-error share, where shared-error share = double_fault / min(err_i, err_j) is the
///   fraction of the better model's errors the other model repeats (raw double fault mostly
///   measures how weak both models are, not how alike they are); 0 if either never errs;
/// - (1 − ρ_correct) / 2;
/// - (1 − score_corr) / 2.
/// The composite is the mean over pairs. Anchors: identical models score 0; two independent
/// 40%-accurate 3-class models score ≈ 0.5 (disagreement ≈ 0.66, shared share 0.6, ρ = corr = 0).
/// Grades: high ≥ 0.4 (close to independent), moderate ≥ 0.2, low below.
public struct DiversityScore: Sendable, Equatable, Codable {
    /// Coarse reading of the composite.
    public enum Grade: String, Sendable, Equatable, Codable { case high, moderate, low }

    /// Mean of the per-pair scores, in [0, 1].
    public var composite: Double
    public var grade: Grade
    /// Per-pair score, in the order of the pairs it was computed from.
    public var pairScores: [Double]

    /// Lower bound of `.high`.
    public static let highThreshold = 0.4
    /// Lower bound of `.moderate`.
    public static let moderateThreshold = 0.2

    /// The grade of a composite score.
    public static func grade(_ composite: Double) -> Grade {
        composite >= highThreshold ? .high : composite >= moderateThreshold ? .moderate : .low
    }

    /// The four-term score of one pair given the two models' error rates.
    public static func pairScore(_ d: PairDiversity, errorRates: (Double, Double)) -> Double {
        let minErr = min(errorRates.0, errorRates.1)
        let shared = minErr > 0 ? min(d.doubleFault / minErr, 1) : 0
        let terms = [d.disagreement, 1 - shared, (1 - d.rhoCorrect) / 2, (1 - d.scoreCorrelation) / 2]
        return min(max(terms.reduce(0, +) / 4, 0), 1)
    }

    /// Composite over `pairs` (excluding any "mean" row) with per-pair error rates.
    public init(pairs: [PairDiversity], errorRates: [(Double, Double)]) {
        let real = pairs.filter { $0.pair != "mean" }
        precondition(real.count == errorRates.count, "one error-rate pair per model pair")
        pairScores = zip(real, errorRates).map { Self.pairScore($0, errorRates: $1) }
        composite = pairScores.isEmpty ? 0 : pairScores.reduce(0, +) / Double(pairScores.count)
        grade = Self.grade(composite)
    }
}
