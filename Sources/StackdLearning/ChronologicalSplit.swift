/// Train/test split in time with purging, as the reference defines it.
///
/// A label is only known at its exit time, so a training event whose holding period reaches into
/// the test period would leak test-period information into the fit: such events are purged.
/// Splitting on a timestamp (not a row) keeps every symbol of a given day on the same side.
public struct ChronologicalSplit: Sendable, Equatable, Codable {
    /// Indices of training events: timestamp < cut and exit < cut.
    public let train: [Int]
    /// Indices of test events: timestamp ≥ cut.
    public let test: [Int]
    /// First test timestamp: the timestamp of event ⌊trainFraction·N⌋.
    public let cutTimestamp: Int64
    /// Events with timestamp < cut that were dropped because their exit was not before the cut.
    public let purged: Int

    /// Splits events already sorted by (timestamp, symbol). `trainFraction` ∈ (0, 1); the
    /// reference uses 0.8.
    public init(timestamps: [Int64], exitTimestamps: [Int64], trainFraction: Double = 0.8) {
        precondition(timestamps.count == exitTimestamps.count, "length mismatch")
        precondition(!timestamps.isEmpty, "no events")
        precondition(trainFraction > 0 && trainFraction < 1, "trainFraction must be in (0, 1)")
        precondition(zip(timestamps, timestamps.dropFirst()).allSatisfy { $0 <= $1 }, "timestamps must be sorted")
        let n = timestamps.count
        let cutIndex = min(Int((trainFraction * Double(n)).rounded(.down)), n - 1)
        let cut = timestamps[cutIndex]
        var tr: [Int] = [], te: [Int] = []
        var purged = 0
        for i in 0..<n {
            if timestamps[i] >= cut { te.append(i) } else if exitTimestamps[i] < cut { tr.append(i) } else { purged += 1 }
        }
        self.train = tr
        self.test = te
        self.cutTimestamp = cut
        self.purged = purged
    }

    /// The split of a parsed dataset.
    public init(_ dataset: OOSDailyDataset, trainFraction: Double = 0.8) {
        self.init(timestamps: dataset.timestamps, exitTimestamps: dataset.exitTimestamps, trainFraction: trainFraction)
    }
}
