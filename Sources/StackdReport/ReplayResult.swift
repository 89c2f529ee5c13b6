import StackdCore
import StackdTraining

/// What a replay produced: the digest of its outputs, the pipeline's counters, every labelled row
/// with the ensemble's and the base models' predictions, the retrains and the alerts. Defined
/// here rather than with the replay driver (`ReplayRunner.Result` is this type) because it is the
/// report's input: the backtest report, its charts and the replay outputs file read it without
/// depending on the driver that produced it.
public struct ReplayResult: Sendable {
    public var digest: OutputDigest
    public var counters: PipelineCounters
    public var horizons: [Int]
    public var modelNames: [String]
    /// Every labelled row per horizon index, in label order: the backtest's raw material.
    public var labelled: [LabelledRows]
    public var trainings: [TrainingSummary]
    /// Every drift and calibration alert the monitors raised, in the order raised.
    public var alerts: [Alert] = []
    /// The weight of each base model (and of the class prior) in every combiner a retrain
    /// installed, from the event time it applies: the report's model-weights chart.
    public var modelWeights: [ModelWeights] = []
    public var events: Int
    public var ingestNanoseconds: UInt64
    public var trainingNanoseconds: UInt64
    /// K (`models.classes`): the width of every probability vector in `labelled`.
    public var classCount = 3
    /// One digest per `stackd run` session of a journal with control records (each session's
    /// outputs alone, comparable with that session's live digest); empty otherwise.
    public var sessionDigests: [OutputDigest] = []
    /// Control records applied (`schemas/journal.md` §8); 0 for a folder or a version 1 journal.
    public var controlRecords = 0
    /// Every point where the replay could not reproduce what the live daemon journalled (a
    /// retrain that decided otherwise, a request that is missing, an install on time here
    /// but late live): the outputs may differ from there on. Empty when parity holds.
    public var parityMismatches: [String] = []
    /// Mean |contribution| per model per day, per horizon index; empty timelines unless
    /// `output.contributions` is on (the report's contributions chart).
    public var contributions: [ContributionTimeline] = []
    /// `learner.challengers`: the names of the C challengers in `LabelledRows.challengers`.
    public var challengerNames: [String] = []

    public init(digest: OutputDigest, counters: PipelineCounters, horizons: [Int], modelNames: [String],
                labelled: [LabelledRows], trainings: [TrainingSummary], alerts: [Alert] = [],
                modelWeights: [ModelWeights] = [], events: Int, ingestNanoseconds: UInt64, trainingNanoseconds: UInt64,
                classCount: Int = 3, sessionDigests: [OutputDigest] = [], controlRecords: Int = 0,
                parityMismatches: [String] = [], contributions: [ContributionTimeline] = [], challengerNames: [String] = []) {
        self.digest = digest
        self.counters = counters
        self.horizons = horizons
        self.modelNames = modelNames
        self.labelled = labelled
        self.trainings = trainings
        self.alerts = alerts
        self.modelWeights = modelWeights
        self.events = events
        self.ingestNanoseconds = ingestNanoseconds
        self.trainingNanoseconds = trainingNanoseconds
        self.classCount = classCount
        self.sessionDigests = sessionDigests
        self.controlRecords = controlRecords
        self.parityMismatches = parityMismatches
        self.contributions = contributions
        self.challengerNames = challengerNames
    }

    /// Per installed combiner: the share of each base model (model order) and of the class prior.
    /// Learned models: the per-model share of feature importance; averaging: 1/M each; a prior
    /// fallback: w/M each and 1 − w for the prior.
    public struct ModelWeights: Sendable, Equatable {
        public var horizon: Int
        public var applyFrom: Int64
        public var version: UInt32
        public var models: [Double]
        public var prior: Double

        public init(horizon: Int, applyFrom: Int64, version: UInt32, models: [Double], prior: Double) {
            self.horizon = horizon
            self.applyFrom = applyFrom
            self.version = version
            self.models = models
            self.prior = prior
        }
    }

    /// Rows with their label, the ensemble's output and every base model's.
    public struct LabelledRows: Sendable {
        public var eventTimes: [Int64] = []
        /// When each label became known (its exit time): the class prior may use a label only
        /// for rows predicted after it.
        public var exitTimes: [Int64] = []
        public var labels: [Int] = []
        public var forwardReturns: [Double] = []
        public var ensemble: [Double] = []        // N × K
        public var base: [Double] = []            // N × M·K
        public var modelVersions: [UInt32] = []
        /// N × C·K: each challenger's prediction (`ReplayResult.challengerNames`), NaN first where
        /// it was not installed yet; empty without challengers.
        public var challengers: [Double] = []

        public init() {}
    }
}
