import StackdCore
import StackdLearning
import StackdTraining

extension BacktestReport {
    /// Builds the report from a replay. Pure: no I/O, no clock (timing is copied from the result).
    ///
    /// - Parameters:
    ///   - result: what `ReplayRunner.run` returned.
    ///   - source: how the replayed stream is named in the report.
    ///   - window: the held-out rows the verdict is computed on.
    public init(result: ReplayResult, source: String, window: EvaluationWindow = .standard) {
        self.init(result: result, source: source, matrices: LabelledMatrices.all(result), window: window)
    }

    init(result: ReplayResult, source: String, matrices: [LabelledMatrices], window: EvaluationWindow = .standard) {
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
        horizons = matrices.map { m in
            HorizonReport(m, predictors: HeldOutPredictors(m, window: window), window: window,
                          trainings: result.trainings.filter { $0.horizon == m.horizon })
        }
        if !result.challengerNames.isEmpty {
            for (i, m) in matrices.enumerated() where i < horizons.count && i < result.labelled.count {
                let held = HeldOutPredictors(m, window: window).windowRows(m)
                horizons[i].challengers = HorizonReport.challengers(m, rows: result.labelled[i], names: result.challengerNames, window: held)
            }
        }
    }

    /// Wording of the best-single rule, shared by the JSON and the HTML.
    public static let bestSingleRule =
        "lowest log-loss on the warm-up rows whose label was known before the evaluation window; evaluated on the window"
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
    init(_ m: LabelledMatrices, predictors: HeldOutPredictors, window: EvaluationWindow, trainings: [TrainingSummary]) {
        horizon = m.horizon
        rows = m.rows
        firstEventTime = m.eventTimes.min()
        lastEventTime = m.eventTimes.max()
        firstDate = firstEventTime.map { CivilDate.dateString(epochNanoseconds: $0) }
        lastDate = lastEventTime.map { CivilDate.dateString(epochNanoseconds: $0) }

        let held = predictors.windowRows(m), warm = predictors.warmupRows(m)
        if let best = predictors.bestSingle {
            bestSingle = .init(model: m.models[best], selectionRows: predictors.bestSingleSelectionRows,
                               selectionLogLoss: predictors.bestSingleSelectionLogLoss, rule: BacktestReport.bestSingleRule)
        } else {
            bestSingle = nil
        }
        let perModel = m.models.indices.map { m.model($0) }
        typealias Method = BacktestReport.MethodReport
        /// Every method on `rows` (indices in event-time order).
        func methods(on rows: [Int]) -> [Method] {
            let y = rows.map { m.labels[$0] }, r = rows.map { m.forwardReturns[$0] }
            func evaluate(_ p: Matrix) -> EvaluationReport {
                EvaluationReport(probabilities: p.selectingRows(rows), labels: y, forwardReturns: r, horizon: m.horizon)
            }
            var out = [Method(name: "ensemble", kind: .ensemble, metrics: evaluate(m.ensemble)),
                       Method(name: "averaging", kind: .averaging, metrics: evaluate(m.averaging))]
            let base = zip(m.models, perModel).map { Method(name: $0, kind: .base, metrics: evaluate($1)) }
            if let best = predictors.bestSingle {
                out.append(Method(name: "best single (\(m.models[best]))", kind: .bestSingle, metrics: base[best].metrics))
            }
            out += base
            out.append(Method(name: "class prior", kind: .classPrior, metrics: evaluate(predictors.classPrior)))
            out.append(Method(name: "always majority", kind: .alwaysMajority, metrics: evaluate(predictors.alwaysMajority)))
            out.append(Method(name: "always long", kind: .alwaysLong, metrics: evaluate(predictors.alwaysLong)))
            return out
        }
        self.methods = methods(on: held)
        warmup = warm.isEmpty ? [] : methods(on: warm)

        if held.isEmpty {
            evaluation = nil
        } else {
            var baselines: [(String, String, Matrix)] = [("averaging", "averaging", m.averaging)]
            if let best = predictors.bestSingle { baselines.append(("best_single", "best single (\(m.models[best]))", perModel[best])) }
            baselines += [("class_prior", "class prior", predictors.classPrior),
                          ("always_majority", "always majority", predictors.alwaysMajority),
                          ("always_long", "always long", predictors.alwaysLong)]
            let c = WindowComparisons(horizon: m.horizon, rows: held, eventTimes: m.eventTimes, labels: m.labels,
                                      forwardReturns: m.forwardReturns, ensemble: m.ensemble, baselines: baselines)
            evaluation = .init(window: window.description, windowStart: predictors.windowStart,
                               windowStartDate: CivilDate.dateString(epochNanoseconds: predictors.windowStart),
                               rows: held.count, warmupRows: warm.count, blockLength: c.blockLength, blocks: c.blocks,
                               resamples: PairedComparison.resamples, seed: UInt64(max(m.horizon, 0)),
                               comparisons: c.comparisons)
        }

        var changes: [BacktestReport.VersionChange] = []
        for i in predictors.order where changes.last?.version != m.modelVersions[i] {
            let t = m.eventTimes[i]
            changes.append(.init(eventTime: t, date: CivilDate.dateString(epochNanoseconds: t), version: m.modelVersions[i]))
        }
        modelVersions = changes
        retrains = trainings.map {
            .init(applyFrom: $0.applyFrom, date: CivilDate.dateString(epochNanoseconds: $0.applyFrom),
                  decision: $0.decision.rawValue, reason: $0.reason, version: $0.version, rows: $0.rows)
        }
        fallbacks = retrains.filter { $0.decision == TrainingResult.Decision.fallback.rawValue }
        diversity = m.models.count >= 2 && !held.isEmpty
            ? DiversityAnalysis(m.base.selectingRows(held), labels: held.map { m.labels[$0] }, models: m.models) : nil
    }
}
