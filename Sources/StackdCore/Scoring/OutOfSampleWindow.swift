/// The labelled out-of-sample rows of one horizon, oldest first: what a retrain learns from.
///
/// A value type of plain columns so a training job can take a snapshot (copy-on-write) and run
/// on another thread while ingest keeps appending. Bounded by rows and by event-time age.
public struct OutOfSampleRows: Sendable, Equatable {
    public var modelCount: Int
    public var classCount: Int
    public var featureCount: Int
    public var eventTimes: [Int64] = []
    /// When each label became known (its `exit_ts`, or the driver's event clock when absent).
    public var exitTimes: [Int64] = []
    public var symbols: [Int32] = []
    public var labels: [Int] = []
    public var forwardReturns: [Double] = []
    /// N × M·K, row-major.
    public var basePredictions: [Double] = []
    /// N × F, row-major (the extended stacking features).
    public var features: [Double] = []
    /// N × K: what the ensemble published for the row.
    public var ensemble: [Double] = []
    public var modelVersions: [UInt32] = []

    public init(modelCount: Int, classCount: Int, featureCount: Int) {
        self.modelCount = modelCount
        self.classCount = classCount
        self.featureCount = featureCount
    }

    public var count: Int { eventTimes.count }

    /// Appends one row.
    public mutating func append(eventTime: Int64, exitTime: Int64, symbol: Int32, label: Int, forwardReturn: Double,
                                basePredictions b: UnsafeBufferPointer<Double>, features f: UnsafeBufferPointer<Double>,
                                ensemble e: UnsafeBufferPointer<Double>, modelVersion: UInt32) {
        eventTimes.append(eventTime)
        exitTimes.append(exitTime)
        symbols.append(symbol)
        labels.append(label)
        forwardReturns.append(forwardReturn)
        basePredictions.append(contentsOf: b)
        features.append(contentsOf: f)
        ensemble.append(contentsOf: e)
        modelVersions.append(modelVersion)
    }

    /// Drops the oldest `n` rows.
    public mutating func removeFirst(_ n: Int) {
        guard n > 0 else { return }
        let n = min(n, count)
        eventTimes.removeFirst(n)
        exitTimes.removeFirst(n)
        symbols.removeFirst(n)
        labels.removeFirst(n)
        forwardReturns.removeFirst(n)
        basePredictions.removeFirst(n * modelCount * classCount)
        features.removeFirst(n * featureCount)
        ensemble.removeFirst(n * classCount)
        modelVersions.removeFirst(n)
    }
}

/// Keeps `OutOfSampleRows` within a row bound and an event-time age bound.
///
/// Rows arrive in label order; trimming happens in batches (a quarter of the bound) so that
/// the amortised cost of removing from the front stays O(1) per row.
public struct OutOfSampleWindow: Sendable {
    public private(set) var rows: OutOfSampleRows
    public let maxRows: Int
    /// Rows whose event time is older than the newest minus this are dropped; 0 = no age bound.
    public let maxAgeNanoseconds: Int64
    public private(set) var trimmed = 0

    public init(modelCount: Int, classCount: Int, featureCount: Int, maxRows: Int, maxAgeNanoseconds: Int64 = 0) {
        rows = OutOfSampleRows(modelCount: modelCount, classCount: classCount, featureCount: featureCount)
        self.maxRows = max(1, maxRows)
        self.maxAgeNanoseconds = maxAgeNanoseconds
    }

    public var count: Int { rows.count }

    public mutating func append(eventTime: Int64, exitTime: Int64, symbol: Int32, label: Int, forwardReturn: Double,
                                basePredictions: UnsafeBufferPointer<Double>, features: UnsafeBufferPointer<Double>,
                                ensemble: UnsafeBufferPointer<Double>, modelVersion: UInt32) {
        rows.append(eventTime: eventTime, exitTime: exitTime, symbol: symbol, label: label, forwardReturn: forwardReturn,
                    basePredictions: basePredictions, features: features, ensemble: ensemble, modelVersion: modelVersion)
        if rows.count > maxRows + max(1, maxRows / 4) { trim() }
    }

    /// The rows within bounds, oldest first (copy-on-write: cheap until ingest appends again).
    public mutating func snapshot() -> OutOfSampleRows {
        trim()
        return rows
    }

    private mutating func trim() {
        var drop = max(0, rows.count - maxRows)
        if maxAgeNanoseconds > 0, let newest = rows.eventTimes.max() {
            let cutoff = newest - maxAgeNanoseconds
            while drop < rows.count, rows.eventTimes[drop] < cutoff { drop += 1 }
        }
        rows.removeFirst(drop)
        trimmed += drop
    }
}
