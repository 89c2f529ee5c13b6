import StackdLearning

extension BacktestReport {
    /// One challenger (`learner.challengers`) on one horizon's evaluation window, beside the served
    /// ensemble on exactly the same rows: the window's rows emitted once the challenger was installed
    /// (its first retrain's apply time), as the live metrics score it.
    public struct ChallengerReport: Codable, Sendable, Equatable {
        /// The learner's registry name.
        public var name: String
        /// Window rows both are scored on (0 when the challenger was never installed in the window).
        public var rows: Int
        /// The challenger's metrics on those rows (nil with no rows).
        public var metrics: EvaluationReport?
        /// The served ensemble's metrics on the same rows (nil with no rows).
        public var ensemble: EvaluationReport?
        /// Per metric, ensemble − challenger with its block-bootstrap standard error and the
        /// verdict from the ensemble's side (`PairedComparison`; "loses": the challenger did better).
        public var comparisons: [PairedComparison]
    }
}

extension LabelledMatrices {
    /// Challenger `c`'s N × K matrix out of the replay's N × C·K rows, and which rows it had (a
    /// NaN first probability: not installed yet when the row was emitted).
    static func challenger(_ c: Int, of rows: ReplayResult.LabelledRows, count: Int, classes: Int) -> (Matrix, [Bool]) {
        let n = rows.labels.count
        var out = Matrix(rows: n, cols: classes)
        var present = [Bool](repeating: false, count: n)
        guard rows.challengers.count == n * count * classes else { return (out, present) }
        for i in 0..<n {
            let o = (i * count + c) * classes
            present[i] = !rows.challengers[o].isNaN
            for k in 0..<classes { out[i, k] = present[i] ? rows.challengers[o + k] : 1 / Double(classes) }
        }
        return (out, present)
    }
}

extension BacktestReport.HorizonReport {
    /// The challengers' section of one horizon: every challenger on the window rows it was installed for.
    static func challengers(_ m: LabelledMatrices, rows: ReplayResult.LabelledRows, names: [String],
                            window held: [Int]) -> [BacktestReport.ChallengerReport] {
        names.enumerated().map { c, name in
            let (p, present) = LabelledMatrices.challenger(c, of: rows, count: names.count, classes: m.classCount)
            let scored = held.filter { present[$0] }
            guard !scored.isEmpty else {
                return .init(name: name, rows: 0, metrics: nil, ensemble: nil, comparisons: [])
            }
            let y = scored.map { m.labels[$0] }, r = scored.map { m.forwardReturns[$0] }
            func evaluate(_ x: Matrix) -> EvaluationReport {
                EvaluationReport(probabilities: x.selectingRows(scored), labels: y, forwardReturns: r, horizon: m.horizon)
            }
            let comparisons = WindowComparisons(horizon: m.horizon, rows: scored, eventTimes: m.eventTimes, labels: m.labels,
                                                forwardReturns: m.forwardReturns, ensemble: m.ensemble,
                                                baselines: [("challenger", name, p)]).comparisons
            return .init(name: name, rows: scored.count, metrics: evaluate(p), ensemble: evaluate(m.ensemble), comparisons: comparisons)
        }
    }
}

extension HTMLReport {
    /// The challengers beside the served ensemble on the same window rows, log-loss with its SE.
    static func challengersTable(_ hr: BacktestReport.HorizonReport) -> String {
        guard let challengers = hr.challengers, !challengers.isEmpty else { return "" }
        var h = "<h3>Challengers (scored, never served)</h3>\n"
        h += "<p class=\"note\">Each challenger on the evaluation window's rows emitted once it was installed, beside the served ensemble on the same rows; Δ = ensemble − challenger with its block-bootstrap SE (negative: the ensemble did better).</p>\n"
        h += "<table><tr><th>challenger</th><th>rows</th><th>log-loss</th><th>ensemble log-loss</th><th>Δ log-loss</th><th>SE</th><th>ensemble</th></tr>\n"
        for c in challengers {
            guard let own = c.metrics, let ensemble = c.ensemble,
                  let d = c.comparisons.first(where: { $0.metric == "log_loss" }) else {
                h += "<tr><td class=\"text\">\(e(c.name))</td><td>0</td><td colspan=\"5\" class=\"text\">never installed in the window</td></tr>\n"
                continue
            }
            h += "<tr><td class=\"text\">\(e(c.name))</td><td>\(c.rows)</td><td>\(fmt(own.logLoss, 4))</td><td>\(fmt(ensemble.logLoss, 4))</td>"
            h += "<td>\(fmt(d.difference, 4))</td><td>\(fmt(d.standardError, 4))</td><td class=\"text\">\(e(d.verdict))</td></tr>\n"
        }
        return h + "</table>\n"
    }
}
