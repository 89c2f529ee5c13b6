import Foundation
import StackdLearning

/// `report.html`: the backtest for a human, in one file that opens offline (no scripts, no
/// external styles or fonts, charts as inline SVG). Summary first — who wins between the
/// ensemble, averaging and the best single model — then the detail per horizon.
public enum HTMLReport {
    /// Charts drawn per horizon: cumulative P&L, cumulative log-loss difference, rolling
    /// log-loss, model versions, model weights, and one reliability diagram per class. Tests count
    /// `<svg` against this. A replay with `output.contributions` adds one more: mean |contribution|
    /// per model over time.
    public static let chartsPerHorizon = 8

    public static func render(_ report: BacktestReport, charts: [HorizonCharts]) -> String {
        var h = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <title>stackd backtest: \(e(report.source))</title>
        <style>
        body { font-family: sans-serif; margin: 24px; color: #222; max-width: 1260px; }
        table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
        th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
        th:first-child, td:first-child, td.text { text-align: left; }
        th { background: #f2f2f2; }
        td.win { font-weight: bold; background: #e6f4e6; }
        td.lose { background: #fbe3e3; }
        .note { color: #555; font-size: 13px; }
        .reliability-row { display: flex; gap: 12px; flex-wrap: wrap; }
        svg.chart { display: block; margin: 8px 0; font-family: sans-serif; }
        section.horizon { border-top: 2px solid #444; margin-top: 28px; }
        </style></head><body>
        <h1>stackd backtest: \(e(report.source))</h1>

        """
        h += "<p>Output digest <code>\(e(report.digest))</code> over \(report.outputs) ensemble outputs; \(report.events) events replayed; models \(e(report.models.joined(separator: ", "))); horizons \(report.horizons.map { String($0.horizon) }.joined(separator: ", ")).</p>\n"
        if let t = report.timing {
            h += "<p>Time: ingest \(fmt(t.ingestSeconds, 2)) s (\(fmt(t.eventsPerSecond, 0)) events/s), training \(fmt(t.trainingSeconds, 2)) s.</p>\n"
        }
        h += summary(report)
        for (i, horizon) in report.horizons.enumerated() {
            h += section(horizon, charts: i < charts.count ? charts[i] : nil)
        }
        h += countersSection(report.counters)
        h += "</body></html>\n"
        return h
    }

    // MARK: - Summary

    static func summary(_ report: BacktestReport) -> String {
        var h = "<h2>Verdict on the held-out window: who wins</h2>\n"
        h += "<p class=\"note\">Each horizon is judged on its evaluation window only (\(e(report.horizons.first?.evaluation?.window ?? EvaluationWindow.standard.description))); the warm-up before it is shown per horizon but never scored. Per metric, the ensemble is compared with every baseline on the same rows: difference (ensemble − baseline) ± its block-bootstrap standard error (blocks of consecutive event times, at least one holding period long; 1000 resamples, reproducible), and a verdict: <b>beats</b> (better by more than 2 SE), <b>ties</b> (within 2 SE) or <b>loses to</b>. Log-loss: lower is better; macro-F1 and Sharpe: higher is better. The best single model is chosen by \(e(BacktestReport.bestSingleRule)). The class prior predicts the frequencies of the labels known when the row was predicted (add-one smoothed). Sharpe is of trading the arg-max class (position −1/0/+1 × forward return), pooled over symbols, overlapping holding periods, no costs.</p>\n"
        h += "<table><tr><th>horizon</th><th>metric</th><th>ensemble</th><th>best</th>"
        let baselineOrder = ["averaging", "best_single", "class_prior", "always_majority", "always_long"]
        h += ["averaging", "best single", "class prior", "always majority", "always long"].map { "<th>vs \($0)</th>" }.joined() + "</tr>\n"
        var sentences: [String] = []
        for hr in report.horizons {
            guard let verdict = BacktestVerdict(hr) else {
                h += "<tr><td>h=\(hr.horizon)</td><td class=\"text\" colspan=\"8\">no labelled rows in the evaluation window</td></tr>\n"
                continue
            }
            for line in verdict.lines {
                h += "<tr><td>h=\(hr.horizon)</td><td class=\"text\">\(e(line.metric.rawValue))</td><td>\(fmt(line.ensembleValue, 4))</td>"
                h += "<td class=\"text\">\(e(line.best.joined(separator: " = ")))</td>"
                for key in baselineOrder {
                    guard let c = line.comparisons.first(where: { $0.baseline == key }) else { h += "<td>–</td>"; continue }
                    let css = c.verdict == "wins" ? " class=\"win\"" : c.verdict == "loses" ? " class=\"lose\"" : ""
                    let verb = c.verdict == "wins" ? "beats" : c.verdict == "loses" ? "loses to" : "ties"
                    h += "<td\(css) title=\"\(e(c.baselineName))\">\(fmt(c.baselineValue, 4))<br>\(String(format: "%+.4f", c.difference)) ± \(fmt(c.standardError, 4))<br><b>\(verb)</b></td>"
                }
                h += "</tr>\n"
            }
            var s = "h=\(hr.horizon), \(verdict.windowRows) rows from \(verdict.windowStartDate): " + verdict.sentences.joined(separator: "; ") + "."
            if verdict.ensembleIsAveraging {
                s += " The ensemble published averaging throughout the window (no stacked model was in use), so ensemble and averaging are the same numbers."
            }
            sentences.append(s)
        }
        h += "</table>\n<ul>\n" + sentences.map { "<li>\(e($0))</li>\n" }.joined() + "</ul>\n"
        return h
    }

    // MARK: - One horizon

    static func section(_ hr: BacktestReport.HorizonReport, charts: HorizonCharts?) -> String {
        var h = "<section class=\"horizon\" id=\"h\(hr.horizon)\">\n<h2>Horizon \(hr.horizon)</h2>\n"
        h += "<p>\(hr.rows) labelled rows"
        if let a = hr.firstDate, let b = hr.lastDate { h += ", event times \(e(a)) to \(e(b))" }
        if let ev = hr.evaluation {
            h += "; evaluation window from \(e(ev.windowStartDate)) (\(ev.rows) rows, \(e(ev.window))), warm-up \(ev.warmupRows) rows (not scored); bootstrap: \(ev.blocks) blocks of \(ev.blockLength) consecutive event times"
        }
        h += ".</p>\n"
        if let b = hr.bestSingle {
            h += "<p class=\"note\">Best single model: <b>\(e(b.model))</b> — \(e(b.rule)) (log-loss on \(b.selectionRows) rows: \(e(zip(hr.methods.filter { $0.kind == .base }.map(\.name), b.selectionLogLoss).map { "\($0) \(fmt($1, 4))" }.joined(separator: ", ")))).</p>\n"
        }
        h += "<h3>Evaluation window</h3>\n" + methodsTable(hr.methods)
        if !hr.warmup.isEmpty { h += "<h3>Warm-up (shown, not scored)</h3>\n" + methodsTable(hr.warmup) }
        if let c = charts {
            let all = c.markers + c.alertMarkers
            h += SVGChart.time(title: "h=\(hr.horizon): cumulative P&L without overlapping holding periods (a position every \(hr.horizon) event times)",
                               yLabel: "cumulative return", series: c.cumulativePnL, markers: c.markers, timeRange: c.timeRange)
            h += SVGChart.time(title: "h=\(hr.horizon): cumulative log-loss difference (ensemble − baseline; down = ensemble better)",
                               yLabel: "Σ Δ log-loss", series: c.cumulativeLogLossDifference, markers: all, timeRange: c.timeRange)
            h += SVGChart.time(title: "h=\(hr.horizon): rolling log-loss (\(c.window) rows; axis up to the 99th percentile)", yLabel: "log-loss",
                               series: c.rollingLogLoss, markers: all, timeRange: c.timeRange, valueMax: c.rollingLogLossAxisMax)
            h += SVGChart.time(title: "h=\(hr.horizon): ensemble model version, numbered per horizon (0 = averaging)", yLabel: "version",
                               series: [c.versions], markers: c.markers, timeRange: c.timeRange, step: true)
            h += SVGChart.time(title: "h=\(hr.horizon): model weights of the combiner in use (share of importance per base model; class prior in fallbacks)",
                               yLabel: "weight", series: c.modelWeights, markers: c.markers, timeRange: c.timeRange, step: true)
            if !c.contributions.isEmpty {
                h += SVGChart.time(title: "h=\(hr.horizon): mean |contribution| to the served class per base model, per day (logit or probability, as the combiner in use decomposes; wire.md §4.3.1)",
                                   yLabel: "mean |contribution|", series: c.contributions, markers: c.markers, timeRange: c.timeRange)
            }
            h += "<p class=\"note\">Vertical lines: retrains at the event time their model applies from (dashed; green promote, orange fallback, grey keep, red failed), the evaluation window start (black), drift alerts (pink dotted) and calibration alerts (brown dotted): \(c.alertCount) alerts\(c.alertCount > c.alertMarkers.count ? ", the first \(c.alertMarkers.count) drawn" : ""). Hover for details.</p>\n"
        }
        if let ens = hr.method(.ensemble), let avg = hr.method(.averaging) {
            h += "<div class=\"reliability-row\">\n"
            for (c, name) in classNames(ens.metrics.reliability.count).enumerated() {
                h += SVGChart.reliability(title: "h=\(hr.horizon): reliability, \(name)", curves: [
                    ("ensemble", HorizonCharts.colors.ensemble, ens.metrics.reliability[c]),
                    ("averaging", HorizonCharts.colors.averaging, avg.metrics.reliability[c])])
            }
            h += "</div>\n"
        }
        h += challengersTable(hr)
        h += retrainsTable(hr)
        h += diversityTable(hr)
        return h + "</section>\n"
    }

    /// Class names for headings: short, neutral, long when K = 3; otherwise the index, with the
    /// lowest class marked short and the highest long (their positions in the P&L).
    static func classNames(_ k: Int) -> [String] {
        if k == 3 { return ["short", "neutral", "long"] }
        return (0..<k).map { $0 == 0 ? "class 0 (short)" : ($0 == k - 1 ? "class \($0) (long)" : "class \($0)") }
    }

    static func methodsTable(_ methods: [BacktestReport.MethodReport]) -> String {
        let k = methods.first?.metrics.ece.count ?? 3
        let eceHeaders = classNames(k).map { "<th>ECE \(e($0))</th>" }.joined()
        var h = "<table><tr><th>method</th><th>log-loss</th><th>Brier</th><th>accuracy</th><th>macro-F1</th><th>Sharpe</th><th>IC</th><th>win rate</th>\(eceHeaders)<th>% short</th><th>% long</th></tr>\n"
        for m in methods {
            let r = m.metrics
            let cells = [r.logLoss, r.brier, r.accuracy, r.f1Macro, r.sharpe, r.informationCoefficient, r.winRate] + r.ece
            h += "<tr><td>\(e(m.name))</td>" + cells.map { "<td>\(fmt($0, 4))</td>" }.joined()
                + "<td>\(fmt(100 * r.fracShort, 1))</td><td>\(fmt(100 * r.fracLong, 1))</td></tr>\n"
        }
        return h + "</table>\n<p class=\"note\">Class prior: (n_c + 1)/(n + \(k)) over the labels known when the row was predicted (exit time before its event time). Always majority: one-hot on the most frequent known label; a miss costs −ln(1e-15) ≈ 34.5 in log-loss. Always long: one-hot long.</p>\n"
    }

    static func retrainsTable(_ hr: BacktestReport.HorizonReport) -> String {
        var h = "<h3>Retrains</h3>\n"
        guard !hr.retrains.isEmpty else {
            return h + "<p class=\"note\">No retrains: the ensemble is averaging for the whole replay.</p>\n"
        }
        h += "<p>\(hr.retrains.count) retrains, \(hr.fallbacks.count) fallbacks.</p>\n"
        h += "<table><tr><th>applies from</th><th>decision</th><th>version</th><th>rows</th><th>reason</th></tr>\n"
        for r in hr.retrains {
            h += "<tr><td>\(e(r.date))</td><td class=\"text\">\(e(r.decision))</td><td>\(r.version)</td><td>\(r.rows)</td><td class=\"text\">\(e(r.reason))</td></tr>\n"
        }
        return h + "</table>\n"
    }

    static func diversityTable(_ hr: BacktestReport.HorizonReport) -> String {
        guard let d = hr.diversity else { return "" }
        var h = "<h3>Diversity of the base models</h3>\n<p>Composite \(fmt(d.score.composite, 3)), grade \(e("\(d.score.grade)")).</p>\n"
        h += "<table><tr><th>pair</th><th>disagreement</th><th>double fault</th><th>ρ (correctness)</th><th>score correlation</th></tr>\n"
        for p in d.pairs {
            h += "<tr><td>\(e(p.pair))</td><td>\(fmt(p.disagreement, 4))</td><td>\(fmt(p.doubleFault, 4))</td><td>\(fmt(p.rhoCorrect, 4))</td><td>\(fmt(p.scoreCorrelation, 4))</td></tr>\n"
        }
        h += "</table>\n"
        if !d.recommendations.isEmpty { h += "<ul>" + d.recommendations.map { "<li>\(e($0))</li>" }.joined() + "</ul>\n" }
        return h
    }

    static func countersSection(_ c: BacktestReport.Counters) -> String {
        var h = "<h2>Counters</h2>\n<table><tr><th>counter</th><th>value</th></tr>\n"
        let rows: [(String, Int)] = [("predictions accepted", c.predictionsAccepted), ("labels accepted", c.labelsAccepted),
                                     ("labels matched", c.labelsMatched), ("labels unmatched", c.labelsUnmatched),
                                     ("rejected (total)", c.totalRejected), ("sequence gaps", c.sequenceGaps),
                                     ("retrains triggered", c.retrainsTriggered), ("model installs", c.modelInstalls)]
            + c.rowsEmitted.sorted { $0.key < $1.key }.map { ("rows emitted: \($0.key)", $0.value) }
            + c.rowsDropped.sorted { $0.key < $1.key }.map { ("rows dropped: \($0.key)", $0.value) }
        for (name, value) in rows { h += "<tr><td>\(e(name))</td><td>\(value)</td></tr>\n" }
        h += "</table>\n<h3>Rejects by reason</h3>\n<table><tr><th>reason</th><th>count</th></tr>\n"
        for (reason, n) in c.rejected.sorted(by: { ($1.value, $0.key) < ($0.value, $1.key) }) {
            h += "<tr><td>\(e(reason))</td><td>\(n)</td></tr>\n"
        }
        return h + "</table>\n"
    }

    static func e(_ s: String) -> String { HTMLEscaping.escape(s) }
    static func fmt(_ v: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", v) }
}
