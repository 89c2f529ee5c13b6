import Foundation

/// What the trainer ends up serving.
public enum PromotedMethod: String, Sendable, Codable {
    /// The newly trained candidate.
    case candidate
    /// The model already serving (kept).
    case champion
    /// The fallback: the best baseline on the validation rows — averaging, the class prior, a
    /// shrinkage blend of the two (`PriorShrinkageCombiner`) or the best single model (a one-hot
    /// `FittedBlendCombiner`). The raw value stays `averaging` (it is persisted).
    case averaging
}

/// The outcome of the promotion rule with its justification.
public struct PromotionDecision: Sendable, Codable, Equatable {
    /// What is served.
    public var chosen: PromotedMethod
    /// Name of the served method as it appears in the comparison table.
    public var chosenName: String
    /// Why, in one sentence a human can check against the table.
    public var reason: String
}

/// One competitor's score on the promotion metric.
public struct MetricScore: Sendable, Codable, Equatable {
    public var name: String
    public var value: Double
    public init(name: String, value: Double) {
        self.name = name
        self.value = value
    }
}

/// Promote the candidate only if it beats averaging AND the best single model AND the class prior
/// (when given) AND the current champion (when given) on the configured metric on the same
/// validation rows, and is not flagged as overfitting; otherwise keep the champion if it still beats
/// every baseline on these rows (`keepChampionOrFallBack`), else fall back to the best baseline
/// (averaging, the class prior, their blends or the best single model: see `MetaTrainer`).
///
/// Beating the class prior is required because a model that loses to label frequencies carries no
/// usable signal, however it compares with the other learned methods.
///
/// Beating averaging is required because averaging is free, robust and hard to beat out of sample;
/// beating the best single model because otherwise the ensemble adds nothing; beating the champion
/// because replacing a working model needs evidence, and a tie is not evidence.
public enum PromotionRule {
    public static func decide(candidate: MetricScore?, averaging: MetricScore, bestSingle: MetricScore,
                              champion: MetricScore?, metric: PromotionMetric,
                              candidateOverfitting: Bool = false, classPrior: MetricScore? = nil) -> PromotionDecision {
        func fallback(_ why: String) -> PromotionDecision {
            keepChampionOrFallBack(why, champion: champion, averaging: averaging, bestSingle: bestSingle,
                                   classPrior: classPrior, metric: metric)
        }
        guard let c = candidate else { return fallback("no candidate was trained") }
        let name = metric.rawValue, dir = metric.lowerIsBetter ? "lower" : "higher"
        func cmp(_ o: MetricScore) -> String { "\(name) \(fmt(c.value)) vs \(fmt(o.value)) (\(dir) is better)" }
        if !metric.isBetter(c.value, than: averaging.value) {
            return fallback("\(c.name) does not beat \(averaging.name): \(cmp(averaging))")
        }
        if !metric.isBetter(c.value, than: bestSingle.value) {
            return fallback("\(c.name) does not beat \(bestSingle.name): \(cmp(bestSingle))")
        }
        if let classPrior, !metric.isBetter(c.value, than: classPrior.value) {
            return fallback("\(c.name) does not beat \(classPrior.name): \(cmp(classPrior))")
        }
        if let champion, !metric.isBetter(c.value, than: champion.value) {
            return fallback("\(c.name) does not beat \(champion.name): \(cmp(champion))")
        }
        if candidateOverfitting {
            return fallback("\(c.name) wins on \(name) but is flagged as overfitting (train–validation log-loss gap)")
        }
        var beaten = ["\(averaging.name) (\(fmt(averaging.value)))", "\(bestSingle.name) (\(fmt(bestSingle.value)))"]
        if let classPrior { beaten.append("\(classPrior.name) (\(fmt(classPrior.value)))") }
        if let champion { beaten.append("\(champion.name) (\(fmt(champion.value)))") }
        return PromotionDecision(chosen: .candidate, chosenName: c.name,
                                 reason: "\(c.name) has \(name) \(fmt(c.value)), better (\(dir)) than " + beaten.joined(separator: ", "))
    }

    /// When no candidate is promoted: keep the champion only while it still beats every baseline
    /// on these validation rows (averaging, the best single model and the class prior when
    /// given), else fall back (`MetaTrainer` then serves the best baseline on these rows).
    ///
    /// Why every baseline and not averaging alone: a champion fitted years ago can keep beating
    /// averaging while losing to the best single model or to the label frequencies; keeping it
    /// because the newest candidate also failed would serve a model the evidence already rejects.
    public static func keepChampionOrFallBack(_ why: String, champion: MetricScore?, averaging: MetricScore,
                                              bestSingle: MetricScore, classPrior: MetricScore?,
                                              metric: PromotionMetric) -> PromotionDecision {
        let fallingBack = PromotionDecision(chosen: .averaging, chosenName: averaging.name, reason: why + "; falling back")
        guard let champion else { return fallingBack }
        for baseline in [averaging, bestSingle] + (classPrior.map { [$0] } ?? [])
        where !metric.isBetter(champion.value, than: baseline.value) {
            return PromotionDecision(
                chosen: .averaging, chosenName: averaging.name,
                reason: why + "; \(champion.name) no longer beats \(baseline.name) (\(metric.rawValue) "
                    + "\(fmt(champion.value)) vs \(fmt(baseline.value))): falling back")
        }
        return PromotionDecision(chosen: .champion, chosenName: champion.name,
                                 reason: why + "; keeping \(champion.name) (\(metric.rawValue) \(fmt(champion.value)), better than every baseline)")
    }

    /// The paired z statistic of a candidate's log-loss gain over averaging: mean of
    /// (loss_averaging − loss_candidate) per row over its standard error. Rows are treated as
    /// independent, which overlapping label windows are not: read it as a noise floor, not a p-value.
    public static func improvementZ(candidateLosses c: [Double], averagingLosses a: [Double]) -> Double {
        let n = min(c.count, a.count)
        guard n > 1 else { return 0 }
        var mean = 0.0
        for i in 0..<n { mean += a[i] - c[i] }
        mean /= Double(n)
        var v = 0.0
        for i in 0..<n { let d = a[i] - c[i] - mean; v += d * d }
        let se = (v / Double(n - 1) / Double(n)).squareRoot()
        return se > 0 ? mean / se : (mean > 0 ? .infinity : 0)
    }

    static func fmt(_ x: Double) -> String { String(format: "%.4f", x) }
}
