import StackdLearning

/// One line of a time chart: event times (nanoseconds) and values, already thinned to what a
/// chart can show.
public struct ChartSeries: Sendable, Equatable {
    public var name: String
    /// A CSS colour.
    public var color: String
    public var times: [Int64]
    public var values: [Double]
}

/// A vertical mark on a time axis: a retrain or fallback.
public struct ChartMarker: Sendable, Equatable {
    public var time: Int64
    public var label: String
    public var color: String
}

/// The time series the HTML charts draw for one horizon, derived from the labelled rows in
/// event-time order (rows arrive in label order, which differs across symbols).
public struct HorizonCharts: Sendable {
    public var horizon: Int
    /// Cumulative Σ position × forward return: ensemble, averaging, best single, always long.
    public var cumulativePnL: [ChartSeries]
    /// Mean log-loss over the last `window` rows: ensemble, averaging, best single.
    public var rollingLogLoss: [ChartSeries]
    public var window: Int
    /// Model version of each output (a step chart).
    public var versions: ChartSeries
    public var markers: [ChartMarker]
    /// First to last event time of the rows: the shared x axis of the horizon's time charts.
    public var timeRange: ClosedRange<Int64>?

    public static let colors = (ensemble: "#d62728", averaging: "#1f77b4", bestSingle: "#2ca02c", alwaysLong: "#7f7f7f")

    /// - Parameters:
    ///   - window: rows per rolling log-loss point (fewer when the horizon has fewer rows).
    ///   - maxPoints: most points per line; every k-th row is kept, and the last.
    public init(_ m: LabelledMatrices, report: BacktestReport.HorizonReport, window: Int = 250, maxPoints: Int = 1000) {
        horizon = m.horizon
        let order = m.eventTimes.indices.sorted { (m.eventTimes[$0], $0) < (m.eventTimes[$1], $1) }
        let times = order.map { m.eventTimes[$0] }
        timeRange = times.first.map { $0...times.last! }
        let stride = max(1, (order.count + maxPoints - 1) / maxPoints)
        func thin(_ values: [Double], from start: Int = 0) -> ([Int64], [Double]) {
            var t: [Int64] = [], v: [Double] = []
            var i = start
            while i < values.count {
                t.append(times[i]); v.append(values[i])
                if i == values.count - 1 { break }
                i = min(i + stride, values.count - 1)
            }
            return (t, v)
        }
        let best = report.bestSingle.flatMap { m.models.firstIndex(of: $0.model) }
        var methods: [(String, String, Matrix)] = [("ensemble", Self.colors.ensemble, m.ensemble),
                                                   ("averaging", Self.colors.averaging, m.averaging)]
        if let best { methods.append(("best single (\(m.models[best]))", Self.colors.bestSingle, m.model(best))) }

        func series(_ name: String, _ color: String, _ values: [Double], from start: Int = 0) -> ChartSeries {
            let (t, v) = thin(values, from: start)
            return ChartSeries(name: name, color: color, times: t, values: v)
        }
        var pnl: [ChartSeries] = []
        for (name, color, p) in methods {
            var sum = 0.0
            let cumulative = order.map { i -> Double in
                sum += Double(Metrics.position(ofClass: p.withRow(i) { Metrics.argmax($0) })) * m.forwardReturns[i]
                return sum
            }
            pnl.append(series(name, color, cumulative))
        }
        var longSum = 0.0
        pnl.append(series("always long", Self.colors.alwaysLong, order.map { longSum += m.forwardReturns[$0]; return longSum }))
        cumulativePnL = pnl

        let w = max(1, min(window, order.count))
        self.window = w
        rollingLogLoss = methods.map { name, color, p in
            let losses = order.map { -log(max(p[$0, m.labels[$0]], Metrics.logLossEpsilon)) }
            var rolling = [Double](repeating: 0, count: losses.count)
            var s = 0.0
            for i in losses.indices {
                s += losses[i]
                if i >= w { s -= losses[i - w] }
                rolling[i] = s / Double(w)
            }
            return series(name, color, rolling, from: w - 1)
        }
        // Versions change rarely: keep every change exactly rather than thinning.
        var vt: [Int64] = [], vv: [Double] = []
        for (k, i) in order.enumerated() where k == 0 || k == order.count - 1 || m.modelVersions[i] != m.modelVersions[order[k - 1]] {
            vt.append(times[k]); vv.append(Double(m.modelVersions[i]))
        }
        versions = ChartSeries(name: "model version", color: Self.colors.ensemble, times: vt, values: vv)
        markers = report.retrains.map {
            ChartMarker(time: $0.applyFrom, label: "\($0.date) \($0.decision) v\($0.version): \($0.reason)",
                        color: Self.markerColor($0.decision))
        }
    }

    static func markerColor(_ decision: String) -> String {
        switch decision {
        case "promote": return "#2ca02c"
        case "fallback": return "#ff7f0e"
        case "failed": return "#d62728"
        default: return "#999999"
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
