import Foundation

/// "Who wins" per horizon among the three methods a quant actually chooses between: what stackd
/// published, plain averaging, and the best single model. Shared by the console table and the
/// HTML summary so they can never disagree.
public struct BacktestVerdict: Sendable, Equatable {
    /// A metric the verdict compares, with the direction that counts as better.
    public enum Metric: String, Sendable, CaseIterable {
        case logLoss = "log-loss"
        case f1 = "macro-F1"
        case sharpe = "Sharpe"

        public var lowerIsBetter: Bool { self == .logLoss }

        public func value(_ m: BacktestReport.MethodReport) -> Double {
            switch self {
            case .logLoss: return m.metrics.logLoss
            case .f1: return m.metrics.f1Macro
            case .sharpe: return m.metrics.sharpe
            }
        }
    }

    /// One metric's comparison.
    public struct Line: Sendable, Equatable {
        public var metric: Metric
        /// (method name, value) for ensemble, averaging, best single, in that order.
        public var values: [(String, Double)]
        /// Names of the methods with the best value (several on an exact tie).
        public var winners: [String]

        public static func == (a: Line, b: Line) -> Bool {
            a.metric == b.metric && a.winners == b.winners && a.values.map(\.0) == b.values.map(\.0)
                && a.values.map(\.1) == b.values.map(\.1)
        }
    }

    public var horizon: Int
    public var lines: [Line]
    /// True when the ensemble published exactly the averaging vectors' metrics (no model was
    /// ever installed): "stacking" did not happen, so there is nothing to compare.
    public var ensembleIsAveraging: Bool

    /// Nil when the horizon has no labelled rows.
    public init?(_ h: BacktestReport.HorizonReport) {
        guard h.rows > 0, let ens = h.method(.ensemble), let avg = h.method(.averaging) else { return nil }
        let candidates = [ens, avg] + (h.method(.bestSingle).map { [$0] } ?? [])
        horizon = h.horizon
        ensembleIsAveraging = ens.metrics == avg.metrics
        lines = Metric.allCases.map { metric in
            let values = candidates.map { ($0.name, metric.value($0)) }
            let best = metric.lowerIsBetter ? values.map(\.1).min()! : values.map(\.1).max()!
            return Line(metric: metric, values: values, winners: values.filter { $0.1 == best }.map(\.0))
        }
    }

    /// One plain sentence per metric, e.g. "log-loss: averaging wins (1.0912 vs ensemble 1.0950, …)".
    public var sentences: [String] {
        lines.map { line in
            let direction = line.metric.lowerIsBetter ? "lower is better" : "higher is better"
            let others = line.values.filter { !line.winners.contains($0.0) }
                .map { "\($0.0) \(Self.format($0.1))" }.joined(separator: ", ")
            let best = line.values.first { line.winners.contains($0.0) }!.1
            let who = line.winners.count == 1 ? "\(line.winners[0]) wins" : "tie between \(line.winners.joined(separator: " and "))"
            return "\(line.metric.rawValue) (\(direction)): \(who) with \(Self.format(best))"
                + (others.isEmpty ? "" : " vs \(others)")
        }
    }

    static func format(_ v: Double) -> String { String(format: "%.4f", v) }
}
