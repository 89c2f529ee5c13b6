import Foundation

/// The per-horizon comparison `stackd replay` prints: a fixed-width table of every method's
/// headline metrics, then the verdict sentences. Plain text, so it reads in a terminal and a log.
public enum ComparisonTable {
    public static func render(_ report: BacktestReport) -> String {
        var out = ""
        for hr in report.horizons {
            out += "h=\(hr.horizon): \(hr.rows) labelled rows"
            if let a = hr.firstDate, let b = hr.lastDate { out += " (\(a) to \(b))" }
            if let best = hr.bestSingle { out += "; best single = \(best.model) (lowest log-loss on \(best.selectionRows) warm-up rows)" }
            out += "\n"
            if let ev = hr.evaluation {
                out += "  held-out window: \(ev.rows) rows from \(ev.windowStartDate) (\(ev.window)); \(ev.warmupRows) warm-up rows not scored; SE: block bootstrap, \(ev.blocks) blocks of \(ev.blockLength) event times, \(ev.resamples) resamples; verdict: beats / ties (within 2 SE) / loses to\n"
            }
            let width = max(24, (hr.methods.map(\.name.count).max() ?? 0) + 2)
            out += pad("method", width) + ["log-loss", "Brier", "accuracy", "macro-F1", "Sharpe", "IC", "win"].map { lpad($0, 10) }.joined() + "\n"
            for m in hr.methods {
                let r = m.metrics
                out += pad(m.name, width) + [r.logLoss, r.brier, r.accuracy, r.f1Macro, r.sharpe, r.informationCoefficient, r.winRate]
                    .map { lpad(String(format: "%.4f", $0), 10) }.joined() + "\n"
            }
            if let verdict = BacktestVerdict(hr) {
                for s in verdict.sentences { out += "  \(s)\n" }
                if verdict.ensembleIsAveraging { out += "  (the ensemble published averaging throughout: no stacked model was installed)\n" }
            }
            out += "\n"
        }
        return out
    }

    static func pad(_ s: String, _ w: Int) -> String { s.count >= w ? s + " " : s + String(repeating: " ", count: w - s.count) }
    static func lpad(_ s: String, _ w: Int) -> String { s.count >= w ? " " + s : String(repeating: " ", count: w - s.count) + s }
}
