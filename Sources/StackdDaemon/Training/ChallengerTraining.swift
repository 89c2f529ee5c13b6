import StackdCore
import StackdLearning
import StackdTraining

/// The challengers' part of a retrain (`learner.challengers`, `learner.challenger_min_rows`): fit
/// them on the request's rows, hand them back with the result (the pipeline scores them live from
/// the same apply time as the served model) and, with N > 0, apply `ChallengerPromotion` to the
/// gate's decision. Runs on the training thread; pure given the request, so replay agrees.
enum ChallengerTraining {
    static func apply(to result: inout TrainingResult, request: TrainingRequest, rows: TrainingRows,
                      training: TrainingConfiguration, featureSet: MetaFeatureSet, learner: DaemonConfiguration.Learner) {
        guard !learner.challengers.isEmpty else { return }
        let fitted: [FittedChallenger]
        do {
            fitted = try ChallengerFitting.fit(learners: learner.challengers, rows: rows, configuration: training,
                                               featureSet: featureSet, outcome: result.outcome)
        } catch {
            result.reason += "; challengers not fitted: \(error)"
            return
        }
        result.challengers = fitted.map(\.combiner)
        guard learner.challengerMinRows > 0, let outcome = result.outcome else { return }
        if let verdict = ChallengerPromotion.decide(standings: request.challengers, challengers: fitted, outcome: outcome,
                                                    minRows: learner.challengerMinRows) {
            result.reason = verdict.reason + " (the gate alone: \(result.decision.rawValue), \(result.reason))"
            result.decision = .promote
            result.combiner = verdict.challenger.combiner
            if result.reference == nil { result.reference = request.driftReference() }
        } else if result.decision == .promote,
                  let why = ChallengerPromotion.blocks(candidate: outcome.chosenCandidate, standings: request.challengers,
                                                       minRows: learner.challengerMinRows) {
            result.reason = why + "; keeping the champion (the gate alone: \(result.reason))"
            result.decision = .keep
            result.combiner = nil
            result.reference = nil
        }
    }
}
