import Foundation

/// "Does the ensemble beat each baseline on the held-out window, beyond luck?" per horizon and
/// metric, read from the report's paired comparisons (`PairedComparison`). Shared by the console
/// table and the HTML summary so they can never disagree.
public struct BacktestVerdict: Sendable, Equatable {
    /// A metric the verdict compares, with the direction that counts as better.
    public enum Metric: String, Sendable, CaseIterable {
        case logLoss = "log-loss"
        case f1 = "macro-F1"
        case sharpe = "Sharpe"

        public var lowerIsBetter: Bool { self == .logLoss }

        /// The key of the metric in `backtest.json`'s comparisons.
        public var key: String {
            switch self {
            case .logLoss: return "log_loss"
            case .f1: return "f1_macro"
            case .sharpe: return "sharpe"
            }
        }

        public func value(_ m: BacktestReport.MethodReport) -> Double {
            switch self {
            case .logLoss: return m.metrics.logLoss
            case .f1: return m.metrics.f1Macro
            case .sharpe: return m.metrics.sharpe
            }
        }
    }

    /// One metric's comparisons.
    public struct Line: Sendable, Equatable {
        public var metric: Metric
        public var ensembleValue: Double
        /// The ensemble against each baseline, in report order.
        public var comparisons: [PairedComparison]
        /// The predictor (ensemble or a baseline) with the best value on the window; several on an exact tie.
        public var best: [String]
    }

    public var horizon: Int
    public var lines: [Line]
    /// Rows of the window and its first date.
    public var windowRows: Int
    public var windowStartDate: String
    /// True when the ensemble published exactly the averaging vectors on the window: stacking
    /// did not happen there, so "ensemble vs averaging" compares a predictor with itself.
    public var ensembleIsAveraging: Bool

    /// Nil when the horizon has no rows in its evaluation window.
    public init?(_ h: BacktestReport.HorizonReport) {
        guard let ev = h.evaluation, ev.rows > 0, let ens = h.method(.ensemble), let avg = h.method(.averaging) else { return nil }
        horizon = h.horizon
        windowRows = ev.rows
        windowStartDate = ev.windowStartDate
        ensembleIsAveraging = ens.metrics == avg.metrics
        lines = Metric.allCases.map { metric in
            let cs = ev.comparisons.filter { $0.metric == metric.key }
            let ensValue = cs.first?.ensembleValue ?? metric.value(ens)
            let all = [("ensemble", ensValue)] + cs.map { ($0.baselineName, $0.baselineValue) }
            let target = metric.lowerIsBetter ? all.map(\.1).min()! : all.map(\.1).max()!
            return Line(metric: metric, ensembleValue: ensValue, comparisons: cs, best: all.filter { $0.1 == target }.map(\.0))
        }
    }

    /// One plain sentence per metric, e.g. "log-loss (lower is better): best class prior 1.0826;
    /// ensemble 1.1393 loses to class prior (+0.0567 ± 0.0041 SE), ties averaging (…)".
    public var sentences: [String] {
        lines.map { line in
            let direction = line.metric.lowerIsBetter ? "lower is better" : "higher is better"
            let parts = line.comparisons.map { c -> String in
                let verb = c.verdict == "wins" ? "beats" : c.verdict == "loses" ? "loses to" : "ties"
                return "\(verb) \(c.baselineName) \(Self.format(c.baselineValue)) (\(Self.signed(c.difference)) ± \(Self.format(c.standardError)) SE)"
            }
            return "\(line.metric.rawValue) (\(direction)): best \(line.best.joined(separator: " = ")); ensemble \(Self.format(line.ensembleValue)) "
                + parts.joined(separator: ", ")
        }
    }

    static func format(_ v: Double) -> String { String(format: "%.4f", v) }
    static func signed(_ v: Double) -> String { String(format: "%+.4f", v) }
}
