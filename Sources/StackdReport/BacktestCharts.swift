import StackdCore
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

/// A vertical mark on a time axis: a retrain or fallback, a drift or calibration alert, the
/// start of the evaluation window.
public struct ChartMarker: Sendable, Equatable {
    public var time: Int64
    public var label: String
    public var color: String
    /// SVG dash pattern: "4 3" retrains, "1 3" alerts, "8 2" the window start.
    public var dash: String = "4 3"
}

/// The time series the HTML charts draw for one horizon, derived from the labelled rows in
/// event-time order (rows arrive in label order, which differs across symbols).
public struct HorizonCharts: Sendable {
    public var horizon: Int
    /// Cumulative Σ position × forward return without overlapping holding periods: only the
    /// rows at every h-th distinct event time trade (a position is held h bars, so the next one
    /// opens when it closes); ensemble, averaging, best single, always long.
    public var cumulativePnL: [ChartSeries]
    /// Cumulative Σ (ensemble's log-loss − baseline's log-loss) per row in event time, against the
    /// class prior and averaging: a line going down is the ensemble gaining.
    public var cumulativeLogLossDifference: [ChartSeries]
    /// Mean log-loss over the last `window` rows: ensemble, averaging, best single, class prior.
    public var rollingLogLoss: [ChartSeries]
    public var window: Int
    /// Upper end of the rolling log-loss axis: the 99th percentile of its values (robust to one
    /// model's spikes; higher values are drawn at the top edge).
    public var rollingLogLossAxisMax: Double?
    /// Model version of each output (a step chart), numbered per horizon: 0 averaging, then 1, 2, …
    /// in the order this horizon's models were first used.
    public var versions: ChartSeries
    /// Weight of each base model (and of the class prior) in the combiner in use, over event time
    /// (step lines): averaging (1/M each) until the first installed model.
    public var modelWeights: [ChartSeries]
    /// Mean |contribution| to the served class per base model (then shared, bias) per day, over
    /// every output of the horizon; empty unless the replay ran with `output.contributions`.
    public var contributions: [ChartSeries] = []
    /// Retrains and the window start.
    public var markers: [ChartMarker]
    /// Drift and calibration alerts of this horizon (at most `maxAlertMarkers`, the first ones).
    public var alertMarkers: [ChartMarker]
    public var alertCount: Int
    public static let maxAlertMarkers = 300
    /// First to last event time of the rows: the shared x axis of the horizon's time charts.
    public var timeRange: ClosedRange<Int64>?

    public static let colors = (ensemble: "#d62728", averaging: "#1f77b4", bestSingle: "#2ca02c", alwaysLong: "#7f7f7f",
                                classPrior: "#9467bd")

    /// - Parameters:
    ///   - window: rows per rolling log-loss point (fewer when the horizon has fewer rows).
    ///   - maxPoints: most points per line; every k-th row is kept, and the last.
    public init(_ m: LabelledMatrices, report: BacktestReport.HorizonReport, predictors: HeldOutPredictors,
                alerts: [Alert] = [], weights: [ReplayResult.ModelWeights] = [], contributions: ContributionTimeline? = nil,
                window: Int = 250, maxPoints: Int = 1000) {
        horizon = m.horizon
        let order = predictors.order
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
        let best = predictors.bestSingle
        var methods: [(String, String, Matrix)] = [("ensemble", Self.colors.ensemble, m.ensemble),
                                                   ("averaging", Self.colors.averaging, m.averaging)]
        if let best { methods.append(("best single (\(m.models[best]))", Self.colors.bestSingle, m.model(best))) }

        func series(_ name: String, _ color: String, _ values: [Double], from start: Int = 0) -> ChartSeries {
            let (t, v) = thin(values, from: start)
            return ChartSeries(name: name, color: color, times: t, values: v)
        }
        // Distinct event-time rank of each row in `order`: a row trades when rank % h == 0.
        var rank = [Int](repeating: 0, count: order.count)
        for k in order.indices.dropFirst() { rank[k] = rank[k - 1] + (times[k] != times[k - 1] ? 1 : 0) }
        let holding = max(1, m.horizon)
        var pnl: [ChartSeries] = []
        for (name, color, p) in methods + [("always long", Self.colors.alwaysLong, predictors.alwaysLong)] {
            var sum = 0.0
            let cumulative = order.enumerated().map { k, i -> Double in
                if rank[k] % holding == 0 {
                    sum += Double(Metrics.position(ofClass: p.withRow(i) { Metrics.argmax($0) }, classCount: m.classCount)) * m.forwardReturns[i]
                }
                return sum
            }
            pnl.append(series(name, color, cumulative))
        }
        cumulativePnL = pnl

        func losses(_ p: Matrix) -> [Double] { order.map { -log(max(p[$0, m.labels[$0]], Metrics.logLossEpsilon)) } }
        let ensembleLosses = losses(m.ensemble)
        cumulativeLogLossDifference = [("ensemble − class prior", Self.colors.classPrior, predictors.classPrior),
                                       ("ensemble − averaging", Self.colors.averaging, m.averaging)].map { name, color, p in
            var sum = 0.0
            let cumulative = zip(ensembleLosses, losses(p)).map { sum += $0 - $1; return sum }
            return series(name, color, cumulative)
        }
        let w = max(1, min(window, order.count))
        self.window = w
        rollingLogLoss = (methods + [("class prior", Self.colors.classPrior, predictors.classPrior)]).map { name, color, p in
            let losses = losses(p)
            var rolling = [Double](repeating: 0, count: losses.count)
            var s = 0.0
            for i in losses.indices {
                s += losses[i]
                if i >= w { s -= losses[i - w] }
                rolling[i] = s / Double(w)
            }
            return series(name, color, rolling, from: w - 1)
        }
        let sortedRolling = rollingLogLoss.flatMap(\.values).filter(\.isFinite).sorted()
        rollingLogLossAxisMax = sortedRolling.isEmpty ? nil : sortedRolling[min(sortedRolling.count - 1, Int(0.99 * Double(sortedRolling.count)))]
        // Versions change rarely: keep every change exactly rather than thinning. Numbered per
        // horizon (the daemon's versions count across horizons).
        var ordinal: [UInt32: Int] = [0: 0]
        var vt: [Int64] = [], vv: [Double] = []
        for (k, i) in order.enumerated() where k == 0 || k == order.count - 1 || m.modelVersions[i] != m.modelVersions[order[k - 1]] {
            let v = m.modelVersions[i]
            if ordinal[v] == nil { ordinal[v] = ordinal.count }
            vt.append(times[k]); vv.append(Double(ordinal[v]!))
        }
        versions = ChartSeries(name: "model version (per horizon)", color: Self.colors.ensemble, times: vt, values: vv)
        markers = report.retrains.map {
            ChartMarker(time: $0.applyFrom, label: "\($0.date) \($0.decision) v\($0.version): \($0.reason)",
                        color: Self.markerColor($0.decision))
        }
        if let ev = report.evaluation {
            markers.append(ChartMarker(time: ev.windowStart, label: "evaluation window starts \(ev.windowStartDate)",
                                       color: "#000000", dash: "8 2"))
        }
        // Model weights: 1/M each (averaging) from the first row, then each installed combiner's.
        let installs = weights.filter { $0.horizon == m.horizon }.sorted { $0.applyFrom < $1.applyFrom }
        let palette = ["#1f77b4", "#2ca02c", "#ff7f0e", "#17becf", "#bcbd22", "#8c564b", "#e377c2", "#7f7f7f"]
        if let first = times.first, !m.models.isEmpty {
            let last = max(times.last!, installs.last?.applyFrom ?? first)
            var points: [(Int64, [Double], Double)] = [(first, [Double](repeating: 1 / Double(m.models.count), count: m.models.count), 0)]
            for w in installs where w.models.count == m.models.count { points.append((max(w.applyFrom, first), w.models, w.prior)) }
            points.append((last, points.last!.1, points.last!.2))
            var lines = m.models.indices.map { j in
                ChartSeries(name: m.models[j], color: palette[j % palette.count], times: points.map(\.0), values: points.map { $0.1[j] })
            }
            if points.contains(where: { $0.2 > 0 }) {
                lines.append(ChartSeries(name: "class prior", color: Self.colors.classPrior, times: points.map(\.0), values: points.map(\.2)))
            }
            modelWeights = lines
        } else {
            modelWeights = []
        }
        if let contributions, contributions.horizon == m.horizon, !contributions.isEmpty {
            self.contributions = contributions.series(models: m.models, palette: palette)
        }
        let mine = alerts.filter { $0.horizon == m.horizon }
        alertCount = mine.count
        alertMarkers = mine.prefix(Self.maxAlertMarkers).map {
            ChartMarker(time: $0.eventTime, label: "\(CivilDate.dateString(epochNanoseconds: $0.eventTime)) alert \($0.kind.rawValue): \($0.message)",
                        color: $0.kind.rawValue.contains("calibration") ? "#8c564b" : "#e377c2", dash: "1 3")
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
