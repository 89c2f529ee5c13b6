import StackdCore
import StackdLearning

/// A challenger fitted by one retrain: a learner trained exactly like the candidates, scored live
/// beside the served model but never served unless `ChallengerPromotion` lets it replace the
/// champion.
public struct FittedChallenger: Sendable {
    /// The learner's registry name (`learner.challengers`).
    public var name: String
    public var combiner: any FittedMetaLearner
    /// Its score on the retrain's validation rows, the rows the gate judged the candidates on.
    public var validation: EvaluationReport
}

/// Fits the configured challengers of one retrain on the same rows as the candidates.
///
/// A challenger that is also a candidate of the same run is that candidate's uncalibrated fit
/// (no second fit, same model); any other is fitted here with the candidates' protocol: the same
/// chronological cut, the same inner split to choose hyper-parameters, the same hyper-parameters,
/// the learner's own feature set. Deterministic, so a replay gets the live challengers.
public enum ChallengerFitting {
    public static func fit(learners names: [String], rows: TrainingRows, configuration: TrainingConfiguration,
                           featureSet requested: MetaFeatureSet, outcome: TrainingOutcome?) throws -> [FittedChallenger] {
        guard !names.isEmpty else { return [] }
        let split = ChronologicalSplit(timestamps: rows.eventTimes, exitTimestamps: rows.exitTimes,
                                       trainFraction: configuration.trainFraction)
        guard !split.train.isEmpty, !split.test.isEmpty else {
            throw TrainingError.tooFewRows(train: split.train.count, validation: split.test.count)
        }
        let train = rows.subset(split.train), valid = rows.subset(split.test)
        let inner = ChronologicalSplit(timestamps: train.eventTimes, exitTimestamps: train.exitTimes,
                                       trainFraction: MetaTrainer.selectionFraction)
        let hyper = configuration.regularisation.resolve(rows: train.count)
        let hyperFixed: Bool
        if case .fixed = configuration.regularisation { hyperFixed = true } else { hyperFixed = false }
        func report(_ combiner: any MetaCombiner) -> EvaluationReport {
            EvaluationReport(probabilities: MetaTrainer.evaluate(combiner, on: valid), labels: valid.labels,
                             forwardReturns: valid.forwardReturns, horizon: rows.horizon)
        }
        return try names.map { name in
            if TrainingCancellation.isCurrentCancelled { throw TrainingError.cancelled }
            if let outcome, let c = outcome.candidates.first(where: { $0.kind.learner == name && !($0.combiner is CalibratedCombiner) && !($0.combiner is IsotonicCalibratedCombiner) }) {
                return FittedChallenger(name: name, combiner: c.combiner, validation: outcome.score(c.name)?.validation ?? report(c.combiner))
            }
            guard let learner = MetaLearnerRegistry.learner(named: name) else {
                throw TrainingError.invalidConfiguration("unknown challenger learner '\(name)' (registered: \(MetaLearnerRegistry.names.joined(separator: ", ")))")
            }
            var fs = learner.featureSet(requested: requested)
            if !fs.isAvailable(in: rows.layout) { fs = .basic }
            let input = MetaLearnerFitInput(train: train.subset(inner.train), validation: train.subset(inner.test), featureSet: fs,
                                            configuration: configuration, hyperparameters: hyper, hyperparametersFixed: hyperFixed,
                                            refitRows: train)
            let fitted = try learner.fit(input)
            return FittedChallenger(name: name, combiner: fitted, validation: report(fitted))
        }
    }
}
