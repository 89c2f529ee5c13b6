import Foundation
import StackdCore
import StackdLearning
import StackdXGBoost

/// The model currently serving a horizon, to be beaten by any new candidate.
public struct Champion: Sendable {
    /// Name shown in the comparison table.
    public var name: String
    /// What the gate scores on the validation rows. For a champion that was refitted on its
    /// whole window, pass its gated twin (`TrainingOutcome.gatedCandidate`): the refit has
    /// learned from rows this retrain validates on, so its score there would be optimistic.
    public var combiner: any MetaCombiner
    public init(name: String, combiner: any MetaCombiner) {
        self.name = name
        self.combiner = combiner
    }
}

/// Errors of the training protocol.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    case horizonMismatch(rows: Int, requested: Int)
    case tooFewRows(train: Int, validation: Int)
    case invalidConfiguration(String)
    /// The thread's `TrainingCancellation` was cancelled (the daemon is stopping).
    case cancelled

    public var description: String {
        switch self {
        case .horizonMismatch(let r, let q): return "rows are for horizon \(r), training was asked for horizon \(q)"
        case .tooFewRows(let t, let v): return "not enough rows to train and validate (\(t) meta-train, \(v) validation)"
        case .invalidConfiguration(let s): return "invalid training configuration: \(s)"
        case .cancelled: return "training cancelled"
        }
    }
}

/// The chronological training protocol of one horizon.
///
/// Split by time (meta-train before the cut, validation from the cut, meta-train rows whose label
/// is only known after the cut purged — the reference's rule), fit each candidate on meta-train,
/// score every method on the same validation rows, and let the pure policy functions decide. A
/// promoted candidate is then refitted on the whole window for serving (`refittedOnAllRows`); a
/// fallback serves the best baseline on the validation rows.
/// Deterministic: no clocks, no randomness beyond the tree learner's fixed seed, one thread.
public enum MetaTrainer {
    public static func train(rows: TrainingRows, horizon: Int, configuration: TrainingConfiguration = .init(),
                             champion: Champion? = nil) throws -> TrainingOutcome {
        guard rows.horizon == horizon else { throw TrainingError.horizonMismatch(rows: rows.horizon, requested: horizon) }
        guard rows.count >= 2 else { throw TrainingError.tooFewRows(train: 0, validation: rows.count) }
        if let w = configuration.blendWeights, w.count != rows.models.count || w.reduce(0, +) <= 0 {
            throw TrainingError.invalidConfiguration("blendWeights needs \(rows.models.count) weights with a positive sum")
        }
        // The gate's validation rows: the newest fold (F = 1: the single split) or the pooled
        // rolling-origin folds (`RollingOriginFolds`). Meta-train is the newest fold's train.
        let folds = RollingOriginFolds(timestamps: rows.eventTimes, exitTimestamps: rows.exitTimes,
                                       trainFraction: configuration.trainFraction, requested: configuration.validationFolds)
        let split = folds.newest.split
        guard !split.train.isEmpty, !split.test.isEmpty else {
            throw TrainingError.tooFewRows(train: split.train.count, validation: split.test.count)
        }
        let train = rows.subset(split.train), valid = rows.subset(folds.pooledValidation)
        // The older folds: each fitted on its own purged rows, predicting its own slice.
        let olderFolds = folds.folds.dropLast().map { (train: rows.subset($0.train), validation: rows.subset($0.validation)) }
        let newestRows = (valid.count - folds.newest.validation.count)..<valid.count
        let pooledFolds = folds.folds.count
        let k = rows.classCount, layout = rows.layout
        func report(_ P: Matrix) -> EvaluationReport {
            EvaluationReport(probabilities: P, labels: valid.labels, forwardReturns: valid.forwardReturns, horizon: horizon)
        }

        // Which learners the data supports.
        let rule = EnsembleMethodRule.choose(models: rows.models.count, rows: train.count, diversity: configuration.baseModelDiversity)
        let method: EnsembleMethod = configuration.applyEnsembleMethodRule ? rule.method : .stacking
        let methodReason = configuration.applyEnsembleMethodRule ? rule.reason : "ensemble-method rule disabled: stacking"
        let kinds = Self.candidateKinds(method: method, configured: configuration.candidates, layout: layout)
        let hyper = configuration.regularisation.resolve(rows: train.count)
        let hyperFixed: Bool
        if case .fixed = configuration.regularisation { hyperFixed = true } else { hyperFixed = false }

        // Candidates: each learner fitted on meta-train, then (unless disabled) its
        // temperature-calibrated variant, judged on cross-fitted validation probabilities.
        // Hyper-parameters are chosen inside meta-train (older part fits, newer part chooses),
        // never on the gate's validation rows: see `MetaLearnerFitInput`.
        let inner = ChronologicalSplit(timestamps: train.eventTimes, exitTimestamps: train.exitTimes, trainFraction: Self.selectionFraction)
        let selectionTrain = train.subset(inner.train), selectionValid = train.subset(inner.test)
        // `diverseSelection`: the greedy selection on meta-train rows only (never the gate's rows)
        // decides which base models' columns the learners see; fits read masked rows and every
        // fitted learner is wrapped so it predicts on the same masked rows.
        let greedy = configuration.diverseSelection ? Self.greedySelection(train) : nil
        let modelSelection = greedy.flatMap { ModelSelection(selected: $0.selected, layout: layout) }.flatMap { $0.keepsEveryModel ? nil : $0 }
        let fitTrain = modelSelection?.masking(train) ?? train
        let fitSelectionTrain = modelSelection?.masking(selectionTrain) ?? selectionTrain
        let fitSelectionValid = modelSelection?.masking(selectionValid) ?? selectionValid
        // The best single model on the meta-train rows: a baseline, and what `mixBestSingle` mixes in.
        let best = Baselines.bestSingleModel(trainRows: train, metric: configuration.metric)
        let bestName = "best single (\(rows.models[best]))"
        var candidates: [TrainedCandidate] = []
        var validationProbabilities: [String: Matrix] = [:]
        var comparison: [MethodScore] = []
        var overfitting: [OverfittingCheck] = []
        for kind in kinds {
            guard let learner = MetaLearnerRegistry.learner(named: kind.learner) else {
                throw TrainingError.invalidConfiguration("unknown learner '\(kind.learner)' (registered: \(MetaLearnerRegistry.names.joined(separator: ", ")))")
            }
            if TrainingCancellation.isCurrentCancelled { throw TrainingError.cancelled }
            let fs = kind.featureSet, f = fs.columnCount(layout)
            let input = MetaLearnerFitInput(train: fitSelectionTrain, validation: fitSelectionValid, featureSet: fs, configuration: configuration,
                                            hyperparameters: hyper, hyperparametersFixed: hyperFixed, refitRows: fitTrain)
            let fitted = Self.restricted(try learner.fit(input), to: modelSelection)
            let Xtr = input.finalFeatures
            let importance = try fitted.featureImportance(trainFeatures: Xtr)
            let names = fs.names(layout)
            let perModel = normalised(fs.modelColumnGroups(layout).map { g in g.reduce(0.0) { $0 + importance.values[$1] } })
            let base = "\(learner.displayName) (\(fs.tag), F=\(f))"
            let trainP = try fitted.predictProbabilities(features: Xtr)
            var validP = try fitted.predictProbabilities(features: valid.features)
            if !olderFolds.isEmpty {
                validP = try Self.pooledPredictions(newest: validP, newestRows: newestRows, olderFolds: olderFolds, learner: learner,
                                                    featureSet: fs, configuration: configuration, hyperparameters: hyper,
                                                    hyperparametersFixed: hyperFixed, modelSelection: modelSelection)
            }
            var variants: [(name: String, combiner: any FittedMetaLearner, trainP: Matrix, validP: Matrix)] = [(base, fitted, trainP, validP)]
            if configuration.calibrate, let cal = Self.crossFittedTemperature(validP, labels: valid.labels) {
                variants.append(("\(base) + temperature", CalibratedCombiner(inner: fitted, calibration: cal.served),
                                 cal.served.apply(trainP), cal.crossFitted))
            }
            if configuration.isotonicCalibration, let cal = Self.crossFittedIsotonic(validP, labels: valid.labels) {
                variants.append(("\(base) + isotonic", IsotonicCalibratedCombiner(inner: fitted, calibrator: cal.served),
                                 cal.served.apply(trainP), cal.crossFitted))
            }
            // The learner mixed with the best single model, its weight fitted on the validation rows
            // and judged cross-fitted; only a proper mixture (0 < w < 1) is a new candidate.
            if configuration.mixBestSingle,
               let mix = BestSingleMixture.crossFitted(learner: validP, single: Baselines.single(valid, model: best), labels: valid.labels,
                                                       minimumRows: minimumCalibrationRows),
               mix.weight > 0, mix.weight < 1 {
                let trainSingle = Baselines.single(train, model: best)
                var mixedTrainP = trainP
                for i in 0..<trainP.rows { for c in 0..<k { mixedTrainP[i, c] = mix.weight * trainP[i, c] + (1 - mix.weight) * trainSingle[i, c] } }
                variants.append(("\(base) + \(bestName) mixture", BestSingleMixtureCombiner(inner: fitted, learnerWeight: mix.weight, model: best),
                                 mixedTrainP, mix.crossFitted))
            }
            for v in variants {
                let trainLL = Metrics.logLoss(probabilities: v.trainP, labels: train.labels)
                validationProbabilities[v.name] = v.validP
                let score = MethodScore(name: v.name, role: .candidate, validation: report(v.validP), trainLogLoss: trainLL)
                comparison.append(score)
                overfitting.append(OverfittingCheck(method: v.name, trainLogLoss: trainLL, validationLogLoss: score.validation.logLoss,
                                                    threshold: configuration.overfittingThreshold))
                candidates.append(TrainedCandidate(
                    name: v.name, kind: kind, combiner: v.combiner, importanceType: importance.type,
                    featureImportance: zip(names, normalised(importance.values)).map { NamedWeight(name: $0, weight: $1) },
                    modelWeights: zip(rows.models, perModel).map { NamedWeight(name: $0, weight: $1) }))
            }
        }

        // Baselines, on the same validation rows.
        for m in rows.models.indices {
            comparison.append(MethodScore(name: "single:\(rows.models[m])", role: .baseline, validation: report(Baselines.single(valid, model: m))))
        }
        comparison.append(MethodScore(name: bestName, role: .baseline, validation: report(Baselines.single(valid, model: best))))
        comparison.append(MethodScore(name: averagingName, role: .baseline, validation: report(Baselines.averaging(valid))))
        if let w = configuration.blendWeights {
            comparison.append(MethodScore(name: "fixed-weight blend", role: .baseline, validation: report(Baselines.blend(valid, weights: w))))
        }
        // The class prior: add-one smoothed meta-train label frequencies (labels known before the cut).
        // Over pooled folds, each fold's rows get the prior of that fold's meta-train.
        let prior = PriorShrinkageCombiner.smoothedPrior(labels: train.labels, classCount: k)
        var rowPriors: [[Double]] = []
        for fold in olderFolds {
            let p = PriorShrinkageCombiner.smoothedPrior(labels: fold.train.labels, classCount: k)
            rowPriors += Array(repeating: p, count: fold.validation.count)
        }
        rowPriors += Array(repeating: prior, count: newestRows.count)
        let validAverage = Baselines.averaging(valid)
        func shrunk(_ w: Double) -> Matrix {
            var p = Matrix(rows: valid.count, cols: k)
            for i in 0..<valid.count { for c in 0..<k { p[i, c] = w * validAverage[i, c] + (1 - w) * rowPriors[i][c] } }
            return p
        }
        let priorScore = MethodScore(name: classPriorName, role: .baseline, validation: report(shrunk(0)))
        comparison.append(priorScore)
        let maj = Baselines.alwaysMajority(trainLabels: train.labels, classCount: k, rows: valid.count)
        let classNames = k == 3 ? ["short", "neutral", "long"] : (0..<k).map { "class \($0)" }
        comparison.append(MethodScore(name: "always \(classNames[maj.classIndex])", role: .baseline, validation: report(maj.matrix)))
        // Over pooled folds a learned champion is scored on the newest fold only: it (or its gated
        // twin) was fitted on rows the older folds validate on. A champion that serves a fallback
        // baseline (averaging, a prior blend, one model alone) learned nothing from those rows and
        // is scored on the pooled rows like the baselines.
        var championScore: MethodScore?
        let judgeChampionOnNewest = pooledFolds > 1 && champion.map { !Self.servesAFallback($0.combiner, modelCount: rows.models.count) } ?? false
        let newestValid = judgeChampionOnNewest ? valid.subset(Array(newestRows)) : valid
        func newestReport(_ P: Matrix) -> EvaluationReport {
            EvaluationReport(probabilities: judgeChampionOnNewest ? P.selectingRows(Array(newestRows)) : P, labels: newestValid.labels,
                             forwardReturns: newestValid.forwardReturns, horizon: horizon)
        }
        if let champion {
            let s = MethodScore(name: champion.name, role: .champion,
                                validation: EvaluationReport(probabilities: evaluate(champion.combiner, on: newestValid), labels: newestValid.labels,
                                                             forwardReturns: newestValid.forwardReturns, horizon: horizon))
            comparison.append(s)
            championScore = s
        }

        // Selection.
        let metric = configuration.metric
        var bestCandidate: MethodScore?
        for s in comparison where s.role == .candidate {
            if bestCandidate == nil || metric.isBetter(metric.value(s.validation), than: metric.value(bestCandidate!.validation)) {
                bestCandidate = s
            }
        }
        let avgScore = comparison.first { $0.name == averagingName }!
        let bestScore = comparison.first { $0.name == bestName }!
        let candidateOverfit = overfitting.first { $0.method == bestCandidate?.name }?.isOverfitting ?? false
        func metricScore(_ s: MethodScore) -> MetricScore { MetricScore(name: s.name, value: metric.value(s.validation)) }
        // The scores the champion is judged against: the same rows as the champion's.
        var championGate = GateScores(candidate: bestCandidate.map(metricScore), averaging: metricScore(avgScore),
                                      bestSingle: metricScore(bestScore), classPrior: metricScore(priorScore))
        var decision: PromotionDecision
        if !judgeChampionOnNewest {
            decision = PromotionRule.decide(
                candidate: bestCandidate.map(metricScore), averaging: metricScore(avgScore), bestSingle: metricScore(bestScore),
                champion: championScore.map(metricScore), metric: metric, candidateOverfitting: candidateOverfit,
                classPrior: metricScore(priorScore))
        } else {
            func newestScore(_ name: String, _ P: Matrix) -> MetricScore {
                MetricScore(name: name, value: metric.value(newestReport(P)))
            }
            championGate = GateScores(
                candidate: bestCandidate.flatMap { c in validationProbabilities[c.name].map { newestScore(c.name, $0) } },
                averaging: newestScore(averagingName, validAverage), bestSingle: newestScore(bestName, Baselines.single(valid, model: best)),
                classPrior: newestScore(classPriorName, shrunk(0)))
            decision = PromotionRule.decideOverFolds(
                pooled: GateScores(candidate: bestCandidate.map(metricScore), averaging: metricScore(avgScore),
                                   bestSingle: metricScore(bestScore), classPrior: metricScore(priorScore)),
                newestFold: championGate, champion: championScore.map(metricScore), metric: metric,
                candidateOverfitting: candidateOverfit)
        }
        if pooledFolds > 1 { decision.reason = "over \(pooledFolds) rolling-origin folds (\(valid.count) validation rows): " + decision.reason }
        if decision.chosen == .candidate, metric == .logLoss, configuration.minImprovementZ > 0,
           let p = validationProbabilities[decision.chosenName] {
            let z = PromotionRule.improvementZ(candidateLosses: Self.rowLosses(p, valid.labels),
                                               averagingLosses: Self.rowLosses(Baselines.averaging(valid), valid.labels))
            if z < configuration.minImprovementZ {
                let why = "\(decision.chosenName) beats the baselines on log_loss but not significantly "
                    + "(z = \(String(format: "%.2f", z)) < \(configuration.minImprovementZ) over \(valid.count) validation rows)"
                decision = PromotionRule.keepChampionOrFallBack(why, champion: championScore.map(metricScore), averaging: championGate.averaging,
                                                                bestSingle: championGate.bestSingle, classPrior: championGate.classPrior,
                                                                metric: metric)
            }
        }
        // The fallback is the best baseline on the validation rows: averaging, its blends with the
        // prior, the prior, or the best single model (ties keep the earlier, simpler one in that
        // order): never a baseline known to be worse.
        var fallbackWeight = 1.0, fallbackIsBestSingle = false
        if decision.chosen == .averaging {
            var bestValue = metric.value(avgScore.validation)
            var scores: [String] = ["\(averagingName) \(String(format: "%.4f", bestValue))"]
            for w in PriorShrinkageCombiner.weightGrid.reversed() where w < 1 {
                let v = metric.value(w == 0 ? priorScore.validation : report(shrunk(w)))
                scores.append("\(Self.fallbackName(w)) \(String(format: "%.4f", v))")
                if metric.isBetter(v, than: bestValue) { bestValue = v; fallbackWeight = w }
            }
            let singleValue = metric.value(bestScore.validation)
            scores.append("\(bestName) \(String(format: "%.4f", singleValue))")
            if metric.isBetter(singleValue, than: bestValue) { bestValue = singleValue; fallbackIsBestSingle = true }
            let name = fallbackIsBestSingle ? bestName : Self.fallbackName(fallbackWeight)
            if !fallbackIsBestSingle, fallbackWeight > 0, fallbackWeight < 1 {
                comparison.append(MethodScore(name: name, role: .baseline, validation: report(shrunk(fallbackWeight))))
            }
            decision.chosenName = name
            decision.reason += "; serving \(name), the best fallback on \(metric.rawValue) over the validation rows ("
                + scores.joined(separator: ", ") + ")"
            // A champion that already serves the best single model alone is that fallback: keep it
            // rather than install the same predictor again under a new version.
            if fallbackIsBestSingle, let serving = champion?.combiner as? FittedBlendCombiner, serving.priorWeight == 0,
               serving.modelWeights == (0..<rows.models.count).map({ $0 == best ? 1.0 : 0.0 }) {
                decision.chosen = .champion
                decision.chosenName = champion!.name
                decision.reason += "; \(champion!.name) already serves it: kept"
            }
        }
        if kinds.isEmpty { decision.reason = "ensemble-method rule: \(methodReason); " + decision.reason }
        let gatedCandidate = decision.chosen == .candidate ? candidates.first { $0.name == decision.chosenName } : nil
        var chosenCandidate = gatedCandidate
        if let gated = gatedCandidate {
            chosenCandidate = try Self.refittedOnAllRows(gated, rows: rows, selectionTrain: selectionTrain, selectionValid: selectionValid,
                                                         configuration: configuration, hyperparameters: hyper, hyperparametersFixed: hyperFixed,
                                                         modelSelection: modelSelection)
            decision.reason += "; served refitted on all \(rows.count) window rows"
        }
        let version = max(configuration.modelVersion, 1)
        let chosen: any MetaCombiner
        switch decision.chosen {
        case .candidate: chosen = chosenCandidate!.combiner
        case .champion: chosen = champion!.combiner
        case .averaging:
            if fallbackIsBestSingle {
                chosen = FittedBlendCombiner(
                    modelWeights: rows.models.indices.map { $0 == best ? 1 : 0 }, priorWeight: 0, prior: prior, layout: layout, version: version,
                    fitSummary: LearnerFitSummary(hyperparameters: [:], selection: "\(bestName) served alone (weight 1): "
                                                  + "the best fallback on \(metric.rawValue) over the validation rows"))
            } else if fallbackWeight < 1 {
                chosen = PriorShrinkageCombiner(modelCount: rows.models.count, classCount: k, averagingWeight: fallbackWeight, prior: prior,
                                                version: version)
            } else {
                chosen = AveragingCombiner(modelCount: rows.models.count, classCount: k)
            }
        }
        let diagnosis = FailureDiagnosis.diagnose(DiagnosisInput(
            trainRows: train.count, modelCount: rows.models.count, diversity: configuration.baseModelDiversity,
            overfitting: overfitting, candidateLogLoss: bestCandidate?.validation.logLoss, candidateF1: bestCandidate?.validation.f1Macro,
            candidateClassShares: bestCandidate.map { [$0.validation.fracShort, 1 - $0.validation.fracShort - $0.validation.fracLong, $0.validation.fracLong] },
            averagingLogLoss: avgScore.validation.logLoss, averagingF1: avgScore.validation.f1Macro,
            bestSingleLogLoss: bestScore.validation.logLoss, bestSingleF1: bestScore.validation.f1Macro))

        var outcome = TrainingOutcome(
            horizon: horizon, models: rows.models, layout: layout, trainRows: train.count, validationRows: valid.count,
            purgedRows: split.purged, cutTimestamp: split.cutTimestamp, ensembleMethod: method, ensembleMethodReason: methodReason,
            hyperparameters: hyper, metric: metric, bestSingleModel: rows.models[best], comparison: comparison,
            candidates: candidates, candidateName: bestCandidate?.name, overfitting: overfitting, decision: decision,
            diagnosis: diagnosis, chosen: chosen, chosenCandidate: chosenCandidate, gatedCandidate: gatedCandidate)
        outcome.appliedSelection = greedy.map { g in
            AppliedModelSelection(selection: g, selectedModels: modelSelection?.selected ?? rows.models, rows: train.count)
        }
        return outcome
    }

    /// The library's greedy diverse selection on `rows` (the meta-train rows), seeded with the
    /// model of lowest log-loss on them; nil with fewer than two models or no rows.
    static func greedySelection(_ rows: TrainingRows) -> GreedyDiverseSelection? {
        guard rows.models.count >= 2, rows.count > 0 else { return nil }
        let seedScores = rows.models.indices.map { m in
            -GreedyDiverseSelection.averageLogLoss(rows.basePredictions, labels: rows.labels, members: [m], classes: rows.classCount)
        }
        return GreedyDiverseSelection(rows.basePredictions, labels: rows.labels, models: rows.models, seedScores: seedScores)
    }

    /// `fitted`, seeing only the selection's models when there is one.
    static func restricted(_ fitted: any FittedMetaLearner, to selection: ModelSelection?) -> any FittedMetaLearner {
        selection.map { ModelSelectionCombiner(inner: fitted, selection: $0) } ?? fitted
    }

    /// The promoted candidate refitted for serving on every row of the window (meta-train, the
    /// purged rows and validation), with the hyper-parameters chosen exactly as for the gated fit
    /// (same selection rows, so the same choice) and, for a calibrated or mixed candidate, the same
    /// temperature, maps or mixture weight.
    ///
    /// Why: the gate judges a model fitted without the validation rows — the only honest
    /// estimate — but the newest 20 % of the window is the most relevant data for the rows served
    /// next, and a walk-forward reference refits on all earlier rows. Every row of a retrain
    /// window is labelled before the retrain's apply time, so nothing served is fitted on the
    /// future. Importance and model weights are those of the served (refitted) model.
    static func refittedOnAllRows(_ gated: TrainedCandidate, rows: TrainingRows, selectionTrain: TrainingRows, selectionValid: TrainingRows,
                                  configuration: TrainingConfiguration, hyperparameters: LearnerHyperparameters,
                                  hyperparametersFixed: Bool, modelSelection: ModelSelection? = nil) throws -> TrainedCandidate {
        let mask = { (r: TrainingRows) in modelSelection?.masking(r) ?? r }
        guard let learner = MetaLearnerRegistry.learner(named: gated.kind.learner) else { return gated }
        if TrainingCancellation.isCurrentCancelled { throw TrainingError.cancelled }
        let fs = gated.kind.featureSet, layout = rows.layout
        let input = MetaLearnerFitInput(train: mask(selectionTrain), validation: mask(selectionValid), featureSet: fs,
                                        configuration: configuration, hyperparameters: hyperparameters,
                                        hyperparametersFixed: hyperparametersFixed, refitRows: mask(rows))
        let refit = Self.restricted(try learner.fit(input), to: modelSelection)
        let importance = try refit.featureImportance(trainFeatures: input.finalFeatures)
        let perModel = normalised(fs.modelColumnGroups(layout).map { g in g.reduce(0.0) { $0 + importance.values[$1] } })
        var served = gated
        if let calibrated = gated.combiner as? CalibratedCombiner {
            served.combiner = CalibratedCombiner(inner: refit, calibration: calibrated.calibration)
        } else if let calibrated = gated.combiner as? IsotonicCalibratedCombiner {
            served.combiner = IsotonicCalibratedCombiner(inner: refit, calibrator: calibrated.calibrator)
        } else if let mixed = gated.combiner as? BestSingleMixtureCombiner {
            served.combiner = BestSingleMixtureCombiner(inner: refit, learnerWeight: mixed.learnerWeight, model: mixed.model)
        } else {
            served.combiner = refit
        }
        served.importanceType = importance.type
        served.featureImportance = zip(fs.names(layout), normalised(importance.values)).map { NamedWeight(name: $0, weight: $1) }
        served.modelWeights = zip(rows.models, perModel).map { NamedWeight(name: $0, weight: $1) }
        return served
    }

    /// A candidate's pooled out-of-sample probabilities over the rolling-origin folds: each older
    /// fold fitted on its own purged meta-train (hyper-parameters chosen inside it, as for the
    /// newest fold) and predicting its own slice, then the newest fold's `newest` predictions.
    static func pooledPredictions(newest: Matrix, newestRows: Range<Int>, olderFolds: [(train: TrainingRows, validation: TrainingRows)],
                                  learner: any MetaLearner, featureSet: MetaFeatureSet, configuration: TrainingConfiguration,
                                  hyperparameters: LearnerHyperparameters, hyperparametersFixed: Bool,
                                  modelSelection: ModelSelection? = nil) throws -> Matrix {
        let olderFolds = olderFolds.map { f in (train: modelSelection?.masking(f.train) ?? f.train, validation: f.validation) }
        var out = Matrix(rows: newestRows.upperBound, cols: newest.cols)
        var at = 0
        for fold in olderFolds {
            if TrainingCancellation.isCurrentCancelled { throw TrainingError.cancelled }
            let inner = ChronologicalSplit(timestamps: fold.train.eventTimes, exitTimestamps: fold.train.exitTimes,
                                           trainFraction: selectionFraction)
            let input = MetaLearnerFitInput(train: fold.train.subset(inner.train), validation: fold.train.subset(inner.test),
                                            featureSet: featureSet, configuration: configuration, hyperparameters: hyperparameters,
                                            hyperparametersFixed: hyperparametersFixed, refitRows: fold.train)
            let P = try restricted(learner.fit(input), to: modelSelection).predictProbabilities(features: fold.validation.features)
            for i in 0..<P.rows { for c in 0..<P.cols { out[at + i, c] = P[i, c] } }
            at += P.rows
        }
        for i in newestRows { for c in 0..<newest.cols { out[i, c] = newest[i, c] } }
        return out
    }

    /// Whether a champion serves one of the fallbacks (averaging, a prior-shrinkage blend, or one
    /// model alone as a one-hot blend): predictors with nothing fitted on the window's rows.
    static func servesAFallback(_ combiner: any MetaCombiner, modelCount: Int) -> Bool {
        if combiner is AveragingCombiner || combiner is PriorShrinkageCombiner { return true }
        if let blend = combiner as? FittedBlendCombiner, blend.priorWeight == 0,
           blend.modelWeights.filter({ $0 == 1 }).count == 1, blend.modelWeights.filter({ $0 == 0 }).count == modelCount - 1 {
            return true
        }
        return false
    }

    static func rowLosses(_ p: Matrix, _ labels: [Int]) -> [Double] {
        (0..<labels.count).map { -Foundation.log(max(p[$0, labels[$0]], 1e-15)) }
    }

    /// Display name of the averaging baseline.
    public static let averagingName = "simple average"
    /// Display name of the class-prior baseline.
    public static let classPriorName = "class prior"

    /// Display name of the fallback with averaging weight `w`.
    public static func fallbackName(_ w: Double) -> String {
        w == 0 ? classPriorName : w == 1 ? averagingName : "prior shrinkage (averaging weight \(w))"
    }

    /// Any combiner's probabilities over `rows`, through its per-row `combine` (every model present).
    public static func evaluate(_ combiner: any MetaCombiner, on rows: TrainingRows) -> Matrix {
        let k = rows.classCount, f = rows.features.cols, b = rows.basePredictions.cols
        let mask: UInt64 = rows.models.count >= 64 ? ~0 : (UInt64(1) << UInt64(rows.models.count)) - 1
        var out = Matrix(rows: rows.count, cols: k)
        out.withUnsafeMutableStorage { o in
            rows.basePredictions.storage.withUnsafeBufferPointer { bp in
                rows.features.storage.withUnsafeBufferPointer { fp in
                    for i in 0..<rows.count {
                        combiner.combine(basePredictions: UnsafeBufferPointer(rebasing: bp[(i * b)..<((i + 1) * b)]),
                                         features: UnsafeBufferPointer(rebasing: fp[(i * f)..<((i + 1) * f)]),
                                         presentMask: mask, into: UnsafeMutableBufferPointer(rebasing: o[(i * k)..<((i + 1) * k)]))
                    }
                }
            }
        }
        return out
    }

    /// The candidates to fit under the ensemble-method rule's choice.
    ///
    /// `weighted_average` (too few models or rows to learn a combination) fits only the fitted
    /// blend, a few simplex weights (nothing when no candidate is configured). `blending` fits the configured learners on the base
    /// probabilities only (the basic set): lower capacity, but the learner asked for is the one
    /// fitted, never silently another. `stacking` fits the configured candidates whose feature
    /// set the layout provides.
    public static func candidateKinds(method: EnsembleMethod, configured: [CandidateKind], layout: StackingFeatureLayout) -> [CandidateKind] {
        var kinds: [CandidateKind]
        switch method {
        case .weightedAverage: kinds = configured.isEmpty ? [] : [.blend]
        case .blending: kinds = configured.map { CandidateKind(learner: $0.learner, featureSet: .basic) }
        case .stacking: kinds = configured.filter { $0.featureSet.isAvailable(in: layout) }
        }
        var seen = Set<CandidateKind>()
        kinds = kinds.filter { seen.insert($0).inserted }
        return kinds
    }

    /// Share of meta-train (by time, the older part) learners fit on while choosing their
    /// hyper-parameters; the newer rest, purged, is what they choose on.
    public static let selectionFraction = 0.8

    /// Minimum validation rows per half for the cross-fitted temperature.
    public static let minimumCalibrationRows = 50

    /// The temperature of a candidate, fitted on its validation probabilities `P`.
    ///
    /// `served` is fitted on all validation rows (what is served). `crossFitted` are the
    /// validation probabilities the gate judges: the rows are split by time into two halves and
    /// each half is scaled with the temperature fitted on the other, so no row is judged with a
    /// temperature fitted on itself (fitting and judging on the same rows would be optimistic).
    /// nil with fewer than 2 × `minimumCalibrationRows` rows or when a fit fails.
    static func crossFittedTemperature(_ P: Matrix, labels: [Int]) -> (served: TemperatureScaling, crossFitted: Matrix)? {
        TimeHalvesCrossFit.crossFitted(
            rows: P.rows, cols: P.cols, minimumRows: minimumCalibrationRows,
            fit: { r in try? TemperatureScaling(fitting: P.selectingRows(Array(r)), labels: Array(labels[r])) },
            apply: { t, r in t.apply(P.selectingRows(Array(r))) })
    }

    /// Per-class isotonic maps on validation probabilities `P`, as `crossFittedTemperature`: the
    /// maps served are fitted on all rows; the gate judges each time half calibrated by the maps
    /// fitted on the other half (never by maps that saw the row).
    static func crossFittedIsotonic(_ P: Matrix, labels: [Int]) -> (served: IsotonicCalibrator, crossFitted: Matrix)? {
        TimeHalvesCrossFit.crossFitted(
            rows: P.rows, cols: P.cols, minimumRows: minimumCalibrationRows,
            fit: { r in try? IsotonicCalibrator(fitting: P.selectingRows(Array(r)), labels: Array(labels[r])) },
            apply: { m, r in m.apply(P.selectingRows(Array(r))) })
    }

    static func normalised(_ v: [Double]) -> [Double] {
        let t = v.reduce(0, +)
        return t > 0 ? v.map { $0 / t } : v.map { _ in v.isEmpty ? 0 : 1 / Double(v.count) }
    }
}
