import Foundation
import StackdCore
import StackdLearning

/// A horizon's served combiner, loaded and checked against what the daemon will feed it.
public struct LoadedArtifact: Sendable {
    public var config: MetaConfigDocument
    public var combiner: any MetaCombiner
}

/// Loads `hN/` artifacts, refusing anything that does not fit the running configuration.
///
/// A model that reads a different feature layout, horizon or model list would still produce
/// plausible probabilities, so every mismatch is an error naming the file, never a warning.
public enum ArtifactLoader {
    /// - Parameters:
    ///   - root: the directory `stackd train --out` wrote.
    ///   - horizon: the horizon the caller will serve.
    ///   - layout: the feature layout the caller will pass to `combine` (models, classes, regimes).
    public static func load(root: String, horizon: Int, layout: StackingFeatureLayout) throws -> LoadedArtifact {
        try load(directory: (root as NSString).appendingPathComponent(ArtifactSchema.horizonDirectory(horizon)),
                 horizon: horizon, layout: layout)
    }

    /// Loads the files of one horizon from `dir` itself (not `dir/hN/`), with the same checks;
    /// used by the model store, whose version directories hold the same files.
    public static func load(directory dir: String, horizon: Int, layout: StackingFeatureLayout) throws -> LoadedArtifact {
        let configPath = (dir as NSString).appendingPathComponent(ArtifactSchema.metaConfig)
        let modelPath = (dir as NSString).appendingPathComponent(ArtifactSchema.model)
        let configBytes = try AtomicFile.read(configPath)
        try ArtifactCoding.checkSchemaVersion(configBytes, file: configPath)
        let config = try ArtifactCoding.decode(MetaConfigDocument.self, from: configBytes, file: configPath)
        func refuse(_ file: String, _ message: String, _ reason: ArtifactRefusalReason = .invalid) -> ArtifactError {
            ArtifactError(file: file, message: message, reason: reason)
        }
        guard config.horizon == horizon else { throw refuse(configPath, "horizon \(config.horizon), expected \(horizon)") }
        guard config.models == layout.models else {
            throw refuse(configPath, "models \(config.models), expected \(layout.models)")
        }
        guard config.classCount == layout.classCount else {
            throw refuse(configPath, "class count \(config.classCount), expected \(layout.classCount)")
        }
        if let fs = config.featureSet {
            guard fs.isAvailable(in: layout) else { throw refuse(configPath, "feature set \(fs.rawValue) needs regimes, which the layout lacks") }
            let expected = fs.names(layout)
            guard config.featureCount == expected.count else {
                throw refuse(configPath, "feature count \(config.featureCount), expected \(expected.count) for feature set \(fs.rawValue)")
            }
            guard config.featureNames == expected else { throw refuse(configPath, "feature names differ from the layout's") }
        }

        let modelBytes = try AtomicFile.read(modelPath)
        var combiner: any MetaCombiner
        switch config.modelFormat {
        case .average:
            try ArtifactCoding.checkSchemaVersion(modelBytes, file: modelPath)
            let m = try ArtifactCoding.decode(AverageModelDocument.self, from: modelBytes, file: modelPath)
            guard m.kind == .average, m.horizon == horizon, m.models == layout.models, m.classCount == layout.classCount,
                  m.weights.count == m.models.count else {
                throw refuse(modelPath, "does not match \(ArtifactSchema.metaConfig)")
            }
            try checkMagnitudes(m.weights, file: modelPath, what: "weights")
            guard m.weights.allSatisfy({ $0 >= 0 }), m.weights.reduce(0, +) > 0 else {
                throw refuse(modelPath, "weights must be non-negative with a positive sum", .values)
            }
            combiner = Set(m.weights).count == 1
                ? AveragingCombiner(modelCount: m.models.count, classCount: m.classCount)
                : WeightedAverageCombiner(weights: m.weights, classCount: m.classCount, version: config.combinerVersion)
        case .priorShrinkage:
            try ArtifactCoding.checkSchemaVersion(modelBytes, file: modelPath)
            let m = try ArtifactCoding.decode(PriorShrinkageModelDocument.self, from: modelBytes, file: modelPath)
            guard m.kind == .priorShrinkage, m.horizon == horizon, m.models == layout.models, m.classCount == layout.classCount,
                  m.averagingWeight.isFinite, m.averagingWeight >= 0, m.averagingWeight <= 1, m.prior.count == m.classCount,
                  m.prior.allSatisfy({ $0.isFinite && $0 >= 0 }), abs(m.prior.reduce(0, +) - 1) < 1e-9 else {
                throw refuse(modelPath, "does not match \(ArtifactSchema.metaConfig), or its weight is outside [0, 1] or its prior is not a probability vector")
            }
            combiner = PriorShrinkageCombiner(modelCount: m.models.count, classCount: m.classCount, averagingWeight: m.averagingWeight,
                                              prior: m.prior, version: config.combinerVersion)
        default:
            guard let learner = MetaLearnerRegistry.learner(format: config.modelFormat) else {
                throw refuse(configPath, "unknown model_format '\(config.modelFormat)' (this stackd reads \((MetaLearnerRegistry.learners.map(\.modelFormat.rawValue) + [ModelFormat.average.rawValue, ModelFormat.priorShrinkage.rawValue]).joined(separator: ", ")))")
            }
            guard let fs = config.featureSet else { throw refuse(configPath, "\(learner.name) model without a feature set") }
            var fitted = try learner.load(MetaLearnerLoadInput(modelBytes: modelBytes, file: modelPath, horizon: horizon, featureSet: fs,
                                                               featureNames: config.featureNames, layout: layout,
                                                               version: config.combinerVersion))
            if let selected = config.selectedModels {
                guard let selection = ModelSelection(selected: selected, layout: layout) else {
                    throw refuse(configPath, "selected_models \(selected) must be distinct models of \(layout.models), at least one", .values)
                }
                if !selection.keepsEveryModel { fitted = ModelSelectionCombiner(inner: fitted, selection: selection) }
            }
            if let cal = config.calibration, cal.method == "isotonic" {
                guard let maps = cal.classMaps, maps.count == layout.classCount,
                      maps.allSatisfy({ m in !m.xThresholds.isEmpty && m.xThresholds.count == m.yThresholds.count
                                         && zip(m.xThresholds, m.xThresholds.dropFirst()).allSatisfy { $0 < $1 }
                                         && zip(m.yThresholds, m.yThresholds.dropFirst()).allSatisfy { $0 <= $1 }
                                         && m.xThresholds.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 }
                                         && m.yThresholds.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 } }) else {
                    throw refuse(configPath, "isotonic calibration needs one map per class (\(layout.classCount)) (x increasing, y non-decreasing, both in [0, 1])", .values)
                }
                combiner = IsotonicCalibratedCombiner(inner: fitted, calibrator: IsotonicCalibrator(classMaps: maps))
            } else if let cal = config.calibration {
                guard cal.method == "temperature", cal.temperature.isFinite,
                      cal.temperature >= TemperatureScaling.minimumTemperature, cal.temperature <= TemperatureScaling.maximumTemperature else {
                    throw refuse(configPath, "calibration \(cal.method) with temperature \(cal.temperature): only temperature in [\(TemperatureScaling.minimumTemperature), \(TemperatureScaling.maximumTemperature)] is served", .values)
                }
                combiner = CalibratedCombiner(inner: fitted, calibration: TemperatureScaling(temperature: cal.temperature, classCount: layout.classCount))
            } else {
                combiner = fitted
            }
            if let mix = config.bestSingleMixture {
                guard let model = layout.models.firstIndex(of: mix.model), mix.learnerWeight.isFinite,
                      mix.learnerWeight >= 0, mix.learnerWeight <= 1, let learned = combiner as? any FittedMetaLearner else {
                    throw refuse(configPath, "best_single_mixture needs a model of \(layout.models) and a learner_weight in [0, 1], got \(mix.model) and \(mix.learnerWeight)", .values)
                }
                combiner = BestSingleMixtureCombiner(inner: learned, learnerWeight: mix.learnerWeight, model: model)
            }
        }
        return LoadedArtifact(config: config, combiner: combiner)
    }

    /// Largest magnitude accepted for a coefficient, intercept, regularisation constant or weight.
    ///
    /// Stacking features are probabilities, entropies and log-losses (order 1 to 40), so a learnt
    /// coefficient anywhere near this is not a model but damage (an edit, `-1e308`, a bit flip in
    /// an exponent): such values overflow the softmax into NaN or make one class certain. Huge
    /// but finite values are refused like non-finite ones (`1e999` parses as infinity).
    public static let maxMagnitude = 1e6

    /// Refuses a non-finite value or one beyond `maxMagnitude`, naming the first and its position.
    static func checkMagnitudes<C: Collection<Double>>(_ values: C, file: String, what: String) throws {
        for (i, v) in values.enumerated() where !v.isFinite || abs(v) > maxMagnitude {
            throw ArtifactError(file: file, message: "\(what): value #\(i) is \(v), \(v.isFinite ? "beyond ±\(maxMagnitude)" : "not finite"); refused",
                                reason: .values)
        }
    }

    /// Reads and checks `ensemble_summary.json`.
    public static func loadSummary(root: String) throws -> EnsembleSummaryDocument {
        let p = (root as NSString).appendingPathComponent(ArtifactSchema.ensembleSummary)
        let bytes = try AtomicFile.read(p)
        try ArtifactCoding.checkSchemaVersion(bytes, file: p)
        return try ArtifactCoding.decode(EnsembleSummaryDocument.self, from: bytes, file: p)
    }
}
