import Foundation
import Logging
import StackdCore
import StackdJournal
import StackdTraining

/// Replay of a journal's control records (`schemas/journal.md` §8): the live daemon's restarts,
/// on-demand retrains and retrain results, applied at exactly the points of the input where the
/// live ingest thread applied them.
///
/// Once a journal shows a control record, retrains no longer run at the pipeline's trigger: the
/// request (same window snapshot, same champion, same sequence, because the pipeline saw the same
/// input up to there) is held until its `retrain_finished` record, then trained — training is
/// deterministic given its request — and offered to the pipeline there. So the outputs equal the
/// live ones whatever the live training latency was. Every disagreement with what was journalled
/// (another decision or version, a missing request, on time here but late live) is counted in
/// `parityMismatches` and logged, never silently diverged from.
extension ReplayRunner {
    func applyControl(_ entry: JournalEntryView, pipeline: inout StackingPipeline, handler: inout Handler,
                      isFirstRecord: Bool, afterStopMarker: Bool) throws {
        handler.controlRecords += 1
        handler.controlled = true
        let record: JournalControlRecord
        do { record = try JournalControlRecord.decode(frames: entry.frames) } catch {
            handler.mismatch("journal record \(entry.sequence): control record unreadable: \(error)", logger: logger)
            return
        }
        switch record {
        case .sessionStarted(let state):
            if !isFirstRecord {
                // The live daemon restarted here: the previous one drained at its graceful stop (its
                // stop marker), or lost its pending rows in a crash; the new one started afresh.
                if afterStopMarker { pipeline.drain(handler: &handler) }
                handler.finishedCounters.append(pipeline.counters)
                pipeline = try makePipeline()
                handler.pipeline = pipeline
                handler.currentPipeline = pipeline
            }
            handler.heldRequests.removeAll()
            handler.sessionDigests.append(OutputDigest())
            do {
                try RestoredStateRecord.restore(state, into: pipeline, scratchDirectory: NSTemporaryDirectory())
            } catch {
                handler.mismatch("journal record \(entry.sequence): the restored state cannot be re-enacted: \(error)", logger: logger)
            }
            logger.info("replay: session started", metadata: [
                "session": "\(handler.sessionDigests.count)",
                "window_rows": "\(state.horizons.map { "h\($0.horizon)=\($0.windowRowCount)" }.joined(separator: ","))",
                "awaiting_rows": "\(state.awaitingRowCount)",
                "models": "\(state.horizons.map { "h\($0.horizon)=\($0.method) v\($0.modelVersion)" }.joined(separator: ","))"])
        case .retrainRequested(let r):
            // The live loop fired the deadlines due at the request's time before taking it.
            pipeline.advance(to: entry.receivedAt, handler: &handler)
            for h in 0..<pipeline.horizonList.count {
                let request = pipeline.requestTraining(horizonIndex: h)
                let recorded = h < r.sequences.count ? r.sequences[h] : nil
                if request?.sequence != recorded {
                    handler.mismatch("journal record \(entry.sequence): on-demand request for horizon \(pipeline.horizonList[h]) has sequence \(request.map { String($0.sequence) } ?? "none"), live \(recorded.map(String.init) ?? "none")", logger: logger)
                }
                if let request { handler.heldRequests.append(request) }
            }
        case .retrainFinished(let r):
            pipeline.advance(to: entry.receivedAt, handler: &handler)
            handler.finishRetrain(r, at: entry.sequence, pipeline: pipeline)
        }
    }
}

extension ReplayRunner.Handler {
    func mismatch(_ message: String, logger: Logger) {
        parityMismatches.append(message)
        logger.error("replay parity mismatch", metadata: ["detail": "\(message)"])
    }

    /// Trains the held request a `retrain_finished` record names and offers its model, checking
    /// the outcome against the journalled one.
    func finishRetrain(_ r: JournalControlRecord.RetrainFinished, at record: UInt64, pipeline: StackingPipeline) {
        guard let index = heldRequests.firstIndex(where: { $0.sequence == r.sequence && $0.horizonIndex == r.horizonIndex }) else {
            mismatch("journal record \(record): no training request \(r.sequence) for horizon \(r.horizon) was taken in replay", logger: logger)
            return
        }
        let request = heldRequests[index]
        // Older requests of this horizon were coalesced away live (a newer one replaced them in the queue).
        heldRequests.removeAll { $0.horizonIndex == r.horizonIndex && $0.sequence <= r.sequence }
        guard let trainer else {
            mismatch("journal record \(record): the live daemon retrained horizon \(r.horizon); this replay has no trainer", logger: logger)
            return
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let result = trainer(request)
        trainingNanoseconds += DispatchTime.now().uptimeNanoseconds - start
        trainings.append(TrainingSummary(result))
        if let weights = Self.weights(of: result) { modelWeights.append(weights) }
        reportProgress()
        logger.info("retrain", metadata: [
            "horizon": "\(result.horizon)", "rows": "\(result.rows)", "decision": "\(result.decision.rawValue)",
            "reason": "\(result.reason)", "at_journal_record": "\(record)"])
        let version = result.combiner?.version ?? 0, method = result.combiner?.method.name ?? ""
        if result.decision.rawValue != r.decision || version != r.version || method != r.method {
            mismatch("journal record \(record): retrain \(r.sequence) of horizon \(r.horizon) gave \(result.decision.rawValue) \(method) v\(version), live \(r.decision) \(r.method) v\(r.version)", logger: logger)
        }
        // Challengers apply with the served model (live: the same `install`), whatever was decided.
        if !result.challengers.isEmpty {
            pipeline.offerChallengers(result.challengers, forHorizonIndex: r.horizonIndex, applyFrom: request.applyFrom)
        }
        guard let combiner = result.combiner else { return }
        if let recorded = r.probeDigest {
            let probe = ModelProbeDigest.digest(of: combiner, modelCount: pipeline.modelNames.count,
                                                classCount: pipeline.configuration.classCount, featureCount: pipeline.layout.count)
            if probe != recorded {
                mismatch("journal record \(record): model v\(version) of horizon \(r.horizon) computes otherwise than live (probe digest \(probe), live \(recorded))", logger: logger)
            }
        }
        let onTime = pipeline.offer(combiner, forHorizonIndex: r.horizonIndex, applyFrom: request.applyFrom, reference: result.reference)
        if onTime != r.onTime {
            mismatch("journal record \(record): model v\(version) of horizon \(r.horizon) is \(onTime ? "on time" : "late") here, \(r.onTime ? "on time" : "late") live", logger: logger)
        }
    }
}

extension PipelineCounters {
    /// Field-wise sum: the counters of a replay that re-enacted restarts (one pipeline per session).
    /// `labelsHeld` is a gauge: the later session's value is kept.
    func adding(_ o: PipelineCounters) -> PipelineCounters {
        func sum<T: AdditiveArithmetic>(_ a: [T], _ b: [T]) -> [T] {
            a.count == b.count ? zip(a, b).map { $0 + $1 } : a
        }
        var c = self
        c.predictionsAccepted += o.predictionsAccepted
        c.labelsAccepted += o.labelsAccepted
        c.labelsMatched += o.labelsMatched
        c.labelsUnmatched += o.labelsUnmatched
        c.labelsJoinedLate += o.labelsJoinedLate
        c.rejected = sum(c.rejected, o.rejected)
        c.rowsEmitted = sum(c.rowsEmitted, o.rowsEmitted)
        c.rowsDropped = sum(c.rowsDropped, o.rowsDropped)
        c.outputsPerHorizon = sum(c.outputsPerHorizon, o.outputsPerHorizon)
        c.sequenceGaps += o.sequenceGaps
        c.inputMessagesMissed = sum(c.inputMessagesMissed, o.inputMessagesMissed)
        c.labelMessagesMissed += o.labelMessagesMissed
        c.retrainsTriggered += o.retrainsTriggered
        c.modelInstalls += o.modelInstalls
        c.lateModelInstalls += o.lateModelInstalls
        c.alerts += o.alerts
        c.driftRetrains += o.driftRetrains
        return c
    }
}
