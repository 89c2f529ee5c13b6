/// Emission: rows that completed (or hit their deadline) are combined by the horizon's model,
/// published through the handler with their model version and completion, remembered for the
/// label join, and the pending model installs due at their event time happen here.
extension StackingPipeline {
    /// Fires every deadline at or before driver time `now`.
    public func advance<H: EnsembleOutputHandler>(to now: Int64, handler: inout H) {
        while let row = assembler.finishExpired(now: now) { deliver(row, handler: &handler) }
    }

    /// Emits every pending row (graceful stop).
    public func drain<H: EnsembleOutputHandler>(handler: inout H) {
        while let row = assembler.finishOldest(completion: .drained) { deliver(row, handler: &handler) }
    }

    /// Emits a row that left assembly, or counts it as dropped. Called before the next `add`,
    /// while the row's vectors are still in their slot.
    func deliver<H: EnsembleOutputHandler>(_ row: FinishedRow, handler: inout H) {
        if row.dropped {
            // A row only a regime opened is a regime nobody predicted, not a dropped row.
            if row.presentCount == 0 { counters.regimesUnused += 1 } else { counters.rowsDropped[Int(row.completion.rawValue)] += 1 }
            return
        }
        if assembler.regimeCount > 0 && !row.regimePresent { counters.rowsWithoutRegime += 1 }
        emit(key: row.key, probabilities: assembler.probabilities(of: row), regimes: assembler.regimes(of: row),
             regimeImputed: assembler.regimeCount > 0 && !row.regimePresent, presentMask: row.presentMask,
             presentCount: row.presentCount, completion: row.completion, lastArrival: row.lastArrival, handler: &handler)
    }

    /// Features, combination, scoring and emission of one assembled row.
    func emit<H: EnsembleOutputHandler>(
        key: RowKey, probabilities: UnsafeBufferPointer<Double>, regimes: UnsafeBufferPointer<Double>,
        regimeImputed: Bool, presentMask: UInt64, presentCount: Int,
        completion: RowCompletion, lastArrival: Int64, handler: inout H
    ) {
        let m = configuration.models.count, k = configuration.classCount
        let h = Int(key.horizonIndex)
        if key.eventTime >= pendingApplyFrom[h], let p = pending[h] {
            combiners[h] = p.combiner
            pending[h] = nil
            pendingApplyFrom[h] = .max
            counters.modelInstalls += 1
            if !monitors.isEmpty, let reference = pendingReference[h] {
                monitors[h].setReference(reference)
            }
            pendingReference[h] = nil
        }
        if key.eventTime > lastEmittedEventTime[h] { lastEmittedEventTime[h] = key.eventTime }
        // One copy (one retain) of the combiner for the row: each access of `combiners[h]` in place
        // retains and releases it again (measured: three accesses cost more than the copy).
        let combiner = combiners[h]
        // Features depend on the row only, not on the model installed above.
        let featureView: UnsafeBufferPointer<Double>
        if computesFeaturesAlways || combiner.readsFeatures {
            if !skill.isEmpty { skill[h].write(classCount: k, into: skillOut) }
            StackingFeatures.compute(probabilities: probabilities, modelCount: m, classCount: k, presentMask: presentMask,
                                     regimeValues: regimes.isEmpty ? nil : regimes,
                                     skill: skill.isEmpty ? nil : UnsafeBufferPointer(skillOut), into: features)
            featureView = UnsafeBufferPointer(rebasing: features[0..<layout.count])
        } else {
            featureView = UnsafeBufferPointer(rebasing: features[0..<0])
        }
        combiner.combine(basePredictions: probabilities, features: featureView, presentMask: presentMask, into: ensembleOut)
        let modelVersion = combiner.version, method = combiner.method
        let challengerCount = challengerNames.count
        if challengerCount > 0 {
            shadow(horizonIndex: h, eventTime: key.eventTime, probabilities: probabilities, features: featureView,
                   presentMask: presentMask)
        }
        averaging.combine(basePredictions: probabilities, features: featureView, presentMask: presentMask, into: averageOut)
        var predicted = 0
        for c in 1..<k where ensembleOut[c] > ensembleOut[predicted] { predicted = c }
        let sequence = outputSequence[h]
        outputSequence[h] = sequence &+ 1
        counters.rowsEmitted[Int(completion.rawValue)] += 1
        counters.outputsPerHorizon[h] += 1
        scoreboard.remember(key: key, base: probabilities, ensemble: UnsafeBufferPointer(ensembleOut),
                            average: UnsafeBufferPointer(averageOut), features: featureView, modelVersion: modelVersion,
                            presentMask: presentMask, challengers: challengerCount > 0 ? UnsafeBufferPointer(challengerOut) : nil)
        if !monitors.isEmpty {
            monitors[h].observePrediction(base: probabilities, presentMask: presentMask, eventTime: key.eventTime, into: &alerts)
        }
        var contributions: EnsembleContributions? = nil
        if configuration.contributions, let source = combiner as? any ContributingCombiner,
           source.writeContributions(servedClass: predicted, basePredictions: probabilities, features: featureView,
                                     presentMask: presentMask, scratch: contributionScratch, into: contributionOut) {
            contributions = EnsembleContributions(scale: source.contributionScale, servedClass: predicted,
                                                  values: UnsafeBufferPointer(contributionOut))
        }
        symbolTable.withName(Int(key.symbol)) { symbol in
            handler.emit(EnsembleEmission(
                symbol: symbol, symbolID: Int(key.symbol), horizon: horizons[h], horizonIndex: h,
                eventTime: key.eventTime, sequence: sequence, probabilities: UnsafeBufferPointer(ensembleOut),
                predictedClass: predicted, method: method, modelVersion: modelVersion,
                presentMask: presentMask, presentCount: presentCount, modelCount: m, completion: completion,
                lastArrival: lastArrival, basePredictions: probabilities, features: featureView,
                regimeImputed: regimeImputed, contributions: contributions))
        }
        deliverAlerts(&handler)
        if earlyLabels.count > 0, let label = earlyLabels.take(key) {
            counters.labelsHeld = earlyLabels.count
            counters.labelsJoinedLate += 1
            symbolTable.withName(Int(key.symbol)) { symbol in
                _ = applyLabel(key: key, symbolBytes: symbol, classIndex: label.classIndex, forwardReturn: label.forwardReturn,
                               exitTime: label.exitTime, handler: &handler)
            }
        }
    }
}
