/// A meta-learner to try.
public enum CandidateKind: Sendable, Codable, Equatable, Hashable {
    /// Multinomial logistic regression on a feature set.
    case logistic(MetaFeatureSet)
    /// Boosted trees (multi:softprob, hist) on a feature set.
    case xgboost(MetaFeatureSet)

    /// The feature set it reads.
    public var featureSet: MetaFeatureSet {
        switch self { case .logistic(let f), .xgboost(let f): return f }
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
    /// Hyperparameters: by sample size (default) or fixed.
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

    public init(trainFraction: Double = 0.8, metric: PromotionMetric = .logLoss,
                candidates: [CandidateKind] = [.logistic(.extended), .xgboost(.extended)],
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
