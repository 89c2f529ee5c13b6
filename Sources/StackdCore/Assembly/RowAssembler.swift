/// A row that left assembly: what the pipeline emits (or counts as dropped). Its probabilities
/// stay readable through `RowAssembler.probabilities(of:)` until the next `add`.
public struct FinishedRow: Sendable {
    public var key: RowKey
    /// Storage slot of the row's vectors.
    public var slot: Int
    public var presentMask: UInt64
    public var presentCount: Int
    public var completion: RowCompletion
    public var lastArrival: Int64
    /// Fewer than `min_models` had arrived: nothing is emitted for it.
    public var dropped: Bool
    /// The row's regime message arrived (always false when no regimes are configured); when it
    /// did not, `RowAssembler.regimes(of:)` reads zeros, the "normal" regime.
    public var regimePresent: Bool = false
}

/// Aligns the vectors of all base models for one (symbol, horizon, event time).
///
/// Storage is preallocated for `capacity` rows: slots live in flat arrays and are linked in
/// arrival order, so deadline expiry and eviction take the oldest row in O(1) and nothing is
/// allocated per message. Time is the driver's (receive time, or event time in replay), never
/// the wall clock. With regimes configured (`regimeCount` > 0) each row has one more slot, the
/// regime values of its (symbol, event time): the row is `complete` only when every model and the
/// regime arrived; at the deadline a missing regime reads as zeros and the row says so
/// (`FinishedRow.regimePresent`). A class, not a struct: the pipeline reads a finished row's vectors in place
/// while it emits, and a struct would be copied (every array retained) to allow that.
public final class RowAssembler {
    /// What `add` did. `.full`: the row is new and every slot is taken — the caller evicts the
    /// oldest row with `finishOldest(completion: .evicted)`, handles it, and adds again (so the
    /// evicted row's vectors are read before its slot is reused).
    public enum AddResult: Sendable { case accepted, completed(FinishedRow), duplicate, late, full }

    public let modelCount: Int
    public let classCount: Int
    public let capacity: Int
    public let deadline: Int64
    public let minModels: Int
    /// Regime values per row (0: no regimes, rows complete on models alone).
    public let regimeCount: Int
    private let rowWidth: Int

    private var index: RowIndex
    private var keys: [RowKey]
    /// `capacity` × M × K, slot-major; owned (freed in deinit).
    private let probabilities: UnsafeMutablePointer<Double>
    private var present: [UInt64]
    /// `capacity` × `regimeCount`, slot-major; zeros until a regime arrives. Owned.
    private let regimeValues: UnsafeMutablePointer<Double>
    private var regimePresent: [Bool]
    private var presentCounts: [Int32]
    private var firstArrival: [Int64]
    private var lastArrival: [Int64]
    /// Pending rows, oldest first arrival at the head.
    private var order: SlotList
    private var free: [Int32]
    /// Highest emitted event time per (symbol, horizon); older rows are late.
    private var watermark: [Int64]
    private let horizonCount: Int

    public init(modelCount: Int, classCount: Int, capacity: Int, deadline: Int64, minModels: Int,
                maxSymbols: Int, horizonCount: Int, regimeCount: Int = 0) {
        self.modelCount = modelCount
        self.classCount = classCount
        self.capacity = capacity
        self.deadline = deadline
        self.minModels = minModels
        self.horizonCount = horizonCount
        self.regimeCount = regimeCount
        regimeValues = .allocate(capacity: max(1, capacity * regimeCount))
        regimeValues.initialize(repeating: 0, count: max(1, capacity * regimeCount))
        regimePresent = Array(repeating: false, count: capacity)
        rowWidth = modelCount * classCount
        index = RowIndex(capacity: capacity)
        keys = Array(repeating: RowKey(symbol: 0, horizonIndex: 0, eventTime: 0), count: capacity)
        probabilities = .allocate(capacity: max(1, capacity * modelCount * classCount))
        probabilities.initialize(repeating: 0, count: max(1, capacity * modelCount * classCount))
        present = Array(repeating: 0, count: capacity)
        presentCounts = Array(repeating: 0, count: capacity)
        firstArrival = Array(repeating: 0, count: capacity)
        lastArrival = Array(repeating: 0, count: capacity)
        order = SlotList(capacity: capacity)
        free = (0..<Int32(capacity)).reversed()
        watermark = Array(repeating: Int64.min, count: maxSymbols * horizonCount)
    }

    deinit {
        probabilities.deallocate()
        regimeValues.deallocate()
    }

    /// Rows currently under assembly.
    public var pendingCount: Int { index.count }

    /// The highest event time emitted for (symbol, horizon).
    public func watermark(symbol: Int, horizonIndex: Int) -> Int64 {
        watermark[symbol * horizonCount + horizonIndex]
    }

    /// Adds one model's vector; the row is finished (`.completed`) when it was the last model.
    public func add(key: RowKey, model: Int, vector: UnsafeBufferPointer<Double>, receivedAt: Int64) -> AddResult {
        let bit = UInt64(1) << UInt64(model)
        let slot: Int
        if let existing = index[key] {
            slot = Int(existing)
            if present[slot] & bit != 0 { return .duplicate }
        } else {
            switch openRow(key, receivedAt: receivedAt) {
            case .opened(let s): slot = s
            case .refused(let r): return r
            }
        }
        let base = slot * rowWidth + model * classCount
        for c in 0..<classCount { probabilities[base + c] = vector[c] }
        present[slot] |= bit
        presentCounts[slot] += 1
        lastArrival[slot] = receivedAt
        if isComplete(slot) { return .completed(finish(slot: slot, completion: .complete)) }
        return .accepted
    }

    /// Adds the regime values of one row (`regimeCount` of them; requires regimes configured).
    /// A regime may come before any model: it opens the row, which then waits for the models like
    /// any other (a row no model ever joins is finished with `presentCount` 0, i.e. dropped).
    public func addRegime(key: RowKey, values: UnsafeBufferPointer<Double>, receivedAt: Int64) -> AddResult {
        precondition(regimeCount > 0, "addRegime without configured regimes")
        let slot: Int
        if let existing = index[key] {
            slot = Int(existing)
            if regimePresent[slot] { return .duplicate }
        } else {
            switch openRow(key, receivedAt: receivedAt) {
            case .opened(let s): slot = s
            case .refused(let r): return r
            }
        }
        let base = slot * regimeCount
        for i in 0..<regimeCount { regimeValues[base + i] = values[i] }
        regimePresent[slot] = true
        if isComplete(slot) { return .completed(finish(slot: slot, completion: .complete)) }
        return .accepted
    }

    /// The regime values of a finished row (zeros when its regime did not arrive). Valid until
    /// the next `add` or `addRegime`; empty when no regimes are configured.
    public func regimes(of row: FinishedRow) -> UnsafeBufferPointer<Double> {
        UnsafeBufferPointer(start: regimeValues + row.slot * regimeCount, count: regimeCount)
    }

    private enum OpenResult { case opened(Int), refused(AddResult) }

    /// Takes a free slot for a new row, unless the row is late or every slot is taken.
    private func openRow(_ key: RowKey, receivedAt: Int64) -> OpenResult {
        if key.eventTime <= watermark[Int(key.symbol) * horizonCount + Int(key.horizonIndex)] { return .refused(.late) }
        guard let taken = free.popLast() else { return .refused(.full) }
        let slot = Int(taken)
        keys[slot] = key
        present[slot] = 0
        presentCounts[slot] = 0
        firstArrival[slot] = receivedAt
        lastArrival[slot] = receivedAt
        if regimeCount > 0 {
            regimePresent[slot] = false
            for i in 0..<regimeCount { regimeValues[slot * regimeCount + i] = 0 }
        }
        index.set(key, Int32(slot))
        order.append(slot)
        return .opened(slot)
    }

    @inline(__always)
    private func isComplete(_ slot: Int) -> Bool {
        Int(presentCounts[slot]) == modelCount && (regimeCount == 0 || regimePresent[slot])
    }

    /// Finishes the oldest pending row if its deadline is at or before `now` (call until nil).
    public func finishExpired(now: Int64) -> FinishedRow? {
        let head = order.head
        guard head >= 0, firstArrival[Int(head)] &+ deadline <= now else { return nil }
        return finish(slot: Int(head), completion: .deadline)
    }

    /// Finishes the oldest pending row (eviction when full, draining on a graceful stop).
    public func finishOldest(completion: RowCompletion) -> FinishedRow? {
        let head = order.head
        guard head >= 0 else { return nil }
        return finish(slot: Int(head), completion: completion)
    }

    /// The earliest pending deadline, so a driver can sleep exactly until it.
    public var nextDeadline: Int64? { order.head >= 0 ? firstArrival[Int(order.head)] &+ deadline : nil }

    /// The M×K vectors of a finished row (model-major, alphabetical model order), missing models
    /// imputed with the mean of the present ones. Valid until the next `add`.
    public func probabilities(of row: FinishedRow) -> UnsafeBufferPointer<Double> {
        UnsafeBufferPointer(start: probabilities + row.slot * rowWidth, count: rowWidth)
    }

    private func finish(slot: Int, completion: RowCompletion) -> FinishedRow {
        let key = keys[slot]
        let count = Int(presentCounts[slot])
        let mask = present[slot]
        order.remove(slot)
        index.remove(key)
        free.append(Int32(slot))
        let w = Int(key.symbol) * horizonCount + Int(key.horizonIndex)
        if key.eventTime > watermark[w] { watermark[w] = key.eventTime }
        let dropped = completion != .complete && count < minModels
        if !dropped && count < modelCount {
            Self.imputeMissing(UnsafeMutableBufferPointer(start: probabilities, count: capacity * rowWidth), base: slot * rowWidth,
                               mask: mask, count: count, modelCount: modelCount, classCount: classCount)
        }
        return FinishedRow(key: key, slot: slot, presentMask: mask, presentCount: count, completion: completion,
                           lastArrival: lastArrival[slot], dropped: dropped, regimePresent: regimeCount > 0 && regimePresent[slot])
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
}
