/// Retrain scheduling: when a horizon's retrain is due (labels, distinct event times, event
/// seconds, drift alarms, or on demand), the request that snapshots its training window, and the
/// event clock the schedule runs on. Models come back through `offer`/`install`.
extension StackingPipeline {
    /// The labelled out-of-sample rows of one horizon, within the window bounds.
    public func windowSnapshot(horizonIndex h: Int) -> OutOfSampleRows { windows[h].snapshot() }


    /// A training request for one horizon now, whatever the schedule (on demand: a control
    /// message or a signal). Nil when the window is empty.
    public func requestTraining(horizonIndex h: Int) -> TrainingRequest? {
        guard windows[h].count > 0 else { return nil }
        return makeRequest(h)
    }

    /// A retrain request now even when the window is empty: with several pipelines, a retrain
    /// waits for every pipeline's segment, and an empty segment is still one.
    public func requestTrainingSegment(horizonIndex h: Int) -> TrainingRequest {
        makeRequest(h)
    }

    /// Drops the window rows of horizon `h` older than `eventTime` (the oldest row of a merged
    /// window, with several pipelines). Returns how many were dropped.
    @discardableResult
    public func dropWindowRows(horizonIndex h: Int, olderThan eventTime: Int64) -> Int {
        windows[h].dropRows(olderThan: eventTime)
    }

    /// Makes room in horizon `h`'s training window for `rows` labelled rows (bounded by the
    /// window), so that keeping them never regrows its columns. A replay knows its label count.
    public func reserveTrainingWindow(rows: Int, horizonIndex h: Int) {
        guard keepsTrainingWindow else { return }
        windows[h].reserveCapacity(expectedRows: rows)
    }

    /// Rows in the window of horizon `h` (within bounds, or a few beyond until the next trim).
    public func windowRowCount(horizonIndex h: Int) -> Int { windows[h].count }

    func makeRequest(_ h: Int, applyFrom: Int64? = nil) -> TrainingRequest {
        labelsSinceRetrain[h] = 0
        eventTimesSinceRetrain[h] = 0
        lastTriggerEventTime[h] = eventClock
        trainingSequence += 1
        counters.retrainsTriggered += 1
        return TrainingRequest(
            horizon: horizons[h], horizonIndex: h, triggerEventTime: eventClock,
            applyFrom: applyFrom ?? (eventClock &+ max(retrainPolicy.applyDelay, 1)), rows: windows[h].snapshot(),
            champion: pending[h]?.combiner ?? combiners[h], sequence: trainingSequence,
            driftReferenceBuilder: monitors.isEmpty ? nil : monitors[h].referenceBuilder,
            challengers: challengerNames.isEmpty ? [] : challengerStandings(horizonIndex: h))
    }

    /// The event clock moves to a new distinct event time: clock-scheduled retrains fire first,
    /// so that their models can apply to the rows of this very event time.
    func advanceEventClock<H: EnsembleOutputHandler>(to t: Int64, handler: inout H) {
        let first = eventClock == .min
        eventClock = t
        guard schedulesRetrains, retrainPolicy.everyEventTimes > 0 else { return }
        for h in 0..<horizons.count {
            if !first { eventTimesSinceRetrain[h] += 1 }
            if eventTimesSinceRetrain[h] >= retrainPolicy.everyEventTimes || (first && retrainPolicy.everyEventTimes == 1) {
                guard windows[h].count >= retrainPolicy.minRows else {
                    eventTimesSinceRetrain[h] = 0
                    continue
                }
                handler.trainingDue(makeRequest(h, applyFrom: t &+ retrainPolicy.applyDelay))
            }
        }
    }


    /// Hands the alerts raised since the last call to the handler, and asks for a retrain when
    /// an alarm calls for one (rate-limited per horizon by `driftRetrainMinLabels`).
    func deliverAlerts<H: EnsembleOutputHandler>(_ handler: inout H) {
        guard !alerts.alerts.isEmpty else { return }
        for var alert in alerts.alerts {
            counters.alerts += 1
            // The monitor marks the kinds that may ask for a retrain; what is published says
            // whether this alert did (configuration, schedule, rate limit and window allowing).
            var request: TrainingRequest? = nil
            if alert.triggersRetrain, schedulesRetrains, let h = horizonIndex(of: alert.horizon),
               labelsSinceRetrain[h] >= driftRetrainMinLabels, windows[h].count >= retrainPolicy.minRows {
                counters.driftRetrains += 1
                request = makeRequest(h)
            }
            alert.triggersRetrain = request != nil
            handler.alert(alert)
            if let request { handler.trainingDue(request) }
        }
        alerts.alerts.removeAll(keepingCapacity: true)
    }
}
