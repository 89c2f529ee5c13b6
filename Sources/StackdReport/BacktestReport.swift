import StackdCore
import StackdLearning

/// The answer to "did stacking beat averaging?" for one replay, as one JSON document
/// (`backtest.json`, schema in `schemas/backtest.schema.json`).
///
/// Every number is computed from the rows the replay labelled, by `BacktestReport.init(result:source:)`,
/// a pure function: the same replay gives the same report byte for byte (see `jsonData()`), so a
/// report can be diffed against a previous one. Wall-clock timing is the one exception and is kept
/// in `timing`, which the file leaves out.
public struct BacktestReport: Codable, Sendable, Equatable {
    /// Bumped on any incompatible change of this document.
    public var formatVersion: Int
    /// What was replayed (a folder path, later a journal), as given on the command line.
    public var source: String
    /// Digest of every ensemble output (`OutputDigest`), 16 hex digits.
    public var digest: String
    /// Ensemble outputs folded into the digest.
    public var outputs: Int
    /// Stream events replayed (predictions and labels).
    public var events: Int
    /// Base models, in the pipeline's column order.
    public var models: [String]
    public var counters: Counters
    /// Wall-clock split of the replay; nil in `backtest.json` (not reproducible).
    public var timing: Timing?
    /// One section per configured horizon, in configuration order.
    public var horizons: [HorizonReport]

    public static let currentFormatVersion = 4

    /// The pipeline's counters, with rejects keyed by their stable reason name.
    public struct Counters: Codable, Sendable, Equatable {
        public var predictionsAccepted: Int
        public var labelsAccepted: Int
        public var labelsMatched: Int
        public var labelsUnmatched: Int
        /// Every reject reason, including those with a zero count, so a report shows what was checked.
        public var rejected: [String: Int]
        public var totalRejected: Int
        /// Rows emitted, by completion (complete, deadline, evicted, drained).
        public var rowsEmitted: [String: Int]
        /// Rows abandoned with fewer than `min_models`, by completion.
        public var rowsDropped: [String: Int]
        public var sequenceGaps: Int
        public var retrainsTriggered: Int
        public var modelInstalls: Int
        /// Outputs per horizon, in configuration order.
        public var outputsPerHorizon: [Int]
    }

    /// Where the replay's wall-clock time went.
    public struct Timing: Codable, Sendable, Equatable {
        public var ingestSeconds: Double
        public var trainingSeconds: Double
        /// Events per second of ingest time (training excluded).
        public var eventsPerSecond: Double
    }

    /// Everything about one horizon.
    public struct HorizonReport: Codable, Sendable, Equatable {
        public var horizon: Int
        /// Labelled rows of the replay (warm-up and evaluation window).
        public var rows: Int
        /// The held-out window the verdict is computed on, and the paired comparisons.
        public var evaluation: Evaluation?
        /// Every method on the warm-up rows (before the window): shown, never in a verdict.
        public var warmup: [MethodReport]
        /// Event-time range of the rows, nanoseconds since the epoch, and the same as dates.
        public var firstEventTime: Int64?
        public var lastEventTime: Int64?
        public var firstDate: String?
        public var lastDate: String?
        /// How the best single model was chosen, and which it was.
        public var bestSingle: BestSingleChoice?
        /// Ensemble, averaging, best single, every base model, then the naive baselines, on the
        /// evaluation window's rows.
        public var methods: [MethodReport]
        /// The ensemble's model version over event time, one entry per change.
        public var modelVersions: [VersionChange]
        /// Every retrain outcome of this horizon, in the order they happened.
        public var retrains: [RetrainEvent]
        /// The retrains that fell back to averaging, with their reasons.
        public var fallbacks: [RetrainEvent]
        /// Pairwise diversity of the base models on all rows; nil with fewer than two models or no rows.
        public var diversity: DiversityAnalysis?
        /// `learner.challengers` on the evaluation window beside the served ensemble; nil (absent
        /// from the file) without challengers.
        public var challengers: [ChallengerReport]?

        /// The evaluation of one method by kind (the first one for `.base`).
        public func method(_ kind: MethodKind) -> MethodReport? { methods.first { $0.kind == kind } }
        /// The evaluation of one method by name.
        public func method(named name: String) -> MethodReport? { methods.first { $0.name == name } }
    }

    /// The held-out evaluation of one horizon.
    public struct Evaluation: Codable, Sendable, Equatable {
        /// How the window was defined, in words.
        public var window: String
        /// First event time of the window (UTC ns) and its date.
        public var windowStart: Int64
        public var windowStartDate: String
        /// Rows in the window and before it.
        public var rows: Int
        public var warmupRows: Int
        /// Bootstrap blocks: consecutive distinct event times per block, number of blocks,
        /// resamples, seed of the SplitMix64 generator (see `PairedComparison`).
        public var blockLength: Int
        public var blocks: Int
        public var resamples: Int
        public var seed: UInt64
        /// Per metric (log_loss, f1_macro, sharpe) and baseline, ensemble − baseline with its SE and verdict.
        public var comparisons: [PairedComparison]
    }

    /// The best single model is picked on the warm-up rows whose label was known before the
    /// window, by the promotion metric (log-loss): a choice a quant could have made at the time,
    /// and a baseline that is not trivially bad on the metric the verdict is about.
    public struct BestSingleChoice: Codable, Sendable, Equatable {
        public var model: String
        /// Rows the choice was made on.
        public var selectionRows: Int
        /// Log-loss of every base model on the selection rows, in model order.
        public var selectionLogLoss: [Double]
        /// The rule, in words, so that a reader of the JSON alone knows it.
        public var rule: String
    }

    /// What produced a method's probabilities.
    public enum MethodKind: String, Codable, Sendable, CaseIterable {
        /// What stackd published.
        case ensemble
        /// The mean of the base models' vectors.
        case averaging
        /// The base model with the lowest log-loss on the warm-up rows.
        case bestSingle = "best_single"
        /// One base model.
        case base
        /// Frequencies of the labels known at prediction time, add-one smoothed.
        case classPrior = "class_prior"
        /// Majority class of the labels known at prediction time, one-hot.
        case alwaysMajority = "always_majority"
        /// Always long, one-hot: the naive baseline on rising markets.
        case alwaysLong = "always_long"
    }

    public struct MethodReport: Codable, Sendable, Equatable {
        /// "ensemble", "averaging", "best single (NAME)", a model name, "class prior", "always majority", "always long".
        public var name: String
        public var kind: MethodKind
        public var metrics: EvaluationReport
    }

    /// From `eventTime` on (in label order of the rows), outputs came from `version`.
    public struct VersionChange: Codable, Sendable, Equatable {
        public var eventTime: Int64
        public var date: String
        public var version: UInt32
    }

    /// One retrain outcome, placed on the time axis at the event time its model applies from.
    public struct RetrainEvent: Codable, Sendable, Equatable {
        public var applyFrom: Int64
        public var date: String
        public var decision: String
        public var reason: String
        /// Version of the combiner it installed (0 when it installed none).
        public var version: UInt32
        /// Rows it trained on.
        public var rows: Int
    }
}
