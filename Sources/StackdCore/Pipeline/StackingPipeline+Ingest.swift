/// Ingest: one message in — topic and payload decoded and validated, the vector stored in its
/// row (rows complete when every model has reported, or at their deadline), regimes joined, and
/// publisher sequence numbers tracked. Rejections are counted by reason, never thrown past here.
extension StackingPipeline {
    public func horizonIndex(of horizon: Int) -> Int? {
        for i in 0..<horizons.count where horizons[i] == horizon { return i }
        return nil
    }

    /// Ingests one `[topic][payload]` message received at driver time `receivedAt` (ns).
    /// Pass `topic: nil` to skip the topic check (e.g. a replay source without topics).
    @discardableResult
    public func ingest<H: EnsembleOutputHandler>(
        topic: UnsafeRawBufferPointer?, payload: UnsafeRawBufferPointer, receivedAt: Int64, handler: inout H
    ) -> IngestOutcome {
        do throws(WireRejection) {
            return try process(topic: topic, payload: payload, receivedAt: receivedAt, handler: &handler)
        } catch {
            counters.reject(error.reason)
            return .rejected(error)
        }
    }

    /// Counts a message refused before it reached the pipeline (framing, oversize) so that
    /// every refusal shows up in the same counters.
    public func countRejection(_ reason: RejectReason) { counters.reject(reason) }

    func process<H: EnsembleOutputHandler>(
        topic: UnsafeRawBufferPointer?, payload: UnsafeRawBufferPointer, receivedAt: Int64, handler: inout H
    ) throws(WireRejection) -> IngestOutcome {
        guard payload.count <= configuration.maxPayloadBytes else {
            throw WireRejection(.oversize, "payload is larger than max_payload_bytes")
        }
        let message = try WireDecoder.decode(payload, probabilities: vector)
        switch message {
        case .prediction(let f):
            // Any decoded prediction of a configured model advances its sequence tracker, refused
            // or not: it reached stackd, so it is counted under its reason, never as missed.
            let knownModel = modelTable.id(of: f.model)
            if let knownModel { trackSequence(of: knownModel, f.sequence) }
            if let topic, !Topic.matches(topic, prediction: f) {
                throw WireRejection(.topicMismatch, "topic is not pred.<symbol>.<horizon>.<model> of the payload")
            }
            try validate(f)
            guard let model = knownModel else {
                throw WireRejection(.unknownModel, "model is not a configured base model")
            }
            guard let h = horizonIndex(of: f.horizon) else {
                throw WireRejection(.unknownHorizon, "horizon is not configured")
            }
            guard let symbol = symbolID(f.symbol) else {
                throw WireRejection(.unknownSymbol, "symbol is not configured or the symbol table is full")
            }
            if f.eventTime > eventClock { advanceEventClock(to: f.eventTime, handler: &handler) }
            let key = RowKey(symbol: symbol, horizonIndex: h, eventTime: f.eventTime)
            var result = assembler.add(key: key, model: model, vector: UnsafeBufferPointer(vector), receivedAt: receivedAt)
            if case .full = result {
                // Every slot taken: the oldest row goes out first, then this one gets its slot.
                if let oldest = assembler.finishOldest(completion: .evicted) { deliver(oldest, handler: &handler) }
                result = assembler.add(key: key, model: model, vector: UnsafeBufferPointer(vector), receivedAt: receivedAt)
            }
            switch result {
            case .accepted:
                counters.predictionsAccepted += 1
                return .prediction
            case .completed(let row):
                counters.predictionsAccepted += 1
                deliver(row, handler: &handler)
                return .prediction
            case .duplicate: throw WireRejection(.duplicate, "this model's vector for this row was already received")
            case .late: throw WireRejection(.late, "row is older than the assembly watermark")
            case .full: preconditionFailure("assembly has no free slot right after an eviction")
            }
        case .label(let f):
            trackLabelSequence(f.sequence)
            if let topic, !Topic.matches(topic, label: f) {
                throw WireRejection(.topicMismatch, "topic is not label.<symbol>.<horizon> of the payload")
            }
            guard f.classCount == 0 || f.classCount == configuration.classCount else {
                throw WireRejection(.wrongArity, "label class_count differs from the configured class count")
            }
            guard f.classIndex < configuration.classCount else {
                throw WireRejection(.badLabel, "label class index is not below the class count")
            }
            guard f.forwardReturn.isFinite else { throw WireRejection(.nonFinite, "fwd_return is NaN or infinite") }
            guard let h = horizonIndex(of: f.horizon) else {
                throw WireRejection(.unknownHorizon, "horizon is not configured")
            }
            guard let symbol = symbolID(f.symbol) else {
                throw WireRejection(.unknownSymbol, "symbol is not configured or the symbol table is full")
            }
            counters.labelsAccepted += 1
            let exitTime = f.exitTime > 0 ? f.exitTime : max(eventClock, f.eventTime)
            let key = RowKey(symbol: symbol, horizonIndex: h, eventTime: f.eventTime)
            let matched = applyLabel(key: key, symbolBytes: f.symbol, classIndex: f.classIndex, forwardReturn: f.forwardReturn,
                                     exitTime: exitTime, handler: &handler)
            if !matched {
                if f.eventTime > assembler.watermark(symbol: symbol, horizonIndex: h) {
                    // Its row may still be emitted: hold the label until it is.
                    earlyLabels.hold(key, EarlyLabels.Held(classIndex: f.classIndex, forwardReturn: f.forwardReturn, exitTime: exitTime))
                    counters.labelsHeld = earlyLabels.count
                } else {
                    counters.labelsUnmatched += 1
                }
            }
            return .label(matched: matched)
        case .regime(let f):
            return try ingestRegime(f, topic: topic, receivedAt: receivedAt, handler: &handler)
        }
    }

    /// A regime message fills the regime slot of its (symbol, event time) row in every horizon
    /// (`schemas/wire.md` §7). Taken if at least one horizon's row takes it; refused as `late` or
    /// `duplicate` only when every horizon refuses it so.
    func ingestRegime<H: EnsembleOutputHandler>(
        _ f: RegimeFields, topic: UnsafeRawBufferPointer?, receivedAt: Int64, handler: inout H
    ) throws(WireRejection) -> IngestOutcome {
        let missed = regimeSequences.observe(stream: 0, sequence: f.sequence)
        if missed > 0 { counters.regimeMessagesMissed = counters.regimeMessagesMissed.addingSaturating(missed) }
        if let topic, !Topic.matches(topic, regime: f) {
            throw WireRejection(.topicMismatch, "topic is not regime.<symbol> of the payload")
        }
        guard assembler.regimeCount > 0 else {
            throw WireRejection(.unknownKind, "regime message, but no regimes are configured (regimes.names)")
        }
        guard f.count == assembler.regimeCount else {
            throw WireRejection(.wrongArity, "number of regime values differs from regimes.names")
        }
        guard let symbol = symbolID(f.symbol) else {
            throw WireRejection(.unknownSymbol, "symbol is not configured or the symbol table is full")
        }
        let values = UnsafeBufferPointer(rebasing: UnsafeBufferPointer(vector)[0..<f.count])
        var taken = false, duplicates = 0
        for h in 0..<horizons.count {
            let key = RowKey(symbol: symbol, horizonIndex: h, eventTime: f.eventTime)
            var result = assembler.addRegime(key: key, values: values, receivedAt: receivedAt)
            if case .full = result {
                if let oldest = assembler.finishOldest(completion: .evicted) { deliver(oldest, handler: &handler) }
                result = assembler.addRegime(key: key, values: values, receivedAt: receivedAt)
            }
            switch result {
            case .accepted: taken = true
            case .completed(let row): taken = true; deliver(row, handler: &handler)
            case .duplicate: duplicates += 1
            case .late: break
            case .full: preconditionFailure("assembly has no free slot right after an eviction")
            }
        }
        guard taken else {
            if duplicates > 0 { throw WireRejection(.duplicate, "this row's regime was already received") }
            throw WireRejection(.late, "row is older than the assembly watermark in every horizon")
        }
        counters.regimesAccepted += 1
        return .regime
    }

    /// Counts the messages a model's publisher sent that never arrived (`schemas/wire.md` §6.3).
    @inline(__always)
    func trackSequence(of model: Int, _ sequence: UInt64) {
        let missed = predictionSequences.observe(stream: model, sequence: sequence)
        if missed > 0 {
            counters.sequenceGaps += 1
            counters.inputMessagesMissed[model] = counters.inputMessagesMissed[model].addingSaturating(missed)
        }
    }

    /// Labels carry one sequence across all labels (one label publisher per deployment).
    @inline(__always)
    func trackLabelSequence(_ sequence: UInt64) {
        let missed = labelSequences.observe(stream: 0, sequence: sequence)
        if missed > 0 { counters.labelMessagesMissed = counters.labelMessagesMissed.addingSaturating(missed) }
    }

    func validate(_ f: PredictionFields) throws(WireRejection) {
        guard f.classCount == configuration.classCount else {
            throw WireRejection(.wrongArity, "number of probabilities differs from the class count")
        }
        var sum = 0.0
        for c in 0..<f.classCount {
            let p = vector[c]
            guard p.isFinite else { throw WireRejection(.nonFinite, "a probability is NaN or infinite") }
            guard p >= 0 else { throw WireRejection(.negativeProbability, "a probability is negative") }
            sum += p
        }
        guard abs(sum - 1) <= configuration.sumTolerance else {
            throw WireRejection(.badSum, "probabilities do not sum to 1 within sum_tolerance")
        }
    }

    func symbolID(_ bytes: UnsafeRawBufferPointer) -> Int? {
        if let id = symbolTable.id(of: bytes) { return id }
        guard configuration.symbols.isEmpty else { return nil }
        return symbolTable.insert(bytes)
    }
}
