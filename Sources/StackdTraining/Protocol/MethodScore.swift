import StackdLearning

/// One row of the comparison table: a method and all its metrics on the validation rows.
public struct MethodScore: Sendable, Codable, Equatable {
    /// What kind of competitor it is.
    public enum Role: String, Sendable, Codable {
        case candidate, baseline, champion
    }
    /// Display name, e.g. `LR meta (ext, F=33)`, `simple average`, `best single (logreg)`.
    public var name: String
    public var role: Role
    /// Every metric on the validation rows.
    public var validation: EvaluationReport
    /// Mean log-loss on the meta-train rows (fitted candidates only).
    public var trainLogLoss: Double?

    public init(name: String, role: Role, validation: EvaluationReport, trainLogLoss: Double? = nil) {
        self.name = name
        self.role = role
        self.validation = validation
        self.trainLogLoss = trainLogLoss
    }
}

/// A named, normalised weight (feature importance or base-model weight).
public struct NamedWeight: Sendable, Codable, Equatable {
    public var name: String
    public var weight: Double
    public init(name: String, weight: Double) {
        self.name = name
        self.weight = weight
    }
}

/// A fitted candidate and what it relies on.
public struct TrainedCandidate: Sendable {
    public var name: String
    public var kind: CandidateKind
    /// The served combiner: the fitted learner, wrapped in a `CalibratedCombiner` when the
    /// candidate is the temperature-calibrated variant.
    public var combiner: any FittedMetaLearner
    /// How the importance was measured (`LearnerImportance.type`).
    public var importanceType: String
    /// Per feature column, normalised to sum 1 (logistic: mean |w|·sd over classes; XGBoost: gain).
    public var featureImportance: [NamedWeight]
    /// Per base model: the share of the feature importance on that model's own columns.
    public var modelWeights: [NamedWeight]
}
