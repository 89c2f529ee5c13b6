/// A meta-learner to try: a registered learner (`MetaLearnerRegistry`) on a feature set.
public struct CandidateKind: Sendable, Codable, Equatable, Hashable {
    /// `MetaLearner.name` of the learner.
    public var learner: String
    /// The feature set it reads.
    public var featureSet: MetaFeatureSet

    public init(learner: String, featureSet: MetaFeatureSet) {
        self.learner = learner
        self.featureSet = featureSet
    }

    /// Multinomial logistic regression on a feature set.
    public static func logistic(_ f: MetaFeatureSet) -> CandidateKind { .init(learner: LogisticLearner.name, featureSet: f) }
    /// Boosted trees (multi:softprob, hist) on a feature set.
    public static func xgboost(_ f: MetaFeatureSet) -> CandidateKind { .init(learner: XGBoostLearner.name, featureSet: f) }
    /// The fitted blend (always on the base probabilities).
    public static let blend = CandidateKind(learner: BlendLearner.name, featureSet: .basic)
    /// `auto`: every registered learner on `f` (each learner may narrow it, e.g. the blend).
    public static func auto(_ f: MetaFeatureSet) -> [CandidateKind] {
        MetaLearnerRegistry.learners.map { .init(learner: $0.name, featureSet: $0.featureSet(requested: f)) }
    }
}

/// Settings of one training run. Every field has the default used by `stackd train`.
public struct TrainingConfiguration: Sendable, Codable, Equatable {
    /// Share of events (by time) before the meta-train / validation cut; the reference uses 0.8.
    public var trainFraction: Double
    /// The metric the promotion rule compares.
    public var metric: PromotionMetric
    /// Meta-learners to fit when the ensemble-method rule selects stacking.
    public var candidates: [CandidateKind]
    /// Hyperparameters: chosen on the validation rows (default) or fixed.
    public var regularisation: RegularisationChoice
    /// Weights of the fixed-weight blend baseline (one per base model); nil: no blend baseline.
    public var blendWeights: [Double]?
    /// Train–validation log-loss gap above which a candidate is flagged and not promoted.
    public var overfittingThreshold: Double
    /// Mean pairwise disagreement of the base models, when the diversity analysis has measured it.
    /// Hook for the diversity work: nil means "not measured" and does not restrict the method.
    public var baseModelDiversity: Double?
    /// Apply `EnsembleMethodRule` (false: always fit `candidates`, as the reference does).
    public var applyEnsembleMethodRule: Bool
    /// Version stamped on the trained combiner.
    public var modelVersion: UInt32
    /// Seed of the tree learner's row/column sampling.
    public var seed: Int
    /// With the log-loss metric, a candidate must beat averaging by at least this many standard
    /// errors of the paired per-row log-loss difference on the validation rows (0: any margin, as
    /// the reference protocol does). Guards against promoting a model that won by noise.
    public var minImprovementZ: Double = 0
    /// Also try each learner with a temperature fitted on the validation rows (judged
    /// cross-fitted: see `MetaTrainer.crossFittedTemperature`). Off by default: on oos-daily the
    /// calibrated variants won inside the training window and then lost out of sample (replay).
    public var calibrate: Bool = false
    /// Also try each learner with per-class isotonic maps fitted on the validation rows
    /// (`IsotonicCalibratedCombiner`; judged cross-fitted like the temperature).
    public var isotonicCalibration: Bool = false
    /// Apply the greedy diverse model selection (`GreedyDiverseSelection`, on the meta-train rows
    /// only) to what the learners see: the models it leaves out have their own columns zeroed in
    /// every fit and prediction (`ModelSelection`). Baselines and the champion still see every model.
    public var diverseSelection: Bool = false
    /// Rolling-origin folds the gate pools (`RollingOriginFolds`): 1 judges on the single newest
    /// slice; F > 1 also fits every candidate on the F − 1 older slices' purged past and judges on
    /// all F slices' out-of-sample rows (F fits per candidate), so a small steady gain is not lost
    /// in one slice's noise. Clipped to what the train fraction allows.
    public var validationFolds: Int = 1
    /// The logistic learner's C when positive (`learner.logistic_c`): fitted as given, no grid.
    /// Unlike `regularisation = .fixed`, which fixes every learner's hyper-parameters, this fixes
    /// the logistic C only; XGBoost and the MLP keep their grids. 0: C from `LogisticLearner.cGrid`.
    public var logisticC: Double = 0
    /// Also try each learner mixed with the best single model (`BestSingleMixtureCombiner`: the
    /// learner's weight fitted on the validation rows, judged cross-fitted over their two time
    /// halves like the calibrations). `learner.mix_best_single`.
    public var mixBestSingle: Bool = false

    public init(trainFraction: Double = 0.8, metric: PromotionMetric = .logLoss,
                candidates: [CandidateKind] = CandidateKind.auto(.extended),
                regularisation: RegularisationChoice = .bySampleSize, blendWeights: [Double]? = nil,
                overfittingThreshold: Double = OverfittingCheck.defaultThreshold, baseModelDiversity: Double? = nil,
                applyEnsembleMethodRule: Bool = true, modelVersion: UInt32 = 1, seed: Int = 0) {
        self.trainFraction = trainFraction
        self.metric = metric
        self.candidates = candidates
        self.regularisation = regularisation
        self.blendWeights = blendWeights
        self.overfittingThreshold = overfittingThreshold
        self.baseModelDiversity = baseModelDiversity
        self.applyEnsembleMethodRule = applyEnsembleMethodRule
        self.modelVersion = modelVersion
        self.seed = seed
    }
}
