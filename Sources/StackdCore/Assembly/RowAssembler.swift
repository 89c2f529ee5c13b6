/// Receives a completed row from the assembler. Generic rather than a closure so the hot path
/// neither allocates nor dispatches dynamically.
public protocol AssembledRowSink {
    /// `probabilities` holds M×K values (model-major, alphabetical model order); the vectors of
    /// missing models are already imputed with the mean of the present ones. Valid only during
    /// the call.
    mutating func rowCompleted(key: RowKey, probabilities: UnsafeBufferPointer<Double>, presentMask: UInt64,
                               presentCount: Int, completion: RowCompletion, lastArrival: Int64)
    /// A row was abandoned because fewer than `min_models` had arrived.
    mutating func rowDropped(key: RowKey, presentCount: Int, completion: RowCompletion)
}

/// Aligns the vectors of all base models for one (symbol, horizon, event time).
///
/// Storage is preallocated for `capacity` rows: slots live in flat arrays and are linked in
/// arrival order, so deadline expiry and eviction take the oldest row in O(1) and nothing is
/// allocated per message. Time is the driver's (receive time, or event time in replay), never
/// the wall clock.
public struct RowAssembler {
    public enum AddResult: Equatable { case accepted, duplicate, late }

    public let modelCount: Int
    public let classCount: Int
    public let capacity: Int
    public let deadline: Int64
    public let minModels: Int
    private let rowWidth: Int

    private var index: RowIndex
    private var keys: [RowKey]
    private var probabilities: [Double]
    private var present: [UInt64]
    private var presentCounts: [Int32]
    private var firstArrival: [Int64]
    private var lastArrival: [Int64]
    private var previous: [Int32]
    private var next: [Int32]
    private var head: Int32 = -1
    private var tail: Int32 = -1
    private var free: [Int32]
    /// Highest emitted event time per (symbol, horizon); older rows are late.
    private var watermark: [Int64]
    private let horizonCount: Int

    public init(modelCount: Int, classCount: Int, capacity: Int, deadline: Int64, minModels: Int,
                maxSymbols: Int, horizonCount: Int) {
        self.modelCount = modelCount
        self.classCount = classCount
        self.capacity = capacity
        self.deadline = deadline
        self.minModels = minModels
        self.horizonCount = horizonCount
        rowWidth = modelCount * classCount
        index = RowIndex(capacity: capacity)
        keys = Array(repeating: RowKey(symbol: 0, horizonIndex: 0, eventTime: 0), count: capacity)
        probabilities = Array(repeating: 0, count: capacity * modelCount * classCount)
        present = Array(repeating: 0, count: capacity)
        presentCounts = Array(repeating: 0, count: capacity)
        firstArrival = Array(repeating: 0, count: capacity)
        lastArrival = Array(repeating: 0, count: capacity)
        previous = Array(repeating: -1, count: capacity)
        next = Array(repeating: -1, count: capacity)
        free = (0..<Int32(capacity)).reversed()
        watermark = Array(repeating: Int64.min, count: maxSymbols * horizonCount)
    }

    /// Rows currently under assembly.
    public var pendingCount: Int { index.count }

    /// The highest event time emitted for (symbol, horizon).
    public func watermark(symbol: Int, horizonIndex: Int) -> Int64 {
        watermark[symbol * horizonCount + horizonIndex]
    }

    /// Adds one model's vector. May complete this row, or evict the oldest row when full.
    public mutating func add<S: AssembledRowSink>(
        key: RowKey, model: Int, vector: UnsafeBufferPointer<Double>, receivedAt: Int64, sink: inout S
    ) -> AddResult {
        let bit = UInt64(1) << UInt64(model)
        var slot: Int
        if let existing = index[key] {
            slot = Int(existing)
            if present[slot] & bit != 0 { return .duplicate }
        } else {
            if key.eventTime <= watermark[Int(key.symbol) * horizonCount + Int(key.horizonIndex)] { return .late }
            if free.isEmpty { finish(slot: Int(head), completion: .evicted, sink: &sink) }
            slot = Int(free.removeLast())
            keys[slot] = key
            present[slot] = 0
            presentCounts[slot] = 0
            firstArrival[slot] = receivedAt
            index.set(key, Int32(slot))
            link(slot)
        }
        let base = slot * rowWidth + model * classCount
        for c in 0..<classCount { probabilities[base + c] = vector[c] }
        present[slot] |= bit
        presentCounts[slot] += 1
        lastArrival[slot] = receivedAt
        if Int(presentCounts[slot]) == modelCount { finish(slot: slot, completion: .complete, sink: &sink) }
        return .accepted
    }

    /// Emits (or drops) every row whose deadline is at or before `now`.
    public mutating func expire<S: AssembledRowSink>(now: Int64, sink: inout S) {
        while head >= 0, firstArrival[Int(head)] &+ deadline <= now {
            finish(slot: Int(head), completion: .deadline, sink: &sink)
        }
    }

    /// Emits (or drops) every pending row, oldest first: used on graceful stop.
    public mutating func drain<S: AssembledRowSink>(sink: inout S) {
        while head >= 0 { finish(slot: Int(head), completion: .drained, sink: &sink) }
    }

    /// The earliest pending deadline, so a driver can sleep exactly until it.
    public var nextDeadline: Int64? { head >= 0 ? firstArrival[Int(head)] &+ deadline : nil }

    private mutating func finish<S: AssembledRowSink>(slot: Int, completion: RowCompletion, sink: inout S) {
        let key = keys[slot]
        let count = Int(presentCounts[slot])
        let mask = present[slot]
        unlink(slot)
        index.remove(key)
        free.append(Int32(slot))
        let w = Int(key.symbol) * horizonCount + Int(key.horizonIndex)
        if key.eventTime > watermark[w] { watermark[w] = key.eventTime }
        if completion != .complete && count < minModels {
            sink.rowDropped(key: key, presentCount: count, completion: completion)
            return
        }
        let base = slot * rowWidth, width = rowWidth, m = modelCount, k = classCount
        let arrival = lastArrival[slot]
        probabilities.withUnsafeMutableBufferPointer { p in
            if count < m { Self.imputeMissing(p, base: base, mask: mask, count: count, modelCount: m, classCount: k) }
            sink.rowCompleted(
                key: key, probabilities: UnsafeBufferPointer(rebasing: p[base ..< base + width]),
                presentMask: mask, presentCount: count, completion: completion, lastArrival: arrival)
        }
    }

    /// Missing models take the mean vector of the present ones: they then add no information
    /// to averaging, and their presence is carried separately in the mask.
    private static func imputeMissing(_ p: UnsafeMutableBufferPointer<Double>, base: Int, mask: UInt64, count: Int,
                                      modelCount: Int, classCount: Int) {
        for c in 0..<classCount {
            var sum = 0.0
            for m in 0..<modelCount where mask & (UInt64(1) << UInt64(m)) != 0 { sum += p[base + m * classCount + c] }
            let mean = sum / Double(count)
            for m in 0..<modelCount where mask & (UInt64(1) << UInt64(m)) == 0 { p[base + m * classCount + c] = mean }
        }
    }

    private mutating func link(_ slot: Int) {
        previous[slot] = tail
        next[slot] = -1
        if tail >= 0 { next[Int(tail)] = Int32(slot) } else { head = Int32(slot) }
        tail = Int32(slot)
    }

    private mutating func unlink(_ slot: Int) {
        let p = previous[slot], n = next[slot]
        if p >= 0 { next[Int(p)] = n } else { head = n }
        if n >= 0 { previous[Int(n)] = p } else { tail = p }
        previous[slot] = -1
        next[slot] = -1
    }
}
