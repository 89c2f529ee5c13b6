import StackdClock
import StackdCore

/// The emission-latency percentiles last read from a publisher's histogram. Reading them scans
/// the histogram, so a snapshot re-reads them only when new latencies were recorded.
struct LatencyQuantiles {
    var count: UInt64 = 0
    var p50: UInt64 = 0
    var p99: UInt64 = 0
    var p999: UInt64 = 0
    var max: UInt64 = 0
}

extension RunnerSnapshot {
    /// A snapshot of what one pipeline and its publisher know: counters, rows in flight, outputs,
    /// send failures, emission latency, prequential scores, drift and the models in use. The single
    /// ingest loop (`LiveRunner`) and each pipeline of `ingest.shards` (`PipelineShard`) start from
    /// it and add what only they know (journal, durable window, security, training results).
    init(pipeline: StackingPipeline, publisher: EnsemblePublisher, received: Int, running: Bool,
         latency quantiles: inout LatencyQuantiles) {
        let horizonCount = pipeline.horizonList.count
        self.init(horizonCount: horizonCount)
        messagesReceived = received
        counters = pipeline.counters
        pendingRows = pipeline.pendingRows
        awaitingLabels = pipeline.scoreboard.awaitingCount
        published = publisher.published
        outputDigest = publisher.digest.description
        sendFailures = publisher.sendFailures
        sendFailuresHighWaterMark = publisher.sendFailuresHighWaterMark
        sendFailuresError = publisher.sendFailuresError
        alertsPublished = publisher.alertsPublished
        let latency = publisher.latency
        if quantiles.count != latency.totalCount {
            quantiles = LatencyQuantiles(count: latency.totalCount, p50: latency.valueAtPercentile(50),
                                         p99: latency.valueAtPercentile(99), p999: latency.valueAtPercentile(99.9),
                                         max: latency.max)
        }
        latencyP50Nanoseconds = quantiles.p50
        latencyP99Nanoseconds = quantiles.p99
        latencyP999Nanoseconds = quantiles.p999
        latencyMaxNanoseconds = quantiles.max
        latencyCount = latency.totalCount
        latencyMeanNanoseconds = latency.totalCount > 0
            ? Double(publisher.latencySumNanoseconds) / Double(latency.totalCount) : 0
        modelNames = pipeline.modelNames
        horizons = pipeline.horizonList
        ensembleScores = pipeline.scoreboard.ensemble
        averageScores = pipeline.scoreboard.average
        classPriorScores = pipeline.scoreboard.classPrior
        alwaysMajorityScores = pipeline.scoreboard.alwaysMajority
        modelScores = pipeline.scoreboard.models
        if !pipeline.challengerNames.isEmpty {
            challengers = (0..<horizonCount).map { pipeline.challengerStandings(horizonIndex: $0) }
        }
        self.running = running
        refreshedAtNanoseconds = MonotonicClock.nanoseconds()
        drift = (0..<horizonCount).map { pipeline.driftSnapshot(horizonIndex: $0) }
        activeModelVersions = (0..<horizonCount).map { pipeline.combiner(forHorizonIndex: $0).version }
    }
}
