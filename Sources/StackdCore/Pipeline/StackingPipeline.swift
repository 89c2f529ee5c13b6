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
    public internal(set) var counters: PipelineCounters
    /// Prequential scores and the emitted rows awaiting their labels (owned and mutated by the
    /// pipeline; read it, do not feed it).
    public let scoreboard: PrequentialScoreboard

    let modelTable: NameTable
    let symbolTable: NameTable
    let horizons: [Int]
    let assembler: RowAssembler
    var combiners: [any MetaCombiner]
    let averaging: AveragingCombiner
    var outputSequence: [UInt64]
    /// Publisher sequence numbers: one stream per model, one for labels.
    var predictionSequences: SequenceTracker
    var labelSequences = SequenceTracker(streamCount: 1)
    var regimeSequences = SequenceTracker(streamCount: 1)
    let vector: UnsafeMutableBufferPointer<Double>
    let features: UnsafeMutableBufferPointer<Double>
    let ensembleOut: UnsafeMutableBufferPointer<Double>
    let averageOut: UnsafeMutableBufferPointer<Double>
    /// Contributions of the served class (M + 2) and the learner's per-column scratch; empty
    /// unless `configuration.contributions`.
    let contributionGroups: ContributionGroups
    let contributionOut: UnsafeMutableBufferPointer<Double>
    let contributionScratch: UnsafeMutableBufferPointer<Double>
    public let retrainPolicy: RetrainPolicy
    var windows: [OutOfSampleWindow]
    var labelsSinceRetrain: [Int]
    var lastTriggerEventTime: [Int64]
    var pending: [(combiner: any MetaCombiner, applyFrom: Int64)?]
    /// `pending[h]?.applyFrom`, `.max` when none: emission tests this plain integer per row
    /// instead of copying the optional (retaining and releasing its combiner).
    var pendingApplyFrom: [Int64]
    /// Challengers (`learner.challengers`): scored on every row, never served.
    public let challengerNames: [String]
    /// Per horizon index × challenger (h·C + c): the model in use, nil before its first retrain.
    var challengers: [(any MetaCombiner)?]
    var pendingChallengers: [(combiners: [any MetaCombiner], applyFrom: Int64)?]
    /// C×K: the challengers' predictions for the row being emitted.
    let challengerOut: UnsafeMutableBufferPointer<Double>
    var pendingReference: [PSIReference?]
    var lastEmittedEventTime: [Int64]
    var trainingSequence = 0
    /// Distinct prediction event times seen since each horizon's last clock trigger.
    var eventTimesSinceRetrain: [Int]
    /// The newest prediction event time seen: the event clock retraining is scheduled by.
    public internal(set) var eventClock: Int64 = .min
    /// Drift and calibration monitors, one per horizon (empty when monitoring is off).
    var monitors: [DriftMonitor]
    var alerts = AlertBuffer()
    var earlyLabels: EarlyLabels
    var skill: [RecentSkill]
    let skillOut: UnsafeMutableBufferPointer<Double>
    /// Drift alarms may ask for a retrain at most once per this many labels per horizon.
    public let driftRetrainMinLabels: Int
    /// Whether labelled rows are kept in the per-horizon training windows. A driver that can never
    /// train (a replay without a trainer) turns it off: the window is only ever read to train, and
    /// keeping it copies every labelled row into megabytes of growing arrays.
    public let keepsTrainingWindow: Bool
    /// Retrains are scheduled (by labels, event times or drift) only with a schedule and a window
    /// to train from; on-demand requests go through `requestTraining`.
    var schedulesRetrains: Bool { keepsTrainingWindow && retrainPolicy.isScheduled }
    /// Whether every output carries its stacking features (`EnsembleEmission.features`). A driver
    /// whose handler never reads them (a replay of events) turns it off: a row's features are then
    /// computed only when something else reads them (`computesFeaturesAlways`, or a combiner that
    /// `readsFeatures`), and otherwise the output and the labelled row carry none (empty). They
    /// were ≈ 385 instructions per replayed oos-daily event (twelve `log` calls per row).
    public let emitsFeatures: Bool
    /// The training window, challengers or contributions read every row's features.
    let computesFeaturesAlways: Bool

    /// - Parameter keepsTrainingWindow: false when nothing will ever train from this pipeline;
    ///   `requestTraining` then returns nil and scheduled retrains never fire.
    /// - Parameter challengers: learner names scored prequentially beside the served ensemble
    ///   (`offerChallengers`); `challengerWindow` is their recent window in labelled rows.
    /// - Parameter emitsFeatures: false when the handler never reads `EnsembleEmission.features`
    ///   nor `LabeledRow.features` (see `emitsFeatures`).
    public init(configuration: PipelineConfiguration, retrainPolicy: RetrainPolicy = .disabled,
                monitoring: Bool = false, driftRetrainMinLabels: Int = 500,
                keepsTrainingWindow: Bool = true, challengers challengerNames: [String] = [],
                challengerWindow: Int = 0, emitsFeatures: Bool = true) throws(ConfigurationError) {
        let problems = configuration.problems()
        guard problems.isEmpty else { throw ConfigurationError(problems: problems) }
        self.configuration = configuration
        let m = configuration.models.count, k = configuration.classCount
        layout = StackingFeatureLayout(models: configuration.models, classCount: k, regimeNames: configuration.regimeNames,
                                       skillWindow: configuration.skillWindow)
        horizons = configuration.horizons
        counters = PipelineCounters(horizonCount: horizons.count, modelCount: m)
        self.emitsFeatures = emitsFeatures
        computesFeaturesAlways = emitsFeatures || keepsTrainingWindow || !challengerNames.isEmpty || configuration.contributions
        // The scoreboard keeps a row's features only to lend them to the window and the labelled row.
        scoreboard = PrequentialScoreboard(modelCount: m, classCount: k, featureCount: computesFeaturesAlways ? layout.count : 0,
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
        pendingApplyFrom = Array(repeating: .max, count: configuration.horizons.count)
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
        pendingApplyFrom[h] = onTime ? applyFrom : .min
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
}
