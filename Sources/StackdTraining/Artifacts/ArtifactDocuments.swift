import StackdCore
import StackdLearning

/// The JSON documents of a trained horizon, one type per file. Field names are snake_case on disk
/// (see `ArtifactCoding`) and every document carries `schema_version`, so a loader can refuse a
/// file written by a newer, incompatible stackd instead of misreading it.
public enum ArtifactSchema {
    /// Version written by and accepted by this build.
    public static let version = 1
    /// File names inside a horizon directory `hN/`.
    public static let model = "model.json"
    public static let metaConfig = "meta_config.json"
    public static let featureImportance = "feature_importance.json"
    public static let modelWeights = "model_weights.json"
    public static let trainingMetrics = "training_metrics.json"
    /// Top-level files.
    public static let ensembleSummary = "ensemble_summary.json"
    /// Per horizon (`hN/`, and each model-store version): the base models' diversity on the
    /// validation rows (`DiversityAnalysisDocument`), written by training and every retrain.
    public static let diversityAnalysis = "diversity_analysis.json"

    /// The directory name of a horizon.
    public static func horizonDirectory(_ h: Int) -> String { "h\(h)" }
}

/// How `model.json` is encoded: a string in `meta_config.json` (`model_format`).
///
/// Open rather than an enum: each `MetaLearner` names its own format, and the loader finds the
/// learner by it. The baseline formats (averaging, prior shrinkage) are the loader's own.
public struct ModelFormat: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(from decoder: Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
    public var description: String { rawValue }

    /// `LogisticModelDocument`.
    public static let logistic = ModelFormat(rawValue: "stackd-logistic")
    /// XGBoost's own JSON model format.
    public static let xgboostJSON = ModelFormat(rawValue: "xgboost-json")
    /// `BlendModelDocument`: fitted simplex weights over the base models (and the class prior).
    public static let blend = ModelFormat(rawValue: "stackd-blend")
    /// `AverageModelDocument`.
    public static let average = ModelFormat(rawValue: "stackd-average")
    /// `PriorShrinkageModelDocument`: the fallback blend of averaging and a class prior.
    public static let priorShrinkage = ModelFormat(rawValue: "stackd-prior-shrinkage")
}

/// `meta_config.json`: what the model is, what it reads, and why it was chosen.
public struct MetaConfigDocument: Sendable, Codable, Equatable {
    public var schemaVersion: Int
    public var horizon: Int
    /// `CombinationMethod.name` of the served combiner.
    public var method: String
    public var combinerVersion: UInt32
    public var modelFormat: ModelFormat
    /// Feature set of a learned model; nil for averaging.
    public var featureSet: MetaFeatureSet?
    public var featureNames: [String]
    public var featureCount: Int
    public var classCount: Int
    public var models: [String]
    public var layoutIncludesRegimes: Bool
    /// Rows of recent per-model skill in the training layout (0: none; absent in older artifacts).
    public var layoutSkillWindow: Int?
    public var hyperparameters: LearnerHyperparameters
    public var ensembleMethod: EnsembleMethod
    public var ensembleMethodReason: String
    public var promotionMetric: PromotionMetric
    public var decision: PromotionDecision
    public var trainRows: Int
    public var validationRows: Int
    public var purgedRows: Int
    public var cutTimestampNs: Int64
    /// The served learner's own hyper-parameters (`LearnerFitSummary`); absent for baselines
    /// and in older artifacts.
    public var learnerHyperparameters: [String: Double]? = nil
    /// How they were chosen, in one sentence.
    public var hyperparameterSelection: String? = nil
    /// The calibration applied to the learner's output; absent: none.
    public var calibration: CalibrationDocument? = nil
    /// The base models whose own columns the learner sees (`learner.diverse_selection`), in layout
    /// order; the others' columns are zeroed in every row it predicts. Absent: every model.
    public var selectedModels: [String]? = nil
    /// `learner.mix_best_single`: the learner's output is served mixed with the best single
    /// model's (`BestSingleMixtureCombiner`). Absent: not mixed.
    public var bestSingleMixture: BestSingleMixtureDocument? = nil
}

/// `meta_config.json` → `best_single_mixture`: served = w·learner + (1 − w)·model's vector.
public struct BestSingleMixtureDocument: Sendable, Codable, Equatable {
    /// The best single model (one of `models`).
    public var model: String
    /// w ∈ [0, 1], the learner's weight.
    public var learnerWeight: Double
    /// Validation rows w was fitted on (all of them; the gate judged it cross-fitted over two time halves).
    public var fittedRows: Int
    public init(model: String, learnerWeight: Double, fittedRows: Int) {
        self.model = model
        self.learnerWeight = learnerWeight
        self.fittedRows = fittedRows
    }

    /// The document of a served combiner's mixture, or nil when it has none.
    public static func of(_ combiner: any MetaCombiner, fittedRows: Int) -> BestSingleMixtureDocument? {
        guard let m = (combiner as? any FittedMetaLearner)?.firstInChain(as: BestSingleMixtureCombiner.self) else { return nil }
        return BestSingleMixtureDocument(model: m.layout.models[m.model], learnerWeight: m.learnerWeight, fittedRows: fittedRows)
    }
}

/// `meta_config.json` → `calibration`: temperature scaling or per-class isotonic maps of the
/// served learner's output.
public struct CalibrationDocument: Sendable, Codable, Equatable {
    /// `temperature`: q = softmax(ln p / T); `isotonic`: q_c ∝ m_c(p_c), one increasing map per class.
    public var method: String
    /// T (`temperature`); 1 for `isotonic` (no scaling).
    public var temperature: Double
    /// Validation rows it was fitted on (all of them; the gate judged it cross-fitted over two time halves).
    public var fittedRows: Int
    /// `isotonic`: one map per class (x and y thresholds, linear between, clipped outside).
    public var classMaps: [IsotonicRegression]? = nil
    public init(method: String = "temperature", temperature: Double, fittedRows: Int, classMaps: [IsotonicRegression]? = nil) {
        self.method = method
        self.temperature = temperature
        self.fittedRows = fittedRows
        self.classMaps = classMaps
    }

    /// The document of a served combiner's calibration, or nil when it has none.
    public static func of(_ combiner: any MetaCombiner, fittedRows: Int) -> CalibrationDocument? {
        if let t = combiner as? CalibratedCombiner { return CalibrationDocument(temperature: t.calibration.temperature, fittedRows: fittedRows) }
        if let i = combiner as? IsotonicCalibratedCombiner {
            return CalibrationDocument(method: "isotonic", temperature: 1, fittedRows: fittedRows, classMaps: i.calibrator.classMaps)
        }
        return nil
    }
}

/// `model.json` of a logistic meta-learner (raw feature units).
public struct LogisticModelDocument: Sendable, Codable, Equatable {
    public var schemaVersion: Int
    public var kind: ModelFormat
    public var horizon: Int
    public var models: [String]
    public var featureNames: [String]
    public var featureCount: Int
    public var classCount: Int
    public var c: Double
    /// K × F coefficients.
    public var coefficients: [[Double]]
    public var intercepts: [Double]
}

/// `model.json` when averaging is served.
public struct AverageModelDocument: Sendable, Codable, Equatable {
    public var schemaVersion: Int
    public var kind: ModelFormat
    public var horizon: Int
    public var models: [String]
    public var classCount: Int
    /// One weight per model (equal for simple averaging).
    public var weights: [Double]
}

/// `model.json` when the fallback is averaging shrunk towards the class prior (or the prior
/// alone): out = averaging_weight · mean(base vectors) + (1 − averaging_weight) · prior.
public struct PriorShrinkageModelDocument: Sendable, Codable, Equatable {
    public var schemaVersion: Int
    public var kind: ModelFormat
    public var horizon: Int
    public var models: [String]
    public var classCount: Int
    /// In [0, 1]; 0 serves the prior alone.
    public var averagingWeight: Double
    /// K probabilities (add-one smoothed meta-train label frequencies), summing to 1.
    public var prior: [Double]
}

/// `feature_importance.json`: per fitted candidate, the normalised importance of every feature.
public struct FeatureImportanceDocument: Sendable, Codable, Equatable {
    public struct Entry: Sendable, Codable, Equatable {
        public var method: String
        public var featureSet: MetaFeatureSet
        /// Logistic: mean |w|·sd over classes; XGBoost: gain. Normalised to sum 1.
        public var importanceType: String
        public var features: [NamedWeight]
    }
    public var schemaVersion: Int
    public var horizon: Int
    /// The served method's name.
    public var chosen: String
    public var candidates: [Entry]
}

/// `model_weights.json`: how much the served combiner relies on each base model.
public struct ModelWeightsDocument: Sendable, Codable, Equatable {
    public struct Entry: Sendable, Codable, Equatable {
        public var method: String
        public var weights: [NamedWeight]
    }
    public var schemaVersion: Int
    public var horizon: Int
    public var chosen: String
    /// The served combiner's per-model weights (equal weights for averaging).
    public var weights: [NamedWeight]
    public var candidates: [Entry]
}

/// `training_metrics.json`: the comparison table and the evidence behind the decision.
public struct TrainingMetricsDocument: Sendable, Codable, Equatable {
    /// One method's validation metrics; non-finite values are written as null.
    public struct Row: Sendable, Codable, Equatable {
        public var method: String
        public var role: MethodScore.Role
        public var rows: Int
        public var trainLogLoss: Double?
        public var f1Macro: Double?
        public var accuracy: Double?
        public var logLoss: Double?
        public var brier: Double?
        public var sharpe: Double?
        public var informationCoefficient: Double?
        public var winRate: Double?
        public var ece: [Double?]
        public var fracShort: Double?
        public var fracLong: Double?
    }
    public var schemaVersion: Int
    public var horizon: Int
    public var promotionMetric: PromotionMetric
    public var trainRows: Int
    public var validationRows: Int
    public var purgedRows: Int
    public var bestSingleModel: String
    public var methods: [Row]
    public var overfitting: [OverfittingCheck]
    public var decision: PromotionDecision
    public var diagnosis: [DiagnosisFinding]
}

/// `ensemble_summary.json`: one line per horizon, plus the hook for the diversity analysis.
public struct EnsembleSummaryDocument: Sendable, Codable, Equatable {
    public struct Horizon: Sendable, Codable, Equatable {
        public var horizon: Int
        public var directory: String
        public var chosen: PromotedMethod
        public var chosenName: String
        public var method: String
        public var promotionMetric: PromotionMetric
        /// The served method's value of the promotion metric on the validation rows.
        public var metricValue: Double?
        public var reason: String
    }
    public var schemaVersion: Int
    public var models: [String]
    public var horizons: [Horizon]
    /// Filled by the diversity analysis: the file name of its report (`diversity_analysis.json`)
    /// once written; nil until then. Training never writes it.
    public var diversity: DiversityReference?
}

/// Where the diversity analysis put its results, and its headline number.
public struct DiversityReference: Sendable, Codable, Equatable {
    public var file: String
    /// Mean pairwise disagreement of the base models, if reported.
    public var meanDisagreement: Double?
    public init(file: String = ArtifactSchema.diversityAnalysis, meanDisagreement: Double? = nil) {
        self.file = file
        self.meanDisagreement = meanDisagreement
    }
}
