import StackdCore
import StackdLearning

/// A kind of meta-learner: how to fit one on a training window and how to reload what it saved.
///
/// The trainer, the artifact writer and the loader only ever talk to learners through this
/// protocol and `FittedMetaLearner`, looked up by name in `MetaLearnerRegistry`, so a new learner
/// touches no closed enum and no downcast.
///
/// ## Adding a learner
/// 1. A final class conforming to `FittedMetaLearner`: the served model (an allocation-free
///    `combine`, a batch `predictProbabilities`, `encodeModel`, `featureImportance`,
///    `contributions`).
/// 2. A struct conforming to `MetaLearner`: its `name` (the `learner.kind` value and the
///    `stackd train --learner` value), its `modelFormat` (the `model_format` of
///    `meta_config.json`), `fit` and `load`. Document `model.json` in `schemas/artifacts/`.
/// 3. One line appending an instance to `MetaLearnerRegistry.learners`.
///
/// `fit` runs on the training worker thread, never on the ingest thread; it may take seconds.
/// It must be deterministic (fixed seeds) and should poll `TrainingCancellation.isCurrentCancelled`
/// in long loops.
public protocol MetaLearner: Sendable {
    /// Registry key, e.g. `logistic`: lower-case, no spaces. Stable: configurations name it.
    var name: String { get }
    /// Short label for comparison tables, e.g. `LR meta`.
    var displayName: String { get }
    /// The `model_format` written to `meta_config.json`; `load` is called for files of this format.
    var modelFormat: ModelFormat { get }
    /// The feature set this learner reads when the configuration does not say (e.g. the fitted
    /// blend always reads `.basic`: the base probabilities).
    func featureSet(requested: MetaFeatureSet) -> MetaFeatureSet
    /// Fits on `input.train`; may use `input.validation` only to choose hyper-parameters (never
    /// to fit parameters), and must report how in `FittedMetaLearner.fitSummary`.
    func fit(_ input: MetaLearnerFitInput) throws -> any FittedMetaLearner
    /// Rebuilds a fitted learner from its `model.json` bytes, refusing anything that does not fit
    /// `input.layout` with an `ArtifactError` naming `input.file`.
    func load(_ input: MetaLearnerLoadInput) throws -> any FittedMetaLearner
}

public extension MetaLearner {
    func featureSet(requested: MetaFeatureSet) -> MetaFeatureSet { requested }
}

/// Everything a learner may read when fitting one horizon.
public struct MetaLearnerFitInput: Sendable {
    /// Meta-train rows (before the cut, purged).
    public var train: TrainingRows
    /// Validation rows (from the cut): for choosing hyper-parameters only.
    public var validation: TrainingRows
    /// The feature set to read (a prefix of the layout).
    public var featureSet: MetaFeatureSet
    /// The run's settings (seed, model version, fixed hyper-parameters).
    public var configuration: TrainingConfiguration
    /// The hyper-parameters from the configuration: by sample size, or fixed by the operator.
    public var hyperparameters: LearnerHyperparameters
    /// True when the operator fixed the hyper-parameters: then a learner must use them and not
    /// search.
    public var hyperparametersFixed: Bool

    public init(train: TrainingRows, validation: TrainingRows, featureSet: MetaFeatureSet,
                configuration: TrainingConfiguration, hyperparameters: LearnerHyperparameters, hyperparametersFixed: Bool) {
        self.train = train
        self.validation = validation
        self.featureSet = featureSet
        self.configuration = configuration
        self.hyperparameters = hyperparameters
        self.hyperparametersFixed = hyperparametersFixed
    }

    public var layout: StackingFeatureLayout { train.layout }
    public var classCount: Int { train.classCount }
    public var featureCount: Int { featureSet.columnCount(layout) }
    public var version: UInt32 { configuration.modelVersion }
    /// The meta-train feature matrix restricted to the feature set.
    public var trainFeatures: Matrix { train.features.selectingColumns(Array(0..<featureCount)) }
    /// The validation feature matrix restricted to the feature set.
    public var validationFeatures: Matrix { validation.features.selectingColumns(Array(0..<featureCount)) }
}

/// What a learner gets back to rebuild itself from an artifact.
public struct MetaLearnerLoadInput: Sendable {
    /// `model.json` bytes.
    public var modelBytes: [UInt8]
    /// Path of `model.json`, for errors.
    public var file: String
    /// The horizon, models and classes `meta_config.json` declares (already checked against the layout).
    public var horizon: Int
    public var featureSet: MetaFeatureSet
    public var featureNames: [String]
    public var layout: StackingFeatureLayout
    /// `combiner_version` of `meta_config.json`.
    public var version: UInt32

    public init(modelBytes: [UInt8], file: String, horizon: Int, featureSet: MetaFeatureSet, featureNames: [String],
                layout: StackingFeatureLayout, version: UInt32) {
        self.modelBytes = modelBytes
        self.file = file
        self.horizon = horizon
        self.featureSet = featureSet
        self.featureNames = featureNames
        self.layout = layout
        self.version = version
    }
}

/// What the outputs of `FittedMetaLearner.contributions` add up to.
public enum ContributionSpace: String, Sendable, Codable {
    /// Per class, the contributions plus the bias column sum to the class's logit (margin); the
    /// probabilities are their softmax (logistic, XGBoost `pred_contribs`).
    case logit
    /// Per class, the contributions plus the bias column sum to the class's probability (blend).
    case probability
}

/// Per-feature importance of a fitted learner.
public struct LearnerImportance: Sendable, Equatable {
    /// How it was measured (written to `feature_importance.json`), e.g. `gain`.
    public var type: String
    /// One non-negative value per feature column (not necessarily normalised).
    public var values: [Double]
    public init(type: String, values: [Double]) {
        self.type = type
        self.values = values
    }
}

/// The hyper-parameters a learner was fitted with and how they were chosen.
public struct LearnerFitSummary: Sendable, Codable, Equatable {
    /// Name → value, e.g. `c` → 0.1 (written to `meta_config.json` as `learner_hyperparameters`).
    public var hyperparameters: [String: Double]
    /// One sentence: how they were chosen (grid, metric, rows), for the report.
    public var selection: String
    public init(hyperparameters: [String: Double], selection: String) {
        self.hyperparameters = hyperparameters
        self.selection = selection
    }

    /// `c=0.1, depth=2` in key order.
    public var compact: String {
        hyperparameters.keys.sorted().map { k in
            let v = hyperparameters[k]!
            return "\(k)=\(v == v.rounded() && abs(v) < 1e9 ? String(Int(v)) : String(format: "%g", v))"
        }.joined(separator: ", ")
    }
}

/// A fitted meta-learner: the model served on the ingest thread and everything the artifacts
/// and reports need from it.
///
/// Immutable once built (a `MetaCombiner`); `combine` must not allocate where the learner can
/// avoid it (XGBoost cannot: see `XGBoostCombiner`).
public protocol FittedMetaLearner: MetaCombinerWithFeatures {
    /// `MetaLearner.name` of the learner that made it.
    var learnerName: String { get }
    /// Hyper-parameters used and how they were chosen.
    var fitSummary: LearnerFitSummary { get }
    /// The `model.json` bytes (the format `MetaLearner.modelFormat` names).
    func encodeModel(horizon: Int, models: [String]) throws -> [UInt8]
    /// Per-feature importance, measured on the given meta-train features (feature-set columns).
    func featureImportance(trainFeatures: Matrix) throws -> LearnerImportance
    /// What `contributions` add up to.
    var contributionSpace: ContributionSpace { get }
    /// Per-prediction contributions of one row: K × (featureCount + 1) values, row-major by
    /// class, the last column of each class the bias (intercept or base value), in
    /// `contributionSpace`. `features` is the live feature vector (at least `featureCount` long).
    func contributions(features: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>) throws
}

public extension FittedMetaLearner {
    /// The learner that made it, from the registry.
    var learner: (any MetaLearner)? { MetaLearnerRegistry.learner(named: learnerName) }
}
