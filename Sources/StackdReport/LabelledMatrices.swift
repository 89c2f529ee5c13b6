import StackdLearning

/// The probability matrices of one horizon's labelled rows, cut out of the replay's flat arrays
/// once, so that the report and its charts evaluate exactly the same numbers.
public struct LabelledMatrices: Sendable {
    public var horizon: Int
    public var models: [String]
    public var eventTimes: [Int64]
    /// When each label became known.
    public var exitTimes: [Int64]
    public var labels: [Int]
    public var forwardReturns: [Double]
    public var modelVersions: [UInt32]
    /// N × K, what stackd published.
    public var ensemble: Matrix
    /// N × M·K, model-major.
    public var base: Matrix
    /// N × K, the mean of the base vectors.
    public var averaging: Matrix
    /// K, the deployment's class count (`models.classes`): every matrix has K columns per predictor.
    public var classCount: Int

    public var rows: Int { labels.count }

    public init(_ rows: ReplayResult.LabelledRows, horizon: Int, models: [String], classes: Int) {
        self.horizon = horizon
        classCount = classes
        self.models = models
        eventTimes = rows.eventTimes
        // Rows built without exit times (hand-made results) count each label as known at its event time.
        exitTimes = rows.exitTimes.count == rows.labels.count ? rows.exitTimes : rows.eventTimes
        labels = rows.labels
        forwardReturns = rows.forwardReturns
        modelVersions = rows.modelVersions
        let n = rows.labels.count, m = models.count
        precondition(rows.ensemble.count == n * classes && rows.base.count == n * m * classes,
                     "labelled rows of horizon \(horizon) have inconsistent shapes")
        ensemble = Matrix(rows: n, cols: classes, storage: rows.ensemble)
        base = Matrix(rows: n, cols: m * classes, storage: rows.base)
        var avg = Matrix(rows: n, cols: classes)
        for i in 0..<n {
            for c in 0..<classes {
                var s = 0.0
                for j in 0..<m { s += rows.base[i * m * classes + j * classes + c] }
                avg[i, c] = s / Double(max(m, 1))
            }
        }
        averaging = avg
    }

    /// Model `j`'s N × K block.
    public func model(_ j: Int) -> Matrix {
        let classes = classCount
        var out = Matrix(rows: rows, cols: classes)
        for i in 0..<rows { for c in 0..<classes { out[i, c] = base[i, j * classes + c] } }
        return out
    }

    /// One per configured horizon of a replay (empty for a horizon that labelled nothing).
    public static func all(_ result: ReplayResult) -> [LabelledMatrices] {
        result.horizons.enumerated().map { i, h in
            LabelledMatrices(i < result.labelled.count ? result.labelled[i] : ReplayResult.LabelledRows(),
                             horizon: h, models: result.modelNames, classes: result.classCount)
        }
    }
}
