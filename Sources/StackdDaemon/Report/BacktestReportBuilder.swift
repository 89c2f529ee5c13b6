import StackdCore
import StackdLearning

extension BacktestReport {
    /// Builds the report from a replay. Pure: no I/O, no clock (timing is copied from the result).
    ///
    /// - Parameters:
    ///   - result: what `ReplayRunner.run` returned.
    ///   - source: how the replayed stream is named in the report.
    public init(result: ReplayRunner.Result, source: String) {
        self.init(result: result, source: source, matrices: LabelledMatrices.all(result))
    }

    init(result: ReplayRunner.Result, source: String, matrices: [LabelledMatrices]) {
        formatVersion = Self.currentFormatVersion
        self.source = source
        digest = result.digest.description
        outputs = result.digest.count
        events = result.events
        models = result.modelNames
        counters = Counters(result.counters)
        let ingest = Double(result.ingestNanoseconds) / 1e9
        timing = Timing(ingestSeconds: ingest, trainingSeconds: Double(result.trainingNanoseconds) / 1e9,
                        eventsPerSecond: ingest > 0 ? Double(result.events) / ingest : 0)
        horizons = matrices.map { m in HorizonReport(m, trainings: result.trainings.filter { $0.horizon == m.horizon }) }
    }

    /// Wording of the best-single rule, shared by the JSON and the HTML.
    public static let bestSingleRule =
        "highest macro-F1 on the first half of the labelled rows (in label order); evaluated on all rows"
}

extension BacktestReport.Counters {
    init(_ c: PipelineCounters) {
        predictionsAccepted = c.predictionsAccepted
        labelsAccepted = c.labelsAccepted
        labelsMatched = c.labelsMatched
        labelsUnmatched = c.labelsUnmatched
        var rejected: [String: Int] = [:]
        for reason in RejectReason.allCases { rejected[reason.rawValue] = c.rejected(reason) }
        self.rejected = rejected
        totalRejected = c.totalRejected
        var emitted: [String: Int] = [:], dropped: [String: Int] = [:]
        for completion in RowCompletion.allCases {
            emitted["\(completion)"] = c.rowsEmitted[Int(completion.rawValue)]
            dropped["\(completion)"] = c.rowsDropped[Int(completion.rawValue)]
        }
        rowsEmitted = emitted
        rowsDropped = dropped
        sequenceGaps = c.sequenceGaps
        retrainsTriggered = c.retrainsTriggered
        modelInstalls = c.modelInstalls
        outputsPerHorizon = c.outputsPerHorizon
    }
}

extension BacktestReport.HorizonReport {
    init(_ m: LabelledMatrices, trainings: [TrainingSummary]) {
        horizon = m.horizon
        rows = m.rows
        firstEventTime = m.eventTimes.min()
        lastEventTime = m.eventTimes.max()
        firstDate = firstEventTime.map { CivilDate.dateString(epochNanoseconds: $0) }
        lastDate = lastEventTime.map { CivilDate.dateString(epochNanoseconds: $0) }

        func evaluate(_ p: Matrix) -> EvaluationReport {
            EvaluationReport(probabilities: p, labels: m.labels, forwardReturns: m.forwardReturns, horizon: m.horizon)
        }
        typealias Method = BacktestReport.MethodReport
        var methods = [Method(name: "ensemble", kind: .ensemble, metrics: evaluate(m.ensemble)),
                       Method(name: "averaging", kind: .averaging, metrics: evaluate(m.averaging))]
        let perModel = m.models.indices.map { m.model($0) }
        let baseMethods = zip(m.models, perModel).map { Method(name: $0, kind: .base, metrics: evaluate($1)) }
        if let choice = BestSingleSelection.choose(models: m.models, perModel: perModel, labels: m.labels) {
            bestSingle = choice
            let j = m.models.firstIndex(of: choice.model)!
            methods.append(Method(name: "best single (\(choice.model))", kind: .bestSingle, metrics: baseMethods[j].metrics))
        } else {
            bestSingle = nil
        }
        methods += baseMethods
        methods.append(Method(name: "class prior", kind: .classPrior,
                              metrics: evaluate(PrequentialBaselines.classPrior(labels: m.labels))))
        methods.append(Method(name: "always majority", kind: .alwaysMajority,
                              metrics: evaluate(PrequentialBaselines.alwaysMajority(labels: m.labels))))
        methods.append(Method(name: "always long", kind: .alwaysLong,
                              metrics: evaluate(PrequentialBaselines.constant(classIndex: 2, rows: m.rows))))
        self.methods = methods

        var changes: [BacktestReport.VersionChange] = []
        for (t, v) in zip(m.eventTimes, m.modelVersions) where changes.last?.version != v {
            changes.append(.init(eventTime: t, date: CivilDate.dateString(epochNanoseconds: t), version: v))
        }
        modelVersions = changes
        retrains = trainings.map {
            .init(applyFrom: $0.applyFrom, date: CivilDate.dateString(epochNanoseconds: $0.applyFrom),
                  decision: $0.decision.rawValue, reason: $0.reason, version: $0.version, rows: $0.rows)
        }
        fallbacks = retrains.filter { $0.decision == TrainingResult.Decision.fallback.rawValue }
        diversity = m.models.count >= 2 && m.rows > 0 ? DiversityAnalysis(m.base, labels: m.labels, models: m.models) : nil
    }
}

/// Picks the best single model on the first half so that the baseline is one a quant could have
/// chosen at the time, not the one that looks best in hindsight.
public enum BestSingleSelection {
    /// Nil when there are no models or fewer than two labelled rows.
    public static func choose(models: [String], perModel: [Matrix], labels: [Int]) -> BacktestReport.BestSingleChoice? {
        let half = labels.count / 2
        guard !models.isEmpty, half > 0 else { return nil }
        let y = Array(labels[0..<half])
        let f1 = perModel.map { p in
            Metrics.macroF1(predicted: Array(Metrics.predictedClasses(p)[0..<half]), actual: y)
        }
        var best = 0
        for j in f1.indices where f1[j] > f1[best] { best = j }   // ties: the first model
        return .init(model: models[best], selectionRows: half, selectionF1: f1, rule: BacktestReport.bestSingleRule)
    }
}
