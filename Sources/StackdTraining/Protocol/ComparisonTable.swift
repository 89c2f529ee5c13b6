import Foundation

/// The human-readable report of one horizon: every method × every metric, then the decision.
/// Pure text, so the CLI prints it and tests can read it.
public enum ComparisonTable {
    public static func render(_ o: TrainingOutcome) -> String {
        var s = "horizon \(o.horizon): meta-train \(o.trainRows) rows (\(o.purgedRows) purged), validation \(o.validationRows) rows; "
        s += "\(o.ensembleMethod.rawValue) (\(o.ensembleMethodReason))\n"
        for c in o.candidates where !(c.combiner is CalibratedCombiner) && !(c.combiner is IsotonicCalibratedCombiner) {
            s += "  \(c.name): \(c.combiner.fitSummary.compact) — \(c.combiner.fitSummary.selection)\n"
        }
        let head = ["method", "f1_macro", "accuracy", "log_loss", "brier", "sharpe", "ic", "win_rate", "ece_short", "ece_neutral", "ece_long", "train_ll"]
        var rows: [[String]] = [head]
        for m in o.comparison {
            let r = m.validation
            rows.append([m.name] + [r.f1Macro, r.accuracy, r.logLoss, r.brier, r.sharpe, r.informationCoefficient, r.winRate,
                                    r.ece[0], r.ece[1], r.ece[2]].map { String(format: "%.4f", $0) }
                        + [m.trainLogLoss.map { String(format: "%.4f", $0) } ?? "-"])
        }
        let widths = head.indices.map { c in rows.map { $0[c].count }.max()! }
        for r in rows {
            s += r.enumerated().map { c, v in c == 0 ? v.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                : String(repeating: " ", count: widths[c] - v.count) + v }.joined(separator: "  ") + "\n"
        }
        for c in o.overfitting {
            s += "overfitting check \(c.method): train \(String(format: "%.4f", c.trainLogLoss)) validation \(String(format: "%.4f", c.validationLogLoss)) gap \(String(format: "%.4f", c.gap)) \(c.isOverfitting ? "FLAGGED" : "ok")\n"
        }
        s += "decision (\(o.metric.rawValue)): \(o.decision.chosen.rawValue) = \(o.decision.chosenName): \(o.decision.reason)\n"
        for d in o.diagnosis { s += "diagnosis [\(d.code.rawValue)] \(d.message) -> \(d.recommendation)\n" }
        return s
    }
}
