import Foundation
import StackdLearning

/// Inline SVG charts, generated here rather than by a JavaScript library so the report is one
/// self-contained file that renders offline, identically, in any browser.
public enum SVGChart {
    static let width = 1200.0, height = 320.0
    static let left = 80.0, right = 50.0, top = 44.0, bottom = 40.0

    /// A time chart: one polyline per series (a step line when `step`), vertical markers, date
    /// labels on the x axis.
    /// `timeRange` fixes the x axis, so that the charts of one horizon line up one above the other.
    public static func time(title: String, yLabel: String, series: [ChartSeries], markers: [ChartMarker],
                            timeRange: ClosedRange<Int64>? = nil, step: Bool = false, valueMax: Double? = nil) -> String {
        let seriesCount = series.count
        let allT = series.flatMap(\.times), allV = series.flatMap(\.values).filter(\.isFinite)
        var t0 = timeRange?.lowerBound ?? allT.min() ?? 0, t1 = timeRange?.upperBound ?? allT.max() ?? 1
        if t1 <= t0 { t0 -= CivilDate.nanosecondsPerDay; t1 += CivilDate.nanosecondsPerDay }
        var v0 = allV.min() ?? 0, v1 = allV.max() ?? 1
        if let valueMax, valueMax > v0 { v1 = min(v1, valueMax) }
        if v1 <= v0 { v0 -= 1; v1 += 1 }
        let pad = (v1 - v0) * 0.05
        v0 -= pad; v1 += pad
        let pw = width - left - right, ph = height - top - bottom
        func x(_ t: Int64) -> Double { left + Double(t - t0) / Double(t1 - t0) * pw }
        // Values beyond a robust axis are drawn on its edge.
        func y(_ v: Double) -> Double { top + (1 - (min(max(v, v0), v1) - v0) / (v1 - v0)) * ph }

        var s = open(title: title)
        s += legend(series.map { ($0.name, $0.color) })
        for v in niceTicks(v0, v1) {
            s += line(left, y(v), left + pw, y(v), "#e5e5e5")
            s += text(left - 6, y(v) + 4, format(v), anchor: "end")
        }
        for k in 0...6 {
            let t = t0 + Int64(Double(t1 - t0) * Double(k) / 6)
            s += line(x(t), top + ph, x(t), top + ph + 5, "#444")
            s += text(x(t), top + ph + 18, CivilDate.dateString(epochNanoseconds: t), anchor: "middle")
        }
        s += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(pw))\" height=\"\(f(ph))\" fill=\"none\" stroke=\"#444\"/>\n"
        s += text(14, top + ph / 2, yLabel, anchor: "middle", rotate: true)
        for m in markers where m.time >= t0 && m.time <= t1 {
            s += "<line x1=\"\(f(x(m.time)))\" y1=\"\(f(top))\" x2=\"\(f(x(m.time)))\" y2=\"\(f(top + ph))\" stroke=\"\(m.color)\" stroke-dasharray=\"\(m.dash)\"><title>\(HTMLEscaping.escape(m.label))</title></line>\n"
        }
        // The first series (the ensemble) is drawn last and dashed, so it stays visible when it
        // coincides with averaging — which it does exactly until a stacked model is installed.
        for (k, series) in series.enumerated().reversed() where !series.times.isEmpty {
            var points: [String] = []
            for (i, (t, v)) in zip(series.times, series.values).enumerated() where v.isFinite {
                if step && i > 0 { points.append("\(f(x(t))),\(f(y(series.values[i - 1])))") }
                points.append("\(f(x(t))),\(f(y(v)))")
            }
            let dash = k == 0 && seriesCount > 1 ? " stroke-dasharray=\"6 4\"" : ""
            s += "<polyline fill=\"none\" stroke=\"\(series.color)\" stroke-width=\"1.5\"\(dash) points=\"\(points.joined(separator: " "))\"><title>\(HTMLEscaping.escape(series.name))</title></polyline>\n"
        }
        return s + "</svg>\n"
    }

    /// A reliability diagram of one class: observed frequency against mean predicted probability
    /// per non-empty bin, for each method, with the diagonal of perfect calibration.
    public static func reliability(title: String, curves: [(name: String, color: String, bins: [ReliabilityBin])]) -> String {
        let size = 300.0, l = 50.0, t = 44.0, pw = size - l - 16, ph = size - t - 40
        func x(_ p: Double) -> Double { l + p * pw }
        func y(_ p: Double) -> Double { t + (1 - p) * ph }
        var s = "<svg class=\"chart reliability\" width=\"\(f(size))\" height=\"\(f(size))\" viewBox=\"0 0 \(f(size)) \(f(size))\" role=\"img\"><title>\(HTMLEscaping.escape(title))</title>\n"
        s += "<text x=\"\(f(l))\" y=\"14\" font-size=\"13\" font-weight=\"bold\">\(HTMLEscaping.escape(title))</text>\n"
        for (i, c) in curves.enumerated() {
            let ly = 30.0, lx = l + Double(i) * 110
            s += "<rect x=\"\(f(lx))\" y=\"\(f(ly - 8))\" width=\"10\" height=\"10\" fill=\"\(c.color)\"/>"
            s += text(lx + 14, ly, c.name, anchor: "start")
        }
        for v in stride(from: 0.0, through: 1.0, by: 0.25) {
            s += line(x(0), y(v), x(1), y(v), "#e5e5e5")
            s += text(l - 5, y(v) + 4, format(v), anchor: "end")
            s += text(x(v), t + ph + 16, format(v), anchor: "middle")
        }
        s += "<rect x=\"\(f(l))\" y=\"\(f(t))\" width=\"\(f(pw))\" height=\"\(f(ph))\" fill=\"none\" stroke=\"#444\"/>\n"
        s += "<line x1=\"\(f(x(0)))\" y1=\"\(f(y(0)))\" x2=\"\(f(x(1)))\" y2=\"\(f(y(1)))\" stroke=\"#999\" stroke-dasharray=\"5 4\"/>\n"
        s += text(l + pw / 2, size - 6, "mean predicted probability", anchor: "middle")
        for (k, c) in curves.enumerated().reversed() {
            let dash = k == 0 && curves.count > 1 ? " stroke-dasharray=\"6 4\"" : ""
            let bins = c.bins.filter { $0.count > 0 }
            let points = bins.map { "\(f(x($0.meanPredicted))),\(f(y($0.observedFrequency)))" }
            s += "<polyline fill=\"none\" stroke=\"\(c.color)\" stroke-width=\"1.5\"\(dash) points=\"\(points.joined(separator: " "))\"/>\n"
            for b in bins {
                s += "<circle cx=\"\(f(x(b.meanPredicted)))\" cy=\"\(f(y(b.observedFrequency)))\" r=\"3\" fill=\"\(c.color)\"><title>\(HTMLEscaping.escape("\(c.name): \(b.count) rows, predicted \(format(b.meanPredicted)), observed \(format(b.observedFrequency))"))</title></circle>\n"
            }
        }
        return s + "</svg>\n"
    }

    // MARK: - Pieces

    static func open(title: String) -> String {
        "<svg class=\"chart\" width=\"\(f(width))\" height=\"\(f(height))\" viewBox=\"0 0 \(f(width)) \(f(height))\" role=\"img\"><title>\(HTMLEscaping.escape(title))</title>\n"
            + "<text x=\"\(f(left))\" y=\"16\" font-size=\"14\" font-weight=\"bold\">\(HTMLEscaping.escape(title))</text>\n"
    }

    static func legend(_ items: [(String, String)]) -> String {
        var s = "", lx = left
        for (name, color) in items {
            s += "<rect x=\"\(f(lx))\" y=\"26\" width=\"12\" height=\"4\" fill=\"\(color)\"/>"
            s += text(lx + 16, 32, name, anchor: "start")
            lx += 30 + Double(name.count) * 7
        }
        return s + "\n"
    }

    static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, _ color: String) -> String {
        "<line x1=\"\(f(x1))\" y1=\"\(f(y1))\" x2=\"\(f(x2))\" y2=\"\(f(y2))\" stroke=\"\(color)\"/>"
    }

    static func text(_ x: Double, _ y: Double, _ s: String, anchor: String, rotate: Bool = false) -> String {
        let transform = rotate ? " transform=\"rotate(-90 \(f(x)) \(f(y)))\"" : ""
        return "<text x=\"\(f(x))\" y=\"\(f(y))\" font-size=\"11\" text-anchor=\"\(anchor)\"\(transform)>\(HTMLEscaping.escape(s))</text>"
    }

    /// About five round tick values covering [lo, hi].
    static func niceTicks(_ lo: Double, _ hi: Double) -> [Double] {
        let raw = (hi - lo) / 5
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        var ticks: [Double] = []
        var v = (lo / step).rounded(.up) * step
        while v <= hi + step * 1e-9 && ticks.count < 20 { ticks.append(abs(v) < step * 1e-9 ? 0 : v); v += step }
        return ticks
    }

    static func f(_ v: Double) -> String { String(format: "%.1f", v) }
    static func format(_ v: Double) -> String { String(format: "%.3g", v) }
}
