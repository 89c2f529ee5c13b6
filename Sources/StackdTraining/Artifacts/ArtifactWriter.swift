import Foundation
import StackdCore
import StackdLearning

/// Writes a training outcome as artifacts: `hN/` per horizon and `ensemble_summary.json`.
///
/// Each file is replaced atomically. `model.json` is written before `meta_config.json`; a crash in
/// between leaves an old config beside a new model, which the loader's cross-checks (kind,
/// horizon, features, classes) refuse rather than serve.
public enum ArtifactWriter {
    /// Writes one horizon's directory under `root`; returns the paths written.
    @discardableResult
    public static func write(_ o: TrainingOutcome, to root: String) throws -> [String] {
        try write(o, directory: (root as NSString).appendingPathComponent(ArtifactSchema.horizonDirectory(o.horizon)))
    }

    /// Writes one horizon's files directly into `dir` (not `dir/hN/`); used by the model store,
    /// whose version directories hold the same files. Returns the paths written.
    @discardableResult
    ///
    /// - Parameter mode: of the files (`AtomicFile.publicMode` for `stackd train` outputs,
    ///   `privateMode` for the daemon's model store, whose directories are then 0700).
    public static func write(_ o: TrainingOutcome, directory dir: String, mode: mode_t = AtomicFile.publicMode) throws -> [String] {
        try AtomicFile.createDirectories(dir, mode: mode == AtomicFile.privateMode ? 0o700 : 0o755)
        func path(_ f: String) -> String { (dir as NSString).appendingPathComponent(f) }
        let v = ArtifactSchema.version
        let k = o.layout.classCount

        let (format, featureSet, modelBytes) = try modelDocument(o.chosen, horizon: o.horizon, models: o.models,
                                                                 layout: o.layout, file: path(ArtifactSchema.model))
        let names = featureSet?.names(o.layout) ?? []
        let config = MetaConfigDocument(
            schemaVersion: v, horizon: o.horizon, method: o.chosen.method.name, combinerVersion: o.chosen.version,
            modelFormat: format, featureSet: featureSet, featureNames: names, featureCount: names.count, classCount: k,
            models: o.models, layoutIncludesRegimes: o.layout.includesRegimes, layoutSkillWindow: o.layout.skillWindow,
            hyperparameters: servedHyperparameters(o),
            ensembleMethod: o.ensembleMethod, ensembleMethodReason: o.ensembleMethodReason, promotionMetric: o.metric,
            decision: o.decision, trainRows: o.trainRows, validationRows: o.validationRows, purgedRows: o.purgedRows,
            cutTimestampNs: o.cutTimestamp,
            learnerHyperparameters: (o.chosen as? any FittedMetaLearner).map { ($0 as? CalibratedCombiner)?.inner.fitSummary ?? $0.fitSummary }?.hyperparameters,
            hyperparameterSelection: (o.chosen as? any FittedMetaLearner)?.fitSummary.selection,
            calibration: CalibrationDocument.of(o.chosen, fittedRows: o.validationRows),
            selectedModels: selectedModels(o.chosen),
            bestSingleMixture: BestSingleMixtureDocument.of(o.chosen, fittedRows: o.validationRows))
        let importance = FeatureImportanceDocument(
            schemaVersion: v, horizon: o.horizon, chosen: o.decision.chosenName,
            candidates: o.candidates.map {
                .init(method: $0.name, featureSet: $0.kind.featureSet, importanceType: $0.importanceType, features: $0.featureImportance)
            })
        let equal = o.models.map { NamedWeight(name: $0, weight: 1 / Double(o.models.count)) }
        let weights = ModelWeightsDocument(
            schemaVersion: v, horizon: o.horizon, chosen: o.decision.chosenName,
            weights: o.chosenCandidate?.modelWeights ?? (o.chosen as? WeightedAverageCombiner).map { w in
                let t = w.weights.reduce(0, +)
                return zip(o.models, w.weights).map { NamedWeight(name: $0, weight: $1 / t) }
            } ?? equal,
            candidates: o.candidates.map { .init(method: $0.name, weights: $0.modelWeights) })
        let f = ArtifactCoding.finite
        let metrics = TrainingMetricsDocument(
            schemaVersion: v, horizon: o.horizon, promotionMetric: o.metric, trainRows: o.trainRows,
            validationRows: o.validationRows, purgedRows: o.purgedRows, bestSingleModel: o.bestSingleModel,
            methods: o.comparison.map { s in
                let r = s.validation
                return .init(method: s.name, role: s.role, rows: r.rows, trainLogLoss: s.trainLogLoss.flatMap(f),
                             f1Macro: f(r.f1Macro), accuracy: f(r.accuracy), logLoss: f(r.logLoss), brier: f(r.brier),
                             sharpe: f(r.sharpe), informationCoefficient: f(r.informationCoefficient), winRate: f(r.winRate),
                             ece: r.ece.map(f), fracShort: f(r.fracShort), fracLong: f(r.fracLong))
            },
            overfitting: o.overfitting, decision: o.decision, diagnosis: o.diagnosis)

        let files: [(String, [UInt8])] = [
            (ArtifactSchema.model, modelBytes),
            (ArtifactSchema.metaConfig, try ArtifactCoding.encode(config)),
            (ArtifactSchema.featureImportance, try ArtifactCoding.encode(importance)),
            (ArtifactSchema.modelWeights, try ArtifactCoding.encode(weights)),
            (ArtifactSchema.trainingMetrics, try ArtifactCoding.encode(metrics)),
        ]
        var written = files
        if let diversity = o.diversity { written.append((ArtifactSchema.diversityAnalysis, try ArtifactCoding.encode(diversity))) }
        for (name, bytes) in written { try AtomicFile.write(bytes, to: path(name), mode: mode) }
        return written.map { path($0.0) }
    }

    /// The run's hyper-parameters with the served learner's own choices in place (its C, or its
    /// tree depth and count), so `hyperparameters` never contradicts `learner_hyperparameters`.
    static func servedHyperparameters(_ o: TrainingOutcome) -> LearnerHyperparameters {
        var h = o.hyperparameters
        guard let chosen = o.chosen as? any FittedMetaLearner else { return h }
        let p = chosen.fitSummary.hyperparameters
        if let c = p["c"], c > 0 { h.logisticC = c }
        if let d = p["depth"], d >= 1, d <= 64 { h.treeDepth = Int(d) }
        if let t = p["trees"], t >= 1, t <= 1e6 { h.treeEstimators = Int(t) }
        return h
    }

    /// The models a learner restricted by `ModelSelectionCombiner` sees (under any wrappers);
    /// nil for any other combiner.
    static func selectedModels(_ combiner: any MetaCombiner) -> [String]? {
        (combiner as? any FittedMetaLearner)?.firstInChain(as: ModelSelectionCombiner.self)?.selection.selected
    }

    /// The `model.json` bytes of a combiner, with its format and feature set.
    static func modelDocument(_ combiner: any MetaCombiner, horizon: Int, models: [String], layout: StackingFeatureLayout,
                              file: String) throws -> (ModelFormat, MetaFeatureSet?, [UInt8]) {
        let v = ArtifactSchema.version
        let k = layout.classCount
        let format: ModelFormat
        let featureSet: MetaFeatureSet?
        let modelBytes: [UInt8]
        switch combiner {
        case let c as any MetaLearnerWrapper:
            // A wrapper's own part is recorded in `meta_config.json`; `model.json` is the learner's.
            return try modelDocument(c.inner, horizon: horizon, models: models, layout: layout, file: file)
        case let l as any FittedMetaLearner:
            guard let learner = MetaLearnerRegistry.learner(named: l.learnerName) else {
                throw ArtifactError(file: file, message: "learner '\(l.learnerName)' is not registered")
            }
            format = learner.modelFormat
            featureSet = l.featureSet
            modelBytes = try l.encodeModel(horizon: horizon, models: models)
        case let w as WeightedAverageCombiner:
            format = .average
            featureSet = nil
            modelBytes = try ArtifactCoding.encode(AverageModelDocument(schemaVersion: v, kind: .average, horizon: horizon,
                                                                        models: models, classCount: k, weights: w.weights))
        case let p as PriorShrinkageCombiner:
            format = .priorShrinkage
            featureSet = nil
            modelBytes = try ArtifactCoding.encode(PriorShrinkageModelDocument(
                schemaVersion: v, kind: .priorShrinkage, horizon: horizon, models: models, classCount: k,
                averagingWeight: p.averagingWeight, prior: p.prior))
        case is AveragingCombiner:
            format = .average
            featureSet = nil
            modelBytes = try ArtifactCoding.encode(AverageModelDocument(
                schemaVersion: v, kind: .average, horizon: horizon, models: models, classCount: k,
                weights: [Double](repeating: 1 / Double(models.count), count: models.count)))
        default:
            throw ArtifactError(file: file, message: "cannot serialise a \(type(of: combiner)) combiner")
        }
        return (format, featureSet, modelBytes)
    }

    /// Writes the minimal set that reloads a combiner without its training evidence —
    /// `model.json` then `meta_config.json` — directly into `dir`. The training fields of
    /// `meta_config.json` (rows, metric, decision) are placeholders: zero rows, `reason` as the
    /// decision's reason. Returns the paths written.
    @discardableResult
    public static func writeModel(_ combiner: any MetaCombiner, horizon: Int, layout: StackingFeatureLayout,
                                  reason: String, directory dir: String, mode: mode_t = AtomicFile.publicMode) throws -> [String] {
        try AtomicFile.createDirectories(dir, mode: mode == AtomicFile.privateMode ? 0o700 : 0o755)
        func path(_ f: String) -> String { (dir as NSString).appendingPathComponent(f) }
        let (format, featureSet, modelBytes) = try modelDocument(combiner, horizon: horizon, models: layout.models,
                                                                 layout: layout, file: path(ArtifactSchema.model))
        let names = featureSet?.names(layout) ?? []
        let learned = featureSet != nil
        let c = (combiner as? any FittedMetaLearner)?.firstInChain(as: LogisticCombiner.self)?.model.C
            ?? LearnerHyperparameters.logisticC(rows: 0)
        let shape = LearnerHyperparameters.treeShape(rows: 0)
        let config = MetaConfigDocument(
            schemaVersion: ArtifactSchema.version, horizon: horizon, method: combiner.method.name,
            combinerVersion: combiner.version, modelFormat: format, featureSet: featureSet, featureNames: names,
            featureCount: names.count, classCount: layout.classCount, models: layout.models,
            layoutIncludesRegimes: layout.includesRegimes, layoutSkillWindow: layout.skillWindow,
            hyperparameters: LearnerHyperparameters(logisticC: c, treeDepth: shape.depth, treeEstimators: shape.estimators),
            ensembleMethod: learned ? .stacking : .weightedAverage, ensembleMethodReason: "saved without a training outcome",
            promotionMetric: .logLoss,
            decision: PromotionDecision(chosen: learned ? .candidate : .averaging, chosenName: combiner.method.name, reason: reason),
            trainRows: 0, validationRows: 0, purgedRows: 0, cutTimestampNs: 0,
            learnerHyperparameters: (combiner as? any FittedMetaLearner)?.fitSummary.hyperparameters,
            hyperparameterSelection: (combiner as? any FittedMetaLearner)?.fitSummary.selection,
            calibration: CalibrationDocument.of(combiner, fittedRows: 0),
            selectedModels: selectedModels(combiner),
            bestSingleMixture: BestSingleMixtureDocument.of(combiner, fittedRows: 0))
        let files: [(String, [UInt8])] = [
            (ArtifactSchema.model, modelBytes),
            (ArtifactSchema.metaConfig, try ArtifactCoding.encode(config)),
        ]
        for (name, bytes) in files { try AtomicFile.write(bytes, to: path(name), mode: mode) }
        return files.map { path($0.0) }
    }

    /// Writes `ensemble_summary.json` for the given outcomes; returns its path.
    @discardableResult
    public static func writeSummary(_ outcomes: [TrainingOutcome], to root: String,
                                    diversity: DiversityReference? = nil) throws -> String {
        let p = (root as NSString).appendingPathComponent(ArtifactSchema.ensembleSummary)
        let doc = EnsembleSummaryDocument(
            schemaVersion: ArtifactSchema.version, models: outcomes.first?.models ?? [],
            horizons: outcomes.map { o in
                .init(horizon: o.horizon, directory: ArtifactSchema.horizonDirectory(o.horizon), chosen: o.decision.chosen,
                      chosenName: o.decision.chosenName, method: o.chosen.method.name, promotionMetric: o.metric,
                      metricValue: o.score(o.decision.chosenName).flatMap { ArtifactCoding.finite(o.metric.value($0.validation)) },
                      reason: o.decision.reason)
            },
            diversity: diversity)
        try AtomicFile.write(try ArtifactCoding.encode(doc), to: p)
        return p
    }
}
