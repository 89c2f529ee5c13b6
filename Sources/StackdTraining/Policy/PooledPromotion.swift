import Foundation

/// The scores of the gate's competitors on one set of validation rows.
public struct GateScores: Sendable, Equatable {
    public var candidate: MetricScore?
    public var averaging: MetricScore
    public var bestSingle: MetricScore
    public var classPrior: MetricScore?
    public init(candidate: MetricScore?, averaging: MetricScore, bestSingle: MetricScore, classPrior: MetricScore?) {
        self.candidate = candidate
        self.averaging = averaging
        self.bestSingle = bestSingle
        self.classPrior = classPrior
    }
}

extension PromotionRule {
    /// The gate over rolling-origin folds (`RollingOriginFolds`, F > 1).
    ///
    /// The candidate must beat every baseline on the pooled out-of-sample rows of all folds
    /// (`pooled`), and the champion on the newest fold's rows only (`newestFold`, with the
    /// champion's score there): the champion (or its gated twin) was fitted on rows the older folds
    /// validate on, so only the newest fold is out of sample for it. When the candidate fails, the
    /// champion is kept while it beats every baseline on the newest fold, as in `decide`.
    /// Without a champion this is `decide` on the pooled scores.
    public static func decideOverFolds(pooled: GateScores, newestFold: GateScores, champion: MetricScore?,
                                       metric: PromotionMetric, candidateOverfitting: Bool = false) -> PromotionDecision {
        let overPooled = decide(candidate: pooled.candidate, averaging: pooled.averaging, bestSingle: pooled.bestSingle, champion: nil,
                                metric: metric, candidateOverfitting: candidateOverfitting, classPrior: pooled.classPrior)
        guard let champion else { return overPooled }
        func keepOrFallBack(_ why: String) -> PromotionDecision {
            keepChampionOrFallBack(why + " (champion judged on the newest fold)", champion: champion, averaging: newestFold.averaging,
                                   bestSingle: newestFold.bestSingle, classPrior: newestFold.classPrior, metric: metric)
        }
        guard overPooled.chosen == .candidate else {
            return keepOrFallBack(overPooled.reason.replacingOccurrences(of: "; falling back", with: ""))
        }
        guard let c = newestFold.candidate, metric.isBetter(c.value, than: champion.value) else {
            let value = newestFold.candidate.map { fmt($0.value) } ?? "none"
            return keepOrFallBack("\(overPooled.chosenName) beats the baselines on the pooled folds but not \(champion.name) on the newest fold "
                                  + "(\(metric.rawValue) \(value) vs \(fmt(champion.value)))")
        }
        var d = overPooled
        d.reason += " on the pooled folds, and \(champion.name) on the newest fold (\(fmt(c.value)) vs \(fmt(champion.value)))"
        return d
    }
}
