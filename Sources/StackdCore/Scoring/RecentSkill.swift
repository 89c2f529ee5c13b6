#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Each base model's log-loss over its most recent labelled rows of one horizon: the "recent
/// skill" stacking feature. Known when a row is emitted (only earlier labels count), so it is a
/// causal input. Before any label it reads ln K, the log-loss of knowing nothing.
public struct RecentSkill: Sendable {
    public let window: Int
    public let modelCount: Int
    private var losses: [Double]   // window × M ring
    private var sums: [Double]
    private var position = 0
    public private(set) var count = 0

    public init(window: Int, modelCount: Int) {
        self.window = max(window, 1)
        self.modelCount = modelCount
        losses = Array(repeating: 0, count: self.window * modelCount)
        sums = Array(repeating: 0, count: modelCount)
    }

    /// Adds one labelled row: `base` holds M×K probabilities.
    public mutating func add(base: UnsafeBufferPointer<Double>, classCount k: Int, label: Int) {
        let o = position * modelCount
        for m in 0..<modelCount {
            add(model: m, loss: -log(max(base[m * k + label], 1e-15)), at: o)
        }
        advance()
    }

    /// Adds one labelled row from each model's log-loss, −ln max(p_label, 1e-15), already
    /// computed (the scoreboard's `baseLogLosses`).
    public mutating func add(logLosses: UnsafeBufferPointer<Double>) {
        let o = position * modelCount
        for m in 0..<modelCount { add(model: m, loss: logLosses[m], at: o) }
        advance()
    }

    @inline(__always)
    private mutating func add(model m: Int, loss: Double, at o: Int) {
        if count == window { sums[m] -= losses[o + m] }
        losses[o + m] = loss
        sums[m] += loss
    }

    @inline(__always)
    private mutating func advance() {
        position = (position + 1) % window
        if count < window { count += 1 }
    }

    /// Writes the current mean log-loss of every model into `out`.
    public func write(classCount k: Int, into out: UnsafeMutableBufferPointer<Double>) {
        let prior = log(Double(k))
        for m in 0..<modelCount { out[m] = count > 0 ? sums[m] / Double(count) : prior }
    }
}
