/// Page–Hinkley test (Page 1954) with River's defaults and arithmetic (`river.drift.PageHinkley`),
/// so that stackd and a River notebook flag the same row.
///
/// Only mode "up" is implemented: the monitored signal is an error, and only a rise in error is
/// news an operator must act on. River quirks kept on purpose: the running mean includes the
/// current value before the deviation is taken, the statistic is tested only from
/// `minInstances` values on, and the update after a detection restarts from scratch.
///
/// λ (`threshold`) is in units of the signal: with the default 50 it suits a bounded 0/1 error;
/// on a heavy-tailed log-loss the same λ fires on stationary data (see the drift fixture).
public struct PageHinkley: Sendable {
    public let minInstances: Int
    public let delta: Double
    public let threshold: Double
    public let alpha: Double

    private var n = 0.0
    private var mean = 0.0
    private var sumIncrease = 0.0
    private var minIncrease = Double.infinity
    private var pendingReset = false

    /// Detections since creation.
    public private(set) var detectionCount = 0
    /// True when the last update detected a change.
    public private(set) var driftDetected = false

    public init(minInstances: Int = 30, delta: Double = 0.005, threshold: Double = 50, alpha: Double = 1 - 0.0001) {
        precondition(minInstances >= 1 && threshold > 0 && alpha > 0 && alpha <= 1, "bad Page-Hinkley parameters")
        self.minInstances = minInstances
        self.delta = delta
        self.threshold = threshold
        self.alpha = alpha
    }

    /// Values since the last reset.
    public var count: Int { Int(n) }
    /// Running mean since the last reset.
    public var runningMean: Double { mean }
    /// The test statistic m_T − min m_t (0 before the first value).
    public var statistic: Double { n == 0 ? 0 : sumIncrease - minIncrease }

    /// Adds one value; true when an increase is detected at this value.
    @discardableResult
    public mutating func update(_ x: Double) -> Bool {
        if pendingReset { reset() }
        n += 1
        mean += (1 / n) * (x - mean)
        sumIncrease = alpha * sumIncrease + (x - mean) - delta
        if sumIncrease < minIncrease { minIncrease = sumIncrease }
        driftDetected = n >= Double(minInstances) && sumIncrease - minIncrease > threshold
        if driftDetected { detectionCount += 1; pendingReset = true }
        return driftDetected
    }

    /// Restarts the test (keeps the detection count).
    public mutating func reset() {
        n = 0; mean = 0; sumIncrease = 0; minIncrease = .infinity
        pendingReset = false
        driftDetected = false
    }
}
