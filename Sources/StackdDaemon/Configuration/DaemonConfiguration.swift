import Logging
import StackdCore

/// The daemon's configuration: what `stackd run --config FILE` reads (format in
/// `schemas/config.schema.json`; keys in ``ConfigurationKeys``). Every field has a default except the base models and horizons.
public struct DaemonConfiguration: Sendable, Equatable {
    /// Where predictions and labels come from.
    package struct Input: Sendable, Equatable {
        /// Endpoints the subscriber connects to (publishers bind).
        package var connect: [String] = []
        /// Endpoints the subscriber binds (publishers connect).
        package var bind: [String] = []
        /// Topic prefixes to subscribe to.
        package var topics: [String] = ["pred.", "label."]
        /// ZeroMQ receive high-water mark, in messages.
        package var receiveHighWaterMark: Int = 1_000_000
    }

    /// Where ensemble outputs go.
    package struct Output: Sendable, Equatable {
        /// Endpoints the publisher binds.
        package var bind: [String] = []
        /// Endpoints the publisher connects to.
        package var connect: [String] = []
        package var encoding: PayloadEncoding = .binary
        /// ZeroMQ send high-water mark, in messages; a slow subscriber loses messages past it
        /// instead of slowing ingest.
        package var sendHighWaterMark: Int = 1_000_000
    }

    /// `learner.logistic_c`'s default, which `stackd train --logistic-c` shares. C = 1 (scikit-learn's
    /// default and the walk-forward reference's C) was chosen over the grid on in-window evidence only:
    /// replaying oos-daily, the served log-loss on every row before the held-out cut is lower with C = 1
    /// on all four horizons (bench/QUALITY.md, "The default logistic C").
    package static let defaultLogisticC: Double = 1

    /// `learner.mix_best_single`'s default, which `stackd train --mix-best-single` shares
    /// (bench/QUALITY.md, "The best-single mixture").
    package static let defaultMixBestSingle = false

    /// The meta-learner retrained online.
    package struct Learner: Sendable, Equatable {
        package var kind: LearnerKind = .logistic
        package var metric: LearnerMetric = .logLoss
        package var features: LearnerFeatures = .extended
        /// Share of the window (the most recent rows) held out to judge candidates.
        var validationFraction: Double = 0.2
        package var promotion: PromotionRule = .gated
        /// Logistic inverse regularisation; 0 chooses it by sample size.
        package var c: Double = 0
        /// The logistic learner's C alone (`TrainingConfiguration.logisticC`); 0 chooses it from the
        /// grid on the newest meta-train rows. `c` > 0 overrides it.
        package var logisticC: Double = DaemonConfiguration.defaultLogisticC
        /// A promoted candidate must beat averaging by this many standard errors of the per-row
        /// log-loss gain (log-loss metric only); 0 accepts any margin.
        package var minImprovementZ: Double = 2
        /// Rolling-origin folds the gate judges candidates on (`TrainingConfiguration.validationFolds`).
        package var validationFolds: Int = 1
        package var calibration: LearnerCalibration = .none
        /// Apply the greedy diverse model selection (meta-train rows only) to the learners' input
        /// (`TrainingConfiguration.diverseSelection`).
        package var diverseSelection: Bool = false
        /// Also try each learner mixed with the best single model (`TrainingConfiguration.mixBestSingle`).
        package var mixBestSingle: Bool = DaemonConfiguration.defaultMixBestSingle
        /// Registered learners fitted at every retrain and scored live beside the served model,
        /// never served (`ChallengerTraining`).
        package var challengers: [String] = []
        /// N > 0: a challenger replaces the champion only after beating it over its last N live
        /// labelled rows (`ChallengerPromotion`); 0: challengers are only observed.
        package var challengerMinRows: Int = 0
    }

    /// Drift and calibration monitoring.
    public struct Monitoring: Sendable, Equatable {
        public var enabled = true
        /// Whether a drift alarm may ask for a retrain (only when retraining is scheduled).
        public var retrainOnAlert = false
        /// At least this many new labels per horizon between two alarm-requested retrains.
        public var retrainMinLabels = 500
    }

    public var monitoring = Monitoring()
    package var input = Input()
    /// Pipelines, each on its own ingest thread with a disjoint set of symbols (`[ingest] shards`);
    /// 1 is the single ingest thread.
    package var ingestShards = 1
    package var output = Output()
    public var retrain = RetrainPolicy.disabled
    package var learner = Learner()
    /// Where durable state lives (window, models); nil keeps everything in memory.
    package var stateDirectory: String? = nil
    /// When window rows reach the OS and the disk.
    var stateFlush: StateFlushMode = .everyRow
    var stateFlushRows: Int = 100
    var stateFlushIntervalMilliseconds: Double = 100
    var stateSync: StateSyncMode = .none
    /// Journal every inbound message here (`stackd replay` reads it); nil: no recording.
    package var recordDirectory: String? = nil
    /// LZ4-compress the journal's blocks (`[record] compress`). Off stores ≈ 3.7× the bytes for
    /// a writer that only copies, checksums and writes: for a disk faster than LZ4 is.
    package var recordCompress: Bool = true
    public var pipeline: PipelineConfiguration
    package var logLevel: Logger.Level = .info
    /// Most reject log lines per reason per second; the rest are summarised.
    package var rejectLogPerSecond: Int = 5
    /// `host:port` of the HTTP endpoint serving `/metrics`, `/healthz` and `/readyz`
    /// (`[metrics] address`); empty disables it. Port 0 picks a free port.
    package var metricsAddress: String = "127.0.0.1:9464"
    /// CURVE authentication and the plaintext policy (`[security]`).
    package var security = SecurityConfiguration()

    /// The most memory the configuration may reserve up front (`memory.max_preallocated_mb`).
    var maxPreallocatedMegabytes: Int = 2048

    package init(pipeline: PipelineConfiguration) {
        self.pipeline = pipeline
    }
}
