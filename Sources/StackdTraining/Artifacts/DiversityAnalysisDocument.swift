import StackdCore
import StackdLearning

/// `hN/diversity_analysis.json` (schema `schemas/artifacts/diversity_analysis.schema.json`): how
/// differently the base models err, written by `stackd train --out` per horizon and by every
/// retrain into the model store's version directory.
///
/// Computed on the validation rows of the trainer's own chronological split (the rows every
/// method is judged on, the reference's test rows), so it describes the same rows as
/// `training_metrics.json`. The greedy selection is seeded with the model of lowest meta-train
/// log-loss and reported as advice. With `learner.diverse_selection` the trainer applies its own
/// greedy selection, computed on the meta-train rows only (never on these validation rows), to
/// what the meta-learners see; `applied(_:)` records it (`selection_applied`, `applied_selection`).
public struct DiversityAnalysisDocument: Sendable, Codable, Equatable {
    public var schemaVersion: Int
    public var horizon: Int
    /// Validation rows analysed, and the meta-train rows the selection's seed was scored on.
    public var validationRows: Int
    public var seedRows: Int
    /// How the rows and the seed were chosen, in words.
    public var rowSelection: String
    /// Whether a greedy selection decided which models the meta-learners see (`applied_selection`).
    public var selectionApplied: Bool
    public var analysis: DiversityAnalysis
    /// The selection the trainer applied (on meta-train rows); absent when not applied.
    public var appliedSelection: AppliedModelSelection? = nil

    /// This document with the trainer's applied selection recorded (unchanged when nil).
    public func applied(_ selection: AppliedModelSelection?) -> DiversityAnalysisDocument {
        guard let selection else { return self }
        var d = self
        d.selectionApplied = true
        d.appliedSelection = selection
        return d
    }

    /// Nil with fewer than two models or without validation rows.
    public static func make(rows: TrainingRows, trainFraction: Double) -> DiversityAnalysisDocument? {
        guard rows.models.count >= 2, rows.count >= 2 else { return nil }
        let split = ChronologicalSplit(timestamps: rows.eventTimes, exitTimestamps: rows.exitTimes, trainFraction: trainFraction)
        guard !split.test.isEmpty else { return nil }
        let valid = rows.subset(split.test)
        let seedSource = split.train.isEmpty ? valid : rows.subset(split.train)
        let k = rows.classCount
        let seedScores = rows.models.indices.map { m in
            -GreedyDiverseSelection.averageLogLoss(seedSource.basePredictions, labels: seedSource.labels, members: [m], classes: k)
        }
        let analysis = DiversityAnalysis(valid.basePredictions, labels: valid.labels, models: rows.models, seedScores: seedScores)
        return DiversityAnalysisDocument(
            schemaVersion: ArtifactSchema.version, horizon: rows.horizon, validationRows: valid.count,
            seedRows: split.train.isEmpty ? 0 : split.train.count,
            rowSelection: "pairs, score and greedy selection on the \(valid.count) validation rows of the chronological split "
                + "(train fraction \(trainFraction)); selection seeded with the model of lowest log-loss on "
                + (split.train.isEmpty ? "the validation rows (no meta-train rows)" : "the \(split.train.count) meta-train rows"),
            selectionApplied: false, analysis: analysis)
    }

    /// One line for `stackd train`'s output: the grade and what greedy selection would keep.
    public var summaryLine: String {
        var s = "h\(horizon) diversity: composite \(String(format: "%.3f", analysis.score.composite)) (\(analysis.score.grade.rawValue))"
            + ", mean disagreement \(String(format: "%.3f", analysis.mean?.disagreement ?? 0))"
        if let sel = analysis.selection {
            s += "; greedy selection: \(sel.selected.joined(separator: ", ")) (\(sel.stopReason); reported, not applied)"
        }
        if let a = appliedSelection {
            s += "; applied on \(a.rows) meta-train rows: learners see \(a.selectedModels.joined(separator: ", "))"
        }
        return s
    }
}
