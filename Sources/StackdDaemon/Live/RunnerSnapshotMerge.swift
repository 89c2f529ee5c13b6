import StackdCore

extension RunnerSnapshot {
    /// One daemon's snapshot from its pipelines' (`ingest.shards > 1`; each pipeline owns a
    /// disjoint set of symbols, so counts and scores add up).
    ///
    /// Kept per pipeline: messages received and window segment rows. Summed: messages, every
    /// counter, rows, outputs, send failures, alerts, scores. Latency: the
    /// count and mean are exact; each quantile is the largest of the pipelines' (an upper bound of
    /// the daemon's: a mixture's q-quantile is at most its largest component's). `refreshedAtNanoseconds` is the oldest pipeline's, so a stalled pipeline makes the
    /// daemon look stalled; `running` holds while every pipeline runs. Drift monitors and model
    /// versions are pipeline 0's (monitor state is per pipeline; every pipeline installs the one
    /// model of a retrain at the same event time, `ShardedTraining`). Model installs are the most
    /// any pipeline made (each installs every model); late installs are summed (pipeline
    /// installs that came late); retrains triggered are set by the caller from the merged
    /// training's count (each pipeline triggers every retrain). Not defined across pipelines and so
    /// left at zero: the output digest (order-dependent) and the publisher sequence-gap counts
    /// (each pipeline sees only its symbols' share of a publisher's sequence).
    static func merging(_ parts: [RunnerSnapshot]) -> RunnerSnapshot {
        guard var s = parts.first else { return RunnerSnapshot(horizonCount: 0) }
        s.pipelineMessages = parts.map(\.messagesReceived)
        s.pipelineWindowRows = parts.map { $0.pipelineWindowRows.first ?? [] }
        for p in parts.dropFirst() {
            s.messagesReceived += p.messagesReceived
            s.counters.add(p.counters)
            s.pendingRows += p.pendingRows
            s.awaitingLabels += p.awaitingLabels
            s.published += p.published
            s.sendFailuresHighWaterMark += p.sendFailuresHighWaterMark
            s.sendFailuresError += p.sendFailuresError
            s.alertsPublished += p.alertsPublished
            s.latencyP50Nanoseconds = max(s.latencyP50Nanoseconds, p.latencyP50Nanoseconds)
            s.latencyP99Nanoseconds = max(s.latencyP99Nanoseconds, p.latencyP99Nanoseconds)
            s.latencyP999Nanoseconds = max(s.latencyP999Nanoseconds, p.latencyP999Nanoseconds)
            s.latencyMaxNanoseconds = max(s.latencyMaxNanoseconds, p.latencyMaxNanoseconds)
            let count = s.latencyCount + p.latencyCount
            s.latencyMeanNanoseconds = count == 0 ? 0
                : (s.latencyMeanNanoseconds * Double(s.latencyCount) + p.latencyMeanNanoseconds * Double(p.latencyCount)) / Double(count)
            s.latencyCount = count
            Self.merge(&s.ensembleScores, p.ensembleScores)
            Self.merge(&s.averageScores, p.averageScores)
            Self.merge(&s.classPriorScores, p.classPriorScores)
            Self.merge(&s.alwaysMajorityScores, p.alwaysMajorityScores)
            for h in 0..<min(s.modelScores.count, p.modelScores.count) { Self.merge(&s.modelScores[h], p.modelScores[h]) }
            s.running = s.running && p.running
            s.refreshedAtNanoseconds = min(s.refreshedAtNanoseconds, p.refreshedAtNanoseconds)
        }
        s.sendFailures = s.sendFailuresHighWaterMark + s.sendFailuresError
        s.outputDigest = ""
        s.counters.modelInstalls = parts.map(\.counters.modelInstalls).max() ?? 0
        s.counters.sequenceGaps = 0
        s.counters.inputMessagesMissed = s.counters.inputMessagesMissed.map { _ in 0 }
        s.counters.labelMessagesMissed = 0
        s.counters.regimeMessagesMissed = 0
        return s
    }

    private static func merge(_ into: inout [ScoreAccumulator], _ other: [ScoreAccumulator]) {
        for i in 0..<min(into.count, other.count) { into[i].merge(other[i]) }
    }
}

extension PipelineCounters {
    /// Adds another pipeline's counts, field by field.
    mutating func add(_ o: PipelineCounters) {
        predictionsAccepted += o.predictionsAccepted
        labelsAccepted += o.labelsAccepted
        labelsMatched += o.labelsMatched
        labelsUnmatched += o.labelsUnmatched
        labelsHeld += o.labelsHeld
        labelsJoinedLate += o.labelsJoinedLate
        for i in rejected.indices where i < o.rejected.count { rejected[i] += o.rejected[i] }
        for i in rowsEmitted.indices where i < o.rowsEmitted.count { rowsEmitted[i] += o.rowsEmitted[i] }
        for i in rowsDropped.indices where i < o.rowsDropped.count { rowsDropped[i] += o.rowsDropped[i] }
        for i in outputsPerHorizon.indices where i < o.outputsPerHorizon.count { outputsPerHorizon[i] += o.outputsPerHorizon[i] }
        sequenceGaps += o.sequenceGaps
        for i in inputMessagesMissed.indices where i < o.inputMessagesMissed.count {
            inputMessagesMissed[i] = inputMessagesMissed[i] &+ o.inputMessagesMissed[i]
        }
        labelMessagesMissed = labelMessagesMissed &+ o.labelMessagesMissed
        retrainsTriggered += o.retrainsTriggered
        modelInstalls += o.modelInstalls
        lateModelInstalls += o.lateModelInstalls
        alerts += o.alerts
        driftRetrains += o.driftRetrains
        regimesAccepted += o.regimesAccepted
        rowsWithoutRegime += o.rowsWithoutRegime
        regimesUnused += o.regimesUnused
        regimeMessagesMissed = regimeMessagesMissed &+ o.regimeMessagesMissed
    }
}
