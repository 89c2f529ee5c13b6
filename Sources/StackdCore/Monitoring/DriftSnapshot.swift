/// A point-in-time copy of one horizon's drift statistics, for metrics export. Per-model-and-class
/// arrays are model-major (index m·K + c); NaN means "not evaluated yet" (window not full, no
/// reference).
public struct DriftSnapshot: Sendable, Equatable {
    public var horizon: Int
    public var modelNames: [String]
    public var classCount: Int
    public var psi: [Double]
    public var psiThreshold: [Double]
    public var psiWindowCount: [Int]
    public var psiReferenceCount: [Int]
    public var adwinWidth: Int
    public var adwinMean: Double
    public var adwinDetections: Int
    public var pageHinkleyStatistic: Double
    public var pageHinkleyThreshold: Double
    public var pageHinkleyDetections: Int
    public var ece: [Double]
    /// Hosmer–Lemeshow statistic per class and its null threshold.
    public var calibrationStatistic: [Double]
    public var calibrationThreshold: [Double]
    /// Per class, the reliability bins of the ensemble over the calibration window.
    public var reliability: [[ReliabilityCell]]
    public var calibrationWindowCount: Int
    public var skillRecentLogLoss: [Double]
    public var skillLongRunLogLoss: [Double]
    public var skillRecentAccuracy: [Double]
    public var skillLongRunAccuracy: [Double]
    public var skillZ: [Double]
    public var skillZThreshold: Double
    public var labelledCount: Int
    /// Alerts raised per kind, in `AlertKind.allCases` order.
    public var alertCounts: [Int]
}
