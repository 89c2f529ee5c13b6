/// The core of stackd: decode → validate → assemble → features → combine → emit, and the label
/// join that scores what was emitted.
///
/// It performs no I/O and reads no clock: drivers pass each message with its driver time
/// (receive time live, recorded or event time in replay) and call `advance(to:)` so deadlines
/// fire. The live daemon and replay therefore run the very same code. Single-threaded by
/// design: one ingest thread owns it; new models arrive through `install(_:forHorizonIndex:)`.
public final class StackingPipeline {
    public let configuration: PipelineConfiguration
    public let layout: StackingFeatureLayout
    public private(set) var counters: PipelineCounters
    /// Prequential scores and the emitted rows awaiting their labels (owned and mutated by the
    /// pipeline; read it, do not feed it).
    public let scoreboard: PrequentialScoreboard

    private var modelTable: NameTable
    private var symbolTable: NameTable
    private let horizons: [Int]
    private let assembler: RowAssembler
    private var combiners: [any MetaCombiner]
    private let averaging: AveragingCombiner
    private var outputSequence: [UInt64]
    /// Publisher sequence numbers: one stream per model, one for labels.
    private var predictionSequences: SequenceTracker
    private var labelSequences = SequenceTracker(streamCount: 1)
    private var regimeSequences = SequenceTracker(streamCount: 1)
    private let vector: UnsafeMutableBufferPointer<Double>
    private let features: UnsafeMutableBufferPointer<Double>
    private let ensembleOut: UnsafeMutableBufferPointer<Double>
    private let averageOut: UnsafeMutableBufferPointer<Double>
    /// Contributions of the served class (M + 2) and the learner's per-column scratch; empty
    /// unless `configuration.contributions`.
    private let contributionGroups: ContributionGroups
    private let contributionOut: UnsafeMutableBufferPointer<Double>
    private let contributionScratch: UnsafeMutableBufferPointer<Double>
    public let retrainPolicy: RetrainPolicy
    private var windows: [OutOfSampleWindow]
    private var labelsSinceRetrain: [Int]
    private var lastTriggerEventTime: [Int64]
    private var pending: [(combiner: any MetaCombiner, applyFrom: Int64)?]
    /// Challengers (`learner.challengers`): scored on every row, never served.
    public let challengerNames: [String]
    /// Per horizon index × challenger (h·C + c): the model in use, nil before its first retrain.
    private var challengers: [(any MetaCombiner)?]
    private var pendingChallengers: [(combiners: [any MetaCombiner], applyFrom: Int64)?]
    /// C×K: the challengers' predictions for the row being emitted.
    private let challengerOut: UnsafeMutableBufferPointer<Double>
    private var pendingReference: [PSIReference?]
    private var lastEmittedEventTime: [Int64]
    private var trainingSequence = 0
    /// Distinct prediction event times seen since each horizon's last clock trigger.
    private var eventTimesSinceRetrain: [Int]
    /// The newest prediction event time seen: the event clock retraining is scheduled by.
    public private(set) var eventClock: Int64 = .min
    /// Drift and calibration monitors, one per horizon (empty when monitoring is off).
    private var monitors: [DriftMonitor]
    private var alerts = AlertBuffer()
    private var earlyLabels: EarlyLabels
    private var skill: [RecentSkill]
    private let skillOut: UnsafeMutableBufferPointer<Double>
    /// Drift alarms may ask for a retrain at most once per this many labels per horizon.
    public let driftRetrainMinLabels: Int
    /// Whether labelled rows are kept in the per-horizon training windows. A driver that can never
    /// train (a replay without a trainer) turns it off: the window is only ever read to train, and
    /// keeping it copies every labelled row into megabytes of growing arrays.
    public let keepsTrainingWindow: Bool
    /// Retrains are scheduled (by labels, event times or drift) only with a schedule and a window
    /// to train from; on-demand requests go through `requestTraining`.
    private var schedulesRetrains: Bool { keepsTrainingWindow && retrainPolicy.isScheduled }

    /// - Parameter keepsTrainingWindow: false when nothing will ever train from this pipeline;
    ///   `requestTraining` then returns nil and scheduled retrains never fire.
    /// - Parameter challengers: learner names scored prequentially beside the served ensemble
    ///   (`offerChallengers`); `challengerWindow` is their recent window in labelled rows.
    public init(configuration: PipelineConfiguration, retrainPolicy: RetrainPolicy = .disabled,
                monitoring: Bool = false, driftRetrainMinLabels: Int = 500,
                keepsTrainingWindow: Bool = true, challengers challengerNames: [String] = [],
                challengerWindow: Int = 0) throws(ConfigurationError) {
        let problems = configuration.problems()
        guard problems.isEmpty else { throw ConfigurationError(problems: problems) }
        self.configuration = configuration
        let m = configuration.models.count, k = configuration.classCount
        layout = StackingFeatureLayout(models: configuration.models, classCount: k, regimeNames: configuration.regimeNames,
                                       skillWindow: configuration.skillWindow)
        horizons = configuration.horizons
        counters = PipelineCounters(horizonCount: horizons.count, modelCount: m)
        scoreboard = PrequentialScoreboard(modelCount: m, classCount: k, featureCount: layout.count,
                                           capacity: configuration.maxAwaitingLabels, horizonCount: horizons.count,
                                           challengerCount: challengerNames.count, challengerWindow: challengerWindow)
        self.challengerNames = challengerNames
        challengers = Array(repeating: nil, count: challengerNames.count * horizons.count)
        pendingChallengers = Array(repeating: nil, count: horizons.count)
        challengerOut = .allocate(capacity: max(challengerNames.count * k, 1))
        challengerOut.initialize(repeating: .nan)
        self.retrainPolicy = retrainPolicy
        windows = Array(repeating: OutOfSampleWindow(modelCount: m, classCount: k, featureCount: layout.count,
                                                     maxRows: retrainPolicy.windowRows, maxAgeNanoseconds: retrainPolicy.windowAge),
                        count: configuration.horizons.count)
        labelsSinceRetrain = Array(repeating: 0, count: configuration.horizons.count)
        eventTimesSinceRetrain = Array(repeating: 0, count: configuration.horizons.count)
        lastTriggerEventTime = Array(repeating: .min, count: configuration.horizons.count)
        pending = Array(repeating: nil, count: configuration.horizons.count)
        pendingReference = Array(repeating: nil, count: configuration.horizons.count)
        lastEmittedEventTime = Array(repeating: .min, count: configuration.horizons.count)
        monitors = monitoring ? configuration.horizons.map {
            DriftMonitor(configuration: DriftMonitorConfiguration(horizon: $0, modelNames: configuration.models.sorted(), classCount: k))
        } : []
        self.driftRetrainMinLabels = driftRetrainMinLabels
        self.keepsTrainingWindow = keepsTrainingWindow
        earlyLabels = EarlyLabels(capacity: max(1024, configuration.maxPendingRows))
        skill = configuration.skillWindow > 0
            ? Array(repeating: RecentSkill(window: configuration.skillWindow, modelCount: m), count: configuration.horizons.count) : []
        skillOut = .allocate(capacity: max(m, 1))
        skillOut.initialize(repeating: 0)
        modelTable = NameTable(capacity: m)
        for name in configuration.models { modelTable.insert(name) }
        symbolTable = NameTable(capacity: configuration.maxSymbols)
        for s in configuration.symbols { symbolTable.insert(s) }
        assembler = RowAssembler(modelCount: m, classCount: k, capacity: configuration.maxPendingRows,
                                 deadline: configuration.deadlineNanoseconds, minModels: configuration.minModels,
                                 maxSymbols: configuration.maxSymbols, horizonCount: horizons.count,
                                 regimeCount: configuration.regimeNames.count)
        averaging = AveragingCombiner(modelCount: m, classCount: k)
        combiners = Array(repeating: averaging, count: horizons.count)
        outputSequence = Array(repeating: 0, count: horizons.count)
        predictionSequences = SequenceTracker(streamCount: m)
        vector = .allocate(capacity: WireFormat.maxClassCount)
        features = .allocate(capacity: layout.count + 2)
        ensembleOut = .allocate(capacity: k)
        averageOut = .allocate(capacity: k)
        features.initialize(repeating: 0)
        contributionGroups = ContributionGroups(layout)
        contributionOut = .allocate(capacity: configuration.contributions ? contributionGroups.count : 0)
        contributionOut.initialize(repeating: 0)
        contributionScratch = .allocate(capacity: configuration.contributions ? contributionGroups.scratchCount : 0)
        contributionScratch.initialize(repeating: 0)
    }

    deinit {
        challengerOut.deallocate()
        skillOut.deallocate()
        vector.deallocate()
        features.deallocate()
        ensembleOut.deallocate()
        averageOut.deallocate()
        contributionOut.deallocate()
        contributionScratch.deallocate()
    }

    /// Model names in feature order (alphabetical).
    public var modelNames: [String] { modelTable.names }
    /// Symbols seen or configured, by id.
    public var symbolNames: [String] { symbolTable.names }
    public var horizonList: [Int] { horizons }
    public var pendingRows: Int { assembler.pendingCount }
    public var nextDeadline: Int64? { assembler.nextDeadline }

    /// The combiner in use for a horizon.
    public func combiner(forHorizonIndex h: Int) -> any MetaCombiner { combiners[h] }

    /// Swaps the combiner for one horizon. Called by the ingest thread between two events, so
    /// every output is produced wholly by one model version.
    public func install(_ combiner: any MetaCombiner, forHorizonIndex h: Int) { combiners[h] = combiner }

    /// Hands over a newly trained combiner that applies to rows with event time ≥ `applyFrom`
    /// (see `RetrainPolicy`). Returns false when a row at or after `applyFrom` was already
    /// emitted: the model then applies from the next row, and the late install is counted.
    /// `reference` is built from the window the model learned from (`TrainingRequest.driftReference()`,
    /// on the training thread): drift is measured against it from the moment the model applies.
    @discardableResult
    public func offer(_ combiner: any MetaCombiner, forHorizonIndex h: Int, applyFrom: Int64,
                      reference: PSIReference? = nil) -> Bool {
        let onTime = lastEmittedEventTime[h] < applyFrom
        if !onTime { counters.lateModelInstalls += 1 }
        pending[h] = (combiner, onTime ? applyFrom : .min)
        pendingReference[h] = reference
        return onTime
    }

    /// Hands over newly trained challengers (one per `challengerNames`, in that order) that apply
    /// from the same row as the served model of the same retrain would (`offer`). Returns false
    /// when a row at or after `applyFrom` was already emitted: they then apply from the next row.
    @discardableResult
    public func offerChallengers(_ models: [any MetaCombiner], forHorizonIndex h: Int, applyFrom: Int64) -> Bool {
        guard models.count == challengerNames.count, !models.isEmpty else { return false }
        let onTime = lastEmittedEventTime[h] < applyFrom
        pendingChallengers[h] = (models, onTime ? applyFrom : .min)
        return onTime
    }

    /// The challengers' scores on one horizon, in `challengerNames` order.
    public func challengerStandings(horizonIndex h: Int) -> [ChallengerStanding] {
        let c = challengerNames.count
        return (0..<c).map { scoreboard.challengers[h * c + $0].standing(name: challengerNames[$0]) }
    }

    /// The challenger in use for a horizon (nil before its first retrain).
    public func challenger(_ c: Int, forHorizonIndex h: Int) -> (any MetaCombiner)? { challengers[h * challengerNames.count + c] }

    /// Labels held because they arrived before their row, and those dropped when the store was full.
    public var heldLabels: Int { earlyLabels.count }
    public var droppedEarlyLabels: Int { earlyLabels.dropped }

    /// The monitors' view of one horizon (nil when monitoring is off).
    public func driftSnapshot(horizonIndex h: Int) -> DriftSnapshot? { monitors.isEmpty ? nil : monitors[h].snapshot }

    /// Hands the alerts raised since the last call to the handler, and asks for a retrain when
    /// an alarm calls for one (rate-limited per horizon by `driftRetrainMinLabels`).
    private func deliverAlerts<H: EnsembleOutputHandler>(_ handler: inout H) {
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

    /// The labelled out-of-sample rows of one horizon, within the window bounds.
    public func windowSnapshot(horizonIndex h: Int) -> OutOfSampleRows { windows[h].snapshot() }

    /// Gives `symbol` the next free id unless it has one (nil when the table is full). Why: a replay
    /// re-enacting a restart's restored state registers the live symbol table first, so every
    /// row keeps the id (and thus the training order) it had live.
    @discardableResult
    public func registerSymbol(_ symbol: String) -> Int? { symbolTable.insert(symbol) }

    /// Restores a labelled row persisted by an earlier run (start-up), without scoring it again.
    public func restore(horizonIndex h: Int, eventTime: Int64, exitTime: Int64, symbol: String, label: Int, forwardReturn: Double,
                        basePredictions: UnsafeBufferPointer<Double>, features: UnsafeBufferPointer<Double>,
                        ensemble: UnsafeBufferPointer<Double>, modelVersion: UInt32) {
        let id = symbolTable.insert(symbol) ?? 0
        if !skill.isEmpty { skill[h].add(base: basePredictions, classCount: configuration.classCount, label: label) }
        windows[h].append(eventTime: eventTime, exitTime: exitTime, symbol: Int32(id), label: label, forwardReturn: forwardReturn,
                          basePredictions: basePredictions, features: features, ensemble: ensemble, modelVersion: modelVersion)
    }

    /// Every emitted row still waiting for its label, as a labelled-row view with label −1: what a
    /// graceful stop persists so that labels arriving after a restart still find their rows.
    public func forEachAwaitingRow(_ body: (LabeledRow) -> Void) {
        scoreboard.forEachAwaiting { row in
            let h = Int(row.key.horizonIndex)
            symbolTable.withName(Int(row.key.symbol)) { symbol in
                body(LabeledRow(horizon: horizons[h], horizonIndex: h, symbol: symbol, eventTime: row.key.eventTime, exitTime: 0,
                                label: -1, forwardReturn: 0, basePredictions: row.basePredictions, features: row.features,
                                ensemble: row.ensemble, modelVersion: row.modelVersion))
            }
        }
    }

    /// Puts back a row that was waiting for its label when the daemon stopped. The averaging
    /// baseline is recomputed from the base vectors (missing ones were stored imputed).
    public func restoreAwaitingRow(horizonIndex h: Int, symbol: String, eventTime: Int64,
                                   basePredictions: UnsafeBufferPointer<Double>, features: UnsafeBufferPointer<Double>,
                                   ensemble: UnsafeBufferPointer<Double>, modelVersion: UInt32) {
        guard let id = symbolTable.insert(symbol) else { return }
        averaging.combine(basePredictions: basePredictions, features: features, presentMask: .max, into: averageOut)
        scoreboard.remember(key: RowKey(symbol: id, horizonIndex: h, eventTime: eventTime), base: basePredictions,
                            ensemble: ensemble, average: UnsafeBufferPointer(averageOut), features: features,
                            modelVersion: modelVersion)
    }

    /// A training request for one horizon now, whatever the schedule (on demand: a control
    /// message or a signal). Nil when the window is empty.
    public func requestTraining(horizonIndex h: Int) -> TrainingRequest? {
        guard windows[h].count > 0 else { return nil }
        return makeRequest(h)
    }

    private func makeRequest(_ h: Int, applyFrom: Int64? = nil) -> TrainingRequest {
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
    private func advanceEventClock<H: EnsembleOutputHandler>(to t: Int64, handler: inout H) {
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

    private func process<H: EnsembleOutputHandler>(
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
    private func ingestRegime<H: EnsembleOutputHandler>(
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

    /// Joins a label to its emitted row: scores it, adds it to the window, persists it through the
    /// handler and runs the label-driven retrain schedule. False when no row awaits it.
    private func applyLabel<H: EnsembleOutputHandler>(
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

    /// Counts the messages a model's publisher sent that never arrived (`schemas/wire.md` §6.3).
    @inline(__always)
    private func trackSequence(of model: Int, _ sequence: UInt64) {
        let missed = predictionSequences.observe(stream: model, sequence: sequence)
        if missed > 0 {
            counters.sequenceGaps += 1
            counters.inputMessagesMissed[model] = counters.inputMessagesMissed[model].addingSaturating(missed)
        }
    }

    /// Labels carry one sequence across all labels (one label publisher per deployment).
    @inline(__always)
    private func trackLabelSequence(_ sequence: UInt64) {
        let missed = labelSequences.observe(stream: 0, sequence: sequence)
        if missed > 0 { counters.labelMessagesMissed = counters.labelMessagesMissed.addingSaturating(missed) }
    }

    private func validate(_ f: PredictionFields) throws(WireRejection) {
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

    private func symbolID(_ bytes: UnsafeRawBufferPointer) -> Int? {
        if let id = symbolTable.id(of: bytes) { return id }
        guard configuration.symbols.isEmpty else { return nil }
        return symbolTable.insert(bytes)
    }

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
    private func deliver<H: EnsembleOutputHandler>(_ row: FinishedRow, handler: inout H) {
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
    private func emit<H: EnsembleOutputHandler>(
        key: RowKey, probabilities: UnsafeBufferPointer<Double>, regimes: UnsafeBufferPointer<Double>,
        regimeImputed: Bool, presentMask: UInt64, presentCount: Int,
        completion: RowCompletion, lastArrival: Int64, handler: inout H
    ) {
        let m = configuration.models.count, k = configuration.classCount
        let h = Int(key.horizonIndex)
        if !skill.isEmpty { skill[h].write(classCount: k, into: skillOut) }
        StackingFeatures.compute(probabilities: probabilities, modelCount: m, classCount: k, presentMask: presentMask,
                                 regimeValues: regimes.isEmpty ? nil : regimes,
                                 skill: skill.isEmpty ? nil : UnsafeBufferPointer(skillOut), into: features)
        let featureView = UnsafeBufferPointer(rebasing: features[0..<layout.count])
        if let p = pending[h], key.eventTime >= p.applyFrom {
            combiners[h] = p.combiner
            pending[h] = nil
            counters.modelInstalls += 1
            if !monitors.isEmpty, let reference = pendingReference[h] {
                monitors[h].setReference(reference)
            }
            pendingReference[h] = nil
        }
        if key.eventTime > lastEmittedEventTime[h] { lastEmittedEventTime[h] = key.eventTime }
        let combiner = combiners[h]
        combiner.combine(basePredictions: probabilities, features: featureView, presentMask: presentMask, into: ensembleOut)
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
                            average: UnsafeBufferPointer(averageOut), features: featureView, modelVersion: combiner.version,
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
                predictedClass: predicted, method: combiner.method, modelVersion: combiner.version,
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

extension StackingPipeline {
    /// The challengers' predictions for the row being emitted, into `challengerOut` (NaN first
    /// for a challenger not installed yet). Installs the pending challengers due at this row.
    /// Never published: they are only remembered with the row, to be scored when its label comes.
    @inline(__always)
    fileprivate func shadow(horizonIndex h: Int, eventTime: Int64, probabilities: UnsafeBufferPointer<Double>,
                            features: UnsafeBufferPointer<Double>, presentMask: UInt64) {
        let c = challengerNames.count, k = configuration.classCount
        if let p = pendingChallengers[h], eventTime >= p.applyFrom {
            for i in 0..<c { challengers[h * c + i] = p.combiners[i] }
            pendingChallengers[h] = nil
        }
        for i in 0..<c {
            let out = UnsafeMutableBufferPointer(rebasing: challengerOut[(i * k)..<((i + 1) * k)])
            if let model = challengers[h * c + i] {
                model.combine(basePredictions: probabilities, features: features, presentMask: presentMask, into: out)
            } else {
                out[0] = .nan
            }
        }
    }
}

/// A configuration the pipeline cannot run with; `problems` says every reason.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public var problems: [String]
    public init(problems: [String]) { self.problems = problems }
    public var description: String { problems.joined(separator: "; ") }
}
