import Foundation
import StackdLearning

/// `report.html`: the backtest for a human, in one file that opens offline (no scripts, no
/// external styles or fonts, charts as inline SVG). Summary first — who wins between the
/// ensemble, averaging and the best single model — then the detail per horizon.
public enum HTMLReport {
    /// Charts drawn per horizon: cumulative P&L, rolling log-loss, model versions, and one
    /// reliability diagram per class. Tests count `<svg` against this.
    public static let chartsPerHorizon = 6

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
        var h = "<h2>Ensemble vs averaging vs best single: who wins</h2>\n"
        h += "<p class=\"note\">Log-loss: lower is better. Macro-F1 and Sharpe: higher is better. The best single model is chosen by \(e(BacktestReport.bestSingleRule)). Sharpe is of trading the arg-max class (position −1/0/+1 × forward return), pooled over symbols, overlapping holding periods, no costs; on rising indices “always long” has a Sharpe as high as any ensemble’s, so it is shown beside them.</p>\n"
        h += "<table><tr><th>horizon</th><th>metric</th><th>ensemble</th><th>averaging</th><th>best single</th><th>winner</th><th>always long</th><th>class prior</th></tr>\n"
        var sentences: [String] = []
        for hr in report.horizons {
            guard let verdict = BacktestVerdict(hr) else {
                h += "<tr><td>h=\(hr.horizon)</td><td class=\"text\" colspan=\"7\">no labelled rows</td></tr>\n"
                continue
            }
            for line in verdict.lines {
                let naive = [BacktestReport.MethodKind.alwaysLong, .classPrior].map { kind in
                    hr.method(kind).map { fmt(line.metric.value($0), 4) } ?? "–"
                }
                h += "<tr><td>h=\(hr.horizon)</td><td class=\"text\">\(e(line.metric.rawValue))</td>"
                for (name, value) in line.values {
                    h += "<td\(line.winners.contains(name) ? " class=\"win\"" : "")>\(fmt(value, 4))</td>"
                }
                if line.values.count < 3 { h += "<td>–</td>" }
                h += "<td class=\"text\">\(e(line.winners.joined(separator: " = ")))</td><td>\(naive[0])</td><td>\(naive[1])</td></tr>\n"
            }
            var s = "h=\(hr.horizon): " + verdict.sentences.joined(separator: "; ") + "."
            if verdict.ensembleIsAveraging {
                s += " The ensemble published averaging throughout (no stacked model was installed), so ensemble and averaging are the same numbers."
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
        h += ".</p>\n"
        if let b = hr.bestSingle {
            h += "<p class=\"note\">Best single model: <b>\(e(b.model))</b> — \(e(b.rule)) (macro-F1 on the first \(b.selectionRows) rows: \(e(zip(hr.methods.filter { $0.kind == .base }.map(\.name), b.selectionF1).map { "\($0) \(fmt($1, 4))" }.joined(separator: ", ")))).</p>\n"
        }
        h += methodsTable(hr)
        if let c = charts {
            h += SVGChart.time(title: "h=\(hr.horizon): cumulative P&L (Σ position × forward return)", yLabel: "cumulative return",
                               series: c.cumulativePnL, markers: c.markers, timeRange: c.timeRange)
            h += SVGChart.time(title: "h=\(hr.horizon): rolling log-loss (\(c.window) rows)", yLabel: "log-loss",
                               series: c.rollingLogLoss, markers: c.markers, timeRange: c.timeRange)
            h += SVGChart.time(title: "h=\(hr.horizon): ensemble model version (0 = averaging)", yLabel: "version",
                               series: [c.versions], markers: c.markers, timeRange: c.timeRange, step: true)
            if !c.markers.isEmpty {
                h += "<p class=\"note\">Dashed vertical lines: retrains at the event time their model applies from (green promote, orange fallback, grey keep, red failed); hover for the reason.</p>\n"
            }
        }
        if let ens = hr.method(.ensemble), let avg = hr.method(.averaging) {
            h += "<div class=\"reliability-row\">\n"
            for (c, name) in ["short", "neutral", "long"].enumerated() {
                h += SVGChart.reliability(title: "h=\(hr.horizon): reliability, \(name)", curves: [
                    ("ensemble", HorizonCharts.colors.ensemble, ens.metrics.reliability[c]),
                    ("averaging", HorizonCharts.colors.averaging, avg.metrics.reliability[c])])
            }
            h += "</div>\n"
        }
        h += retrainsTable(hr)
        h += diversityTable(hr)
        return h + "</section>\n"
    }

    static func methodsTable(_ hr: BacktestReport.HorizonReport) -> String {
        var h = "<table><tr><th>method</th><th>log-loss</th><th>Brier</th><th>accuracy</th><th>macro-F1</th><th>Sharpe</th><th>IC</th><th>win rate</th><th>ECE short</th><th>ECE neutral</th><th>ECE long</th><th>% short</th><th>% long</th></tr>\n"
        for m in hr.methods {
            let r = m.metrics
            let cells = [r.logLoss, r.brier, r.accuracy, r.f1Macro, r.sharpe, r.informationCoefficient, r.winRate] + r.ece
            h += "<tr><td>\(e(m.name))</td>" + cells.map { "<td>\(fmt($0, 4))</td>" }.joined()
                + "<td>\(fmt(100 * r.fracShort, 1))</td><td>\(fmt(100 * r.fracLong, 1))</td></tr>\n"
        }
        return h + "</table>\n<p class=\"note\">Class prior: label frequencies of the rows labelled earlier (uniform at first). Always majority: one-hot on the earlier rows’ most frequent class; a miss costs −ln(1e-15) ≈ 34.5 in log-loss. Always long: one-hot long.</p>\n"
    }

    static func retrainsTable(_ hr: BacktestReport.HorizonReport) -> String {
        var h = "<h3>Retrains</h3>\n"
        guard !hr.retrains.isEmpty else {
            return h + "<p class=\"note\">No retrains: the ensemble is averaging for the whole replay.</p>\n"
        }
        h += "<p>\(hr.retrains.count) retrains, \(hr.fallbacks.count) fallbacks to averaging.</p>\n"
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
