/// Joins realized labels to the rows already emitted and scores the ensemble, the averaging
/// baseline and every base model on the same rows.
///
/// Emitted rows wait in a fixed ring of `capacity` slots; when it is full the oldest unlabelled
/// row is dropped (counted), so memory is bounded whatever the label delay.
public struct PrequentialScoreboard {
    public let modelCount: Int
    public let classCount: Int
    public let capacity: Int
    private let slotWidth: Int
    private var index: [RowKey: Int32]
    private var keys: [RowKey]
    private var values: [Double]   // per slot: M×K base, K ensemble, K average
    private var nextSlot = 0

    /// Per horizon index: ensemble, averaging, then each base model.
    public private(set) var ensemble: [ScoreAccumulator]
    public private(set) var average: [ScoreAccumulator]
    public private(set) var models: [[ScoreAccumulator]]
    public private(set) var droppedUnlabelled = 0

    public init(modelCount: Int, classCount: Int, capacity: Int, horizonCount: Int) {
        self.modelCount = modelCount
        self.classCount = classCount
        self.capacity = capacity
        slotWidth = (modelCount + 2) * classCount
        index = Dictionary(minimumCapacity: capacity * 2)
        keys = Array(repeating: RowKey(symbol: -1, horizonIndex: -1, eventTime: 0), count: capacity)
        values = Array(repeating: 0, count: capacity * slotWidth)
        ensemble = Array(repeating: ScoreAccumulator(), count: horizonCount)
        average = Array(repeating: ScoreAccumulator(), count: horizonCount)
        models = Array(repeating: Array(repeating: ScoreAccumulator(), count: modelCount), count: horizonCount)
    }

    /// Rows waiting for their label.
    public var awaitingCount: Int { index.count }

    /// Keeps an emitted row until its label arrives.
    public mutating func remember(key: RowKey, base: UnsafeBufferPointer<Double>,
                                  ensemble e: UnsafeBufferPointer<Double>, average a: UnsafeBufferPointer<Double>) {
        guard capacity > 0 else { return }
        let slot = nextSlot
        nextSlot = (nextSlot + 1) % capacity
        let old = keys[slot]
        if old.symbol >= 0, index[old] == Int32(slot) {
            index.removeValue(forKey: old)
            droppedUnlabelled += 1
        }
        keys[slot] = key
        index[key] = Int32(slot)
        let o = slot * slotWidth
        let mk = modelCount * classCount
        values.withUnsafeMutableBufferPointer { v in
            for i in 0..<mk { v[o + i] = base[i] }
            for c in 0..<classCount {
                v[o + mk + c] = e[c]
                v[o + mk + classCount + c] = a[c]
            }
        }
    }

    /// Scores the row for `key` against `label`; false when no such row is waiting.
    public mutating func score(key: RowKey, label: Int) -> Bool {
        guard let s = index.removeValue(forKey: key) else { return false }
        let o = Int(s) * slotWidth
        let h = Int(key.horizonIndex)
        let k = classCount, mk = modelCount * classCount
        values.withUnsafeBufferPointer { v in
            ensemble[h].add(UnsafeBufferPointer(rebasing: v[o + mk ..< o + mk + k]), label: label)
            average[h].add(UnsafeBufferPointer(rebasing: v[o + mk + k ..< o + mk + 2 * k]), label: label)
            for m in 0..<modelCount {
                models[h][m].add(UnsafeBufferPointer(rebasing: v[o + m * k ..< o + m * k + k]), label: label)
            }
        }
        return true
    }
}
