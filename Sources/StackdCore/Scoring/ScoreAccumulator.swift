#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Running prequential scores of one predictor: each row is scored when its label arrives,
/// before any model could have learned from it (test-then-train).
public struct ScoreAccumulator: Sendable, Equatable, Codable {
    public private(set) var count = 0
    public private(set) var logLossSum = 0.0
    public private(set) var correct = 0
    public private(set) var brierSum = 0.0

    public init() {}

    /// Adds one row: `p` holds K probabilities, `label` is the true class index. Returns the
    /// row's log-loss and whether its arg-max was the label, so that other consumers of the same
    /// score (skill decay, recent skill) need not compute them again.
    @inline(__always) @discardableResult
    public mutating func add(_ p: UnsafeBufferPointer<Double>, label: Int) -> (logLoss: Double, hit: Bool) {
        count += 1
        let loss = -log(max(p[label], 1e-15))
        logLossSum += loss
        var arg = 0
        var brier = 0.0
        for c in 0..<p.count {
            if p[c] > p[arg] { arg = c }
            let d = p[c] - (c == label ? 1 : 0)
            brier += d * d
        }
        if arg == label { correct += 1 }
        brierSum += brier
        return (loss, arg == label)
    }

    /// Adds another accumulator's rows (the pipelines of one daemon score disjoint rows).
    public mutating func merge(_ other: ScoreAccumulator) {
        count += other.count
        logLossSum += other.logLossSum
        correct += other.correct
        brierSum += other.brierSum
    }

    public var logLoss: Double { count > 0 ? logLossSum / Double(count) : .nan }
    public var accuracy: Double { count > 0 ? Double(correct) / Double(count) : .nan }
    public var brier: Double { count > 0 ? brierSum / Double(count) : .nan }
}
