/// The label join: a realized label meets the row emitted for its (symbol, horizon, event time),
/// scores what was served and the baselines prequentially, feeds the monitors and the training
/// window, and counts towards the retrain schedule. A label that arrives before its row waits in
/// `earlyLabels`.
extension StackingPipeline {
    /// Joins a label to its emitted row: scores it, adds it to the window, persists it through the
    /// handler and runs the label-driven retrain schedule. False when no row awaits it.
    func applyLabel<H: EnsembleOutputHandler>(
        key: RowKey, symbolBytes: UnsafeRawBufferPointer, classIndex: Int, forwardReturn: Double, exitTime: Int64,
        handler: inout H
    ) -> Bool {
        let h = Int(key.horizonIndex)
        // The row is lent by the scoreboard (a stored property of this object) while the window,
        // another one, takes its copy: two disjoint accesses, so the window is appended in place.
        let matched = scoreboard.score(key: key, label: classIndex) { row in
            if keepsTrainingWindow {
                windows[h].append(eventTime: key.eventTime, exitTime: exitTime, symbol: key.symbol, label: classIndex,
                                  forwardReturn: forwardReturn, basePredictions: row.basePredictions, features: row.features,
                                  ensemble: row.ensemble, modelVersion: row.modelVersion)
            }
            if !skill.isEmpty { skill[h].add(logLosses: row.baseLogLosses) }
            if !monitors.isEmpty {
                monitors[h].observeLabelled(ensemble: row.ensemble, base: row.basePredictions, label: classIndex,
                                            eventTime: key.eventTime, presentMask: row.presentMask,
                                            baseLogLosses: row.baseLogLosses, baseHits: row.baseHits, into: &alerts)
            }
            var labelled = LabeledRow(
                horizon: horizons[h], horizonIndex: h, symbol: symbolBytes, eventTime: key.eventTime, exitTime: exitTime,
                label: classIndex, forwardReturn: forwardReturn, basePredictions: row.basePredictions,
                features: row.features, ensemble: row.ensemble, modelVersion: row.modelVersion)
            labelled.challengers = row.challengers
            handler.rowLabeled(labelled)
        }
        deliverAlerts(&handler)
        guard matched else { return false }
        counters.labelsMatched += 1
        labelsSinceRetrain[h] += 1
        if schedulesRetrains, windows[h].count >= retrainPolicy.minRows,
           (retrainPolicy.everyLabels > 0 && labelsSinceRetrain[h] >= retrainPolicy.everyLabels)
            || (retrainPolicy.everyEventTime > 0 && (lastTriggerEventTime[h] == .min
                || eventClock &- lastTriggerEventTime[h] >= retrainPolicy.everyEventTime)) {
            handler.trainingDue(makeRequest(h))
        }
        return true
    }
}
