import StackdCore
import StackdTraining

/// A consistent picture of a running daemon, taken by the ingest thread and read by others
/// (the demo's summary, tests, later the metrics endpoint) without touching the pipeline.
public struct RunnerSnapshot: Sendable {
    public var messagesReceived = 0
    public var counters: PipelineCounters
    package var pendingRows = 0
    package var awaitingLabels = 0
    public var published = 0
    /// Digest of every output so far (binary encoding, latency zeroed): equals the digest of a
    /// replay of this run's recording.
    package var outputDigest = ""
    /// Outputs and alerts the output socket refused: total, and split by cause (a subscriber at
    /// its high-water mark; any other send error).
    package var sendFailures = 0
    package var sendFailuresHighWaterMark = 0
    package var sendFailuresError = 0
    /// Alerts handed to the output socket.
    package var alertsPublished = 0
    /// Input connections libzmq closed (a peer went away, or sent a frame above the input's
    /// maximum message size), from the input socket's monitor.
    package var inputDisconnects = 0
    package var latencyP50Nanoseconds: UInt64 = 0
    package var latencyP99Nanoseconds: UInt64 = 0
    package var latencyMaxNanoseconds: UInt64 = 0
    package var latencyP999Nanoseconds: UInt64 = 0
    /// Emissions recorded in the latency histogram, and their mean latency.
    package var latencyCount: UInt64 = 0
    package var latencyMeanNanoseconds: Double = 0
    /// Subscriptions currently held by consumers of the output socket.
    public var outputSubscriptions = 0
    /// Input journal (`[record]`): whether it is recording, messages written so far, and the time
    /// the ingest thread waited for room in the recording queue (zero unless the disk fell behind).
    package var journalRecording = false
    package var journalMessages = 0
    package var journalStallNanoseconds: UInt64 = 0
    package var modelNames: [String] = []
    package var horizons: [Int] = []
    /// Per horizon: prequential scores of the ensemble, averaging and each base model.
    package var ensembleScores: [ScoreAccumulator] = []
    package var averageScores: [ScoreAccumulator] = []
    /// Per horizon: the label-only baselines (class prior, always majority), scored on the same rows.
    package var classPriorScores: [ScoreAccumulator] = []
    package var alwaysMajorityScores: [ScoreAccumulator] = []
    package var modelScores: [[ScoreAccumulator]] = []
    /// Per horizon index, each challenger's live scores (`learner.challengers`; empty without).
    package var challengers: [[ChallengerStanding]] = []
    package var running = false
    /// Labelled rows appended to the durable window since start, and appends that failed.
    package var windowRowsPersisted = 0
    package var windowPersistFailures = 0
    /// Durable state refused at start: stored model versions by reason (`ModelStore.refusalReasons`),
    /// window blocks skipped on restore (damaged) and the labelled rows they held.
    package var modelFilesRefused: [String: Int] = [:]
    package var windowBlocksSkipped = 0
    package var windowRowsLost = 0
    /// Window and awaiting-rows log segments set aside at start because their header is damaged.
    package var windowSegmentsQuarantined = 0
    /// `MonotonicClock.nanoseconds()` when the ingest loop took this snapshot; 0 before its first
    /// (health checks compare it with the clock to tell a turning loop from a stalled one).
    package var refreshedAtNanoseconds: UInt64 = 0
    /// Per horizon: the version of the combiner currently applied (0: averaging).
    package var activeModelVersions: [UInt32] = []
    /// Per horizon: the drift and calibration monitors' state (nil when monitoring is off).
    package var drift: [DriftSnapshot?] = []
    /// Metrics connections refused because the server's connection cap was reached (filled in by
    /// `MetricsServer`, not the ingest loop).
    package var metricsConnectionsRefused = 0
    /// The latest retrain outcomes, oldest first: at most ``recentTrainingCapacity`` of them, so
    /// a daemon that retrains for months does not grow (the totals below count every one).
    package var trainingResults: [TrainingSummary] = []
    /// Every retrain finished since start, and how many ended with each decision (raw value).
    package var trainingResultsTotal = 0
    package var trainingResultsByDecision: [String: Int] = [:]
    /// How many retrain outcomes ``trainingResults`` keeps.
    package static let recentTrainingCapacity = 64
    /// CURVE handshakes refused and accepted, and the allow-list size (`[security]`).
    package var authentication = AuthenticationSnapshot()

    /// With several pipelines (`ingest.shards > 1`): messages each pipeline received, and those
    /// the receive thread dropped because the pipeline's ring was full (empty with one pipeline,
    /// or `ringDrops` empty when each pipeline has its own socket).
    package var pipelineMessages: [Int] = []
    package var ringDrops: [Int] = []
    /// With several pipelines: per pipeline, per horizon index, the labelled rows in its training
    /// window segment (what it would hand to a merged retrain now; empty with one pipeline). A
    /// pipeline's own snapshot holds one element, its own.
    package var pipelineWindowRows: [[Int]] = []

    package init(horizonCount: Int) {
        counters = PipelineCounters(horizonCount: horizonCount)
    }

    /// Counts a finished retrain and keeps it among the recent ones (the oldest goes when full).
    package mutating func recordTraining(_ summary: TrainingSummary) {
        trainingResultsTotal += 1
        trainingResultsByDecision[summary.decision.rawValue, default: 0] += 1
        if trainingResults.count >= Self.recentTrainingCapacity {
            trainingResults.removeFirst(trainingResults.count - Self.recentTrainingCapacity + 1)
        }
        trainingResults.append(summary)
    }
}
