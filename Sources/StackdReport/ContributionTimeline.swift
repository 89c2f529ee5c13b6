import StackdCore
import StackdLearning

/// Mean |contribution| of each base model (then the shared columns and the bias) to the served
/// class, per event-time day, over one horizon's outputs: how much the ensemble leaned on each
/// model as the replay went on. Filled by the replay from the outputs' contributions
/// (`output.contributions`), empty when they are off.
///
/// Days are kept apart by `ContributionScale`: a logit and a probability are not comparable, and
/// a replay that starts on averaging (probability) and installs a logistic model (logit) has
/// both.
public struct ContributionTimeline: Sendable, Equatable {
    public var horizon: Int
    /// Values per output: M models, shared, bias.
    public let width: Int
    /// One bucket per (day, scale), in first-seen order.
    public private(set) var days: [Int64] = []
    public private(set) var scales: [ContributionScale] = []
    /// Σ |value| per bucket, `width` per bucket.
    public private(set) var absoluteSums: [Double] = []
    public private(set) var counts: [Int] = []
    private var index: [Int64: Int] = [:]
    private var lastKey: Int64 = .min
    private var lastBucket = 0

    public init(horizon: Int, modelCount: Int) {
        self.horizon = horizon
        width = modelCount + 2
    }

    /// Adds one output's contributions (M + 2 values) at its event time.
    public mutating func add(eventTime: Int64, scale: ContributionScale, values: UnsafeBufferPointer<Double>) {
        guard values.count == width else { return }
        let day = Self.floorDiv(eventTime, CivilDate.nanosecondsPerDay)
        let key = day &* 2 &+ Int64(scale.rawValue)
        let b: Int
        if key == lastKey {
            b = lastBucket
        } else if let existing = index[key] {
            b = existing
        } else {
            b = counts.count
            index[key] = b
            days.append(day &* CivilDate.nanosecondsPerDay)
            scales.append(scale)
            counts.append(0)
            absoluteSums.append(contentsOf: repeatElement(0, count: width))
        }
        lastKey = key
        lastBucket = b
        counts[b] += 1
        for g in 0..<width { absoluteSums[b * width + g] += abs(values[g]) }
    }

    public var isEmpty: Bool { counts.isEmpty }

    /// Mean |value| of group `g` in bucket `b`.
    public func mean(bucket b: Int, group g: Int) -> Double { absoluteSums[b * width + g] / Double(counts[b]) }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// One line per model (and shared, bias) per scale present, in day order: the report's chart.
    /// Names carry the scale when the horizon has more than one.
    public func series(models: [String], palette: [String]) -> [ChartSeries] {
        let present = ContributionScale.allCases.filter { scales.contains($0) }
        var out: [ChartSeries] = []
        for scale in present {
            let buckets = counts.indices.filter { scales[$0] == scale }.sorted { days[$0] < days[$1] }
            let suffix = present.count > 1 ? " (\(scale.name))" : ""
            let names = models + ["shared", "bias"]
            for g in 0..<width {
                let color = g < models.count ? palette[g % palette.count] : (g == models.count ? "#000000" : "#9467bd")
                out.append(ChartSeries(name: names[g] + suffix, color: color, times: buckets.map { days[$0] },
                                       values: buckets.map { mean(bucket: $0, group: g) }))
            }
        }
        return out
    }
}
