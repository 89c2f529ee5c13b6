import Foundation
import StackdCore
import StackdLearning
import StackdTraining

/// Builds the retrain function the daemon and replay use, from the `[learner]` configuration:
/// the chronological protocol of `StackdTraining` on the window the request carries, judged
/// against averaging, the best single model, the class prior and the current champion.
public enum DaemonTrainer {
    /// Always available: without a schedule, retrains still run on demand (SIGUSR1).
    public static func make(configuration: DaemonConfiguration) -> TrainingFunction? {
        let learner = configuration.learner
        let models = configuration.pipeline.models
        let classCount = configuration.pipeline.classCount
        let layout = StackingFeatureLayout(models: models, classCount: classCount, regimeNames: configuration.pipeline.regimeNames,
                                           skillWindow: configuration.pipeline.skillWindow)
        let gatedTwins = GatedTwins()
        return { request in
            let n = request.rows.count
            func result(_ d: TrainingResult.Decision, _ reason: String, _ c: (any MetaCombiner)?) -> TrainingResult {
                TrainingResult(horizon: request.horizon, horizonIndex: request.horizonIndex, requestSequence: request.sequence,
                               applyFrom: request.applyFrom, rows: n, decision: d, reason: reason, combiner: c,
                               reference: c == nil ? nil : request.driftReference())
            }
            guard n >= 20 else { return result(.failed, "only \(n) labelled rows in the window", nil) }
            let rows = trainingRows(request, models: models, classCount: classCount, layout: layout)
            // With regimes configured, "extended" is the reference's ext+regime set.
            let featureSet: MetaFeatureSet = learner.features == .basic ? .basic : learner.features == .all ? .all
                : layout.includesRegimes ? .extendedRegime : .extended
            let version = UInt32(truncatingIfNeeded: request.sequence)
            if learner.promotion == .always {
                // Walk-forward research mode: fit on every row and install, as the reference does.
                let columns = featureSet.columnCount(layout)
                let X = rows.features.selectingColumns(Array(0..<columns))
                let c = learner.c > 0 ? learner.c : learner.logisticC > 0 ? learner.logisticC : LearnerHyperparameters.logisticC(rows: n)
                do {
                    let model = try MultinomialLogisticRegression.fit(X: X, y: rows.labels, classes: classCount, C: c)
                    var r = result(.promote, "promotion \"always\": logistic C=\(c) fitted on \(n) rows",
                                   LogisticCombiner(model: model, featureSet: featureSet, layout: layout, version: version))
                    var training = TrainingConfiguration()
                    training.trainFraction = 1 - learner.validationFraction
                    training.modelVersion = version
                    training.logisticC = learner.logisticC
                    ChallengerTraining.apply(to: &r, request: request, rows: rows, training: training, featureSet: featureSet, learner: learner)
                    return r
                } catch {
                    return result(.failed, "logistic fit failed: \(error)", nil)
                }
            }
            var training = TrainingConfiguration()
            training.trainFraction = 1 - learner.validationFraction
            training.metric = PromotionMetric(rawValue: learner.metric == .f1 ? "f1_macro" : learner.metric.rawValue) ?? .logLoss
            training.candidates = learner.kind == .auto ? CandidateKind.auto(featureSet)
                : [CandidateKind(learner: learner.kind.rawValue,
                                 featureSet: MetaLearnerRegistry.learner(named: learner.kind.rawValue)?.featureSet(requested: featureSet) ?? featureSet)]
            if learner.c > 0 {
                var fixed = LearnerHyperparameters.forSampleSize(n)
                fixed.logisticC = learner.c
                training.regularisation = .fixed(fixed)
            }
            training.modelVersion = version
            training.minImprovementZ = learner.minImprovementZ
            training.validationFolds = learner.validationFolds
            training.logisticC = learner.logisticC
            training.calibrate = learner.calibration == .temperature
            training.isotonicCalibration = learner.calibration == .isotonic
            training.diverseSelection = learner.diverseSelection
            training.mixBestSingle = learner.mixBestSingle
            // A champion this trainer refitted is judged by its gated twin (see `GatedTwins`).
            let champion = request.champion.version > 0
                ? Champion(name: "champion v\(request.champion.version)",
                           combiner: gatedTwins.twin(horizon: request.horizon, servedVersion: request.champion.version) ?? request.champion)
                : nil
            do {
                var outcome = try MetaTrainer.train(rows: rows, horizon: request.horizon, configuration: training, champion: champion)
                outcome.diversity = DiversityAnalysisDocument.make(rows: rows, trainFraction: training.trainFraction)?.applied(outcome.appliedSelection)
                var r: TrainingResult
                switch outcome.decision.chosen {
                case .candidate:
                    r = result(.promote, outcome.decision.reason, outcome.chosen)
                    gatedTwins.record(horizon: request.horizon, servedVersion: outcome.chosen.version, gated: outcome.gatedCandidate?.combiner)
                case .champion: r = result(.keep, outcome.decision.reason, nil)
                case .averaging:
                    // The fallback is the best baseline on the validation rows: the prior, a blend, the
                    // best single model or averaging (installed only when something else is serving).
                    let fallback: (any MetaCombiner)? = !(outcome.chosen is AveragingCombiner) ? outcome.chosen
                        : request.champion.version > 0 ? AveragingCombiner(modelCount: models.count, classCount: classCount) : nil
                    r = result(.fallback, outcome.decision.reason, fallback)
                }
                r.outcome = outcome
                ChallengerTraining.apply(to: &r, request: request, rows: rows, training: training, featureSet: featureSet, learner: learner)
                return r
            } catch {
                return result(.failed, "training failed: \(error)", nil)
            }
        }
    }

    /// The window's rows in event-time order (labels arrive in exit order, training wants time order).
    static func trainingRows(_ request: TrainingRequest, models: [String], classCount: Int,
                             layout: StackingFeatureLayout) -> TrainingRows {
        let r = request.rows
        let n = r.count, mk = r.modelCount * r.classCount, f = r.featureCount
        let order = (0..<n).sorted { (r.eventTimes[$0], r.symbols[$0], $0) < (r.eventTimes[$1], r.symbols[$1], $1) }
        var base = [Double](), features = [Double]()
        base.reserveCapacity(n * mk)
        features.reserveCapacity(n * f)
        for i in order {
            base.append(contentsOf: r.basePredictions[i * mk ..< (i + 1) * mk])
            features.append(contentsOf: r.features[i * f ..< (i + 1) * f])
        }
        let symbolCount = (r.symbols.max().map { Int($0) } ?? -1) + 1
        return TrainingRows(
            horizon: request.horizon, models: models, classCount: classCount,
            eventTimes: order.map { r.eventTimes[$0] }, exitTimes: order.map { r.exitTimes[$0] },
            symbolIDs: order.map { Int(r.symbols[$0]) }, symbols: (0..<symbolCount).map { "s\($0)" },
            labels: order.map { r.labels[$0] }, forwardReturns: order.map { r.forwardReturns[$0] },
            basePredictions: Matrix(rows: n, cols: mk, storage: base), features: Matrix(rows: n, cols: f, storage: features),
            layout: layout)
    }
}

/// The gated twin of each model this trainer promoted: the candidate as the gate judged it
/// (fitted on meta-train only), keyed by horizon and the served refit's version.
///
/// Why: the served model is refitted on its whole window (`MetaTrainer.refittedOnAllRows`), so
/// it has learned from the newest rows of that window — rows the next retrain validates on.
/// Scored there it would look better than it is and block fresh candidates; its gated twin has
/// not seen them. A champion with no twin here (loaded from disk after a restart, or a fallback)
/// is judged as served. Retrains of different horizons may run concurrently: a lock guards it.
final class GatedTwins: @unchecked Sendable {
    private let lock = NSLock()
    private var twins: [Int: (version: UInt32, gated: any MetaCombiner)] = [:]

    func record(horizon: Int, servedVersion: UInt32, gated: (any MetaCombiner)?) {
        lock.lock()
        defer { lock.unlock() }
        twins[horizon] = gated.map { (servedVersion, $0) }
    }

    func twin(horizon: Int, servedVersion: UInt32) -> (any MetaCombiner)? {
        lock.lock()
        defer { lock.unlock() }
        guard let t = twins[horizon], t.version == servedVersion else { return nil }
        return t.gated
    }
}
