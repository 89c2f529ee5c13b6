import StackdCore

/// The live-evidence rule for challengers (`learner.challenger_min_rows` = N > 0).
///
/// A challenger replaces the champion only when, over its last N live labelled rows, its
/// prequential log-loss is strictly lower than the served model's on the same rows, AND its fit
/// from this retrain still beats the gate's baselines (averaging, the best single model, the class
/// prior) on the retrain's validation rows. Live evidence comes first because validation rows are
/// few and in the past; the baselines still apply because a model that loses to them now must not
/// be served whatever its past. When several qualify, the lowest recent log-loss wins.
///
/// Conversely, with N > 0 a challenger's learner may not reach the champion through the gate
/// alone: `blocks` says when the gate's promoted candidate is such a learner without that evidence.
public enum ChallengerPromotion {
    /// The verdict for one retrain: which challenger replaces the champion, and why.
    public struct Verdict: Sendable {
        public var challenger: FittedChallenger
        public var reason: String
    }

    /// The challenger that replaces the champion, or nil (then the gate's decision stands).
    public static func decide(standings: [ChallengerStanding], challengers: [FittedChallenger], outcome: TrainingOutcome,
                              minRows: Int) -> Verdict? {
        guard minRows > 0 else { return nil }
        let metric = outcome.metric
        let baselines = [MetaTrainer.averagingName, "best single (\(outcome.bestSingleModel))", MetaTrainer.classPriorName]
            .compactMap { name in outcome.score(name).map { (name, metric.value($0.validation)) } }
        var best: (standing: ChallengerStanding, fitted: FittedChallenger)?
        for standing in standings where standing.beatsChampion(minRows: minRows) {
            guard let fitted = challengers.first(where: { $0.name == standing.name }) else { continue }
            let value = metric.value(fitted.validation)
            guard baselines.allSatisfy({ metric.isBetter(value, than: $0.1) }) else { continue }
            if best == nil || standing.recentLogLoss < best!.standing.recentLogLoss { best = (standing, fitted) }
        }
        guard let (s, f) = best else { return nil }
        let beaten = baselines.map { "\($0.0) (\(fmt($0.1)))" }.joined(separator: ", ")
        let reason = "challenger \(s.name) beat the champion over its last \(s.recentCount) live labelled rows "
            + "(log_loss \(fmt(s.recentLogLoss)) vs \(fmt(s.recentChampionLogLoss))) and its new fit has \(metric.rawValue) "
            + "\(fmt(metric.value(f.validation))) on the validation rows, better than \(beaten): promoted"
        return Verdict(challenger: f, reason: reason)
    }

    /// Why the gate's promoted candidate may not replace the champion (nil: it may): its learner
    /// is a challenger that has not yet beaten the champion over `minRows` live labelled rows.
    public static func blocks(candidate: TrainedCandidate?, standings: [ChallengerStanding], minRows: Int) -> String? {
        guard minRows > 0, let candidate, let s = standings.first(where: { $0.name == candidate.kind.learner }),
              !s.beatsChampion(minRows: minRows) else { return nil }
        let evidence = s.recentCount < minRows
            ? "only \(s.recentCount) of \(minRows) live labelled rows scored"
            : "log_loss \(fmt(s.recentLogLoss)) vs the champion's \(fmt(s.recentChampionLogLoss)) over its last \(s.recentCount) live rows"
        return "\(candidate.name) wins the gate but challenger \(s.name) has not beaten the champion live (\(evidence))"
    }

    static func fmt(_ x: Double) -> String { PromotionRule.fmt(x) }
}
