import StackdCore
import StackdLearning

/// Everything one horizon's training produced: the decision, why, and the evidence.
public struct TrainingOutcome: Sendable {
    public var horizon: Int
    public var models: [String]
    public var layout: StackingFeatureLayout
    /// Meta-train rows (after the purge), validation rows, purged rows.
    public var trainRows: Int
    public var validationRows: Int
    public var purgedRows: Int
    /// First validation timestamp (UTC ns).
    public var cutTimestamp: Int64
    /// The ensemble-method rule's choice and reason.
    public var ensembleMethod: EnsembleMethod
    public var ensembleMethodReason: String
    /// Hyperparameters used.
    public var hyperparameters: LearnerHyperparameters
    /// The promotion metric.
    public var metric: PromotionMetric
    /// Base model with the best meta-train macro-F1.
    public var bestSingleModel: String
    /// Every method on the validation rows (candidates, baselines, champion).
    public var comparison: [MethodScore]
    /// Fitted candidates.
    public var candidates: [TrainedCandidate]
    /// Best candidate on the metric (the one put to the promotion rule).
    public var candidateName: String?
    /// Overfitting checks per candidate.
    public var overfitting: [OverfittingCheck]
    /// What is served and why.
    public var decision: PromotionDecision
    /// Why stacking fails or is fragile here, with fixes.
    public var diagnosis: [DiagnosisFinding]
    /// The combiner to serve.
    public var chosen: any MetaCombiner
    /// The chosen candidate's importance and model weights (nil unless a candidate was promoted):
    /// the served model, refitted on the whole window.
    public var chosenCandidate: TrainedCandidate?
    /// The chosen candidate as the gate judged it: fitted on meta-train only (nil unless a
    /// candidate was promoted). A later retrain judges this champion by it, because the served
    /// refit has learned from rows that the later retrain validates on.
    public var gatedCandidate: TrainedCandidate? = nil
    /// The base models' diversity on the validation rows (`diversity_analysis.json`); set by the
    /// caller that has the rows (`DiversityAnalysisDocument.make`), nil when not computed.
    public var diversity: DiversityAnalysisDocument? = nil
    /// The greedy diverse selection applied to the learners' input (`TrainingConfiguration.diverseSelection`),
    /// nil when off.
    public var appliedSelection: AppliedModelSelection? = nil

    /// The comparison row of a method.
    public func score(_ name: String) -> MethodScore? { comparison.first { $0.name == name } }
}

/// The greedy diverse selection a retrain applied to its learners' input.
public struct AppliedModelSelection: Sendable, Equatable, Codable {
    /// The selection as computed (order, trajectory, stop reason).
    public var selection: GreedyDiverseSelection
    /// The models the learners saw, in layout order (every model when the selection kept all).
    public var selectedModels: [String]
    /// The meta-train rows the selection was computed on.
    public var rows: Int

    public init(selection: GreedyDiverseSelection, selectedModels: [String], rows: Int) {
        self.selection = selection
        self.selectedModels = selectedModels
        self.rows = rows
    }
}
