/// Joins realized labels to the rows already emitted and scores the ensemble, the averaging
/// baseline, every base model and the two label-only baselines on the same rows.
///
/// The label-only baselines know nothing but the labels matched so far on the horizon (those known
/// when the row was emitted): the class prior predicts (n_c + 1) / (n + K) — add-one smoothing,
/// uniform before the first label and never 0 — and always-majority the one-hot arg-max of the
/// same counts (ties to the lowest class). The prior is snapshotted into the row's slot at
/// emission, so a label arriving later never leaks into the forecast of an earlier row.
///
/// Emitted rows wait in at most `capacity` slots; when every slot holds a row still waiting for
/// its label, the oldest one is dropped (counted), so memory is bounded whatever the label delay.
/// A labelled row's slot is reused by the next emitted row, so the memory in use follows the
/// rows actually in flight (labels arrive a horizon later: thousands, not the capacity). A
/// matched row is handed to the caller (to join the out-of-sample window) before its slot can
/// be reused.
///
/// The slots' values live in fixed chunks of `chunkSlots` slots, each allocated when its first
/// slot is first used, instead of one array zeroed up front: at the default 262 144 slots that
/// was ≈ 100 MB and 60 ms per pipeline (bench/RESULTS.md §5). Chunks never move once allocated,
/// so growth copies nothing (no stall on the ingest thread).
///
/// A class with one owner (the pipeline's ingest thread), like `RowAssembler`: its chunks are
/// raw memory it frees, so lending a row costs no reference counting, and its per-row state
/// skips the dynamic exclusivity check.
public final class PrequentialScoreboard {
    public let modelCount: Int
    public let classCount: Int
    public let featureCount: Int
    public let capacity: Int
    /// Challengers whose predictions each row keeps (`ChallengerScore`); 0 keeps none.
    public let challengerCount: Int
    private let slotWidth: Int
    @exclusivity(unchecked) private var index: RowIndex
    @exclusivity(unchecked) private var keys: [RowKey]
    /// Per slot: M×K base, K ensemble, K average, F features, K class prior, C×K challengers (NaN
    /// first value: not installed when the row was emitted); slot s is in chunk s / chunkSlots.
    @exclusivity(unchecked) private var chunks: [UnsafeMutablePointer<Double>] = []
    static let chunkShift = 12
    static let chunkSlots = 1 << chunkShift
    @exclusivity(unchecked) private var versions: [UInt32]
    @exclusivity(unchecked) private var masks: [UInt64]
    /// Slots handed out so far (slots below this exist); freed slots are reused first.
    @exclusivity(unchecked) private var allocated = 0
    @exclusivity(unchecked) private var free: [Int32] = []
    /// Awaiting rows in emission order: eviction takes the head.
    @exclusivity(unchecked) private var order: SlotList

    /// Per horizon index: ensemble, averaging, then each base model.
    @exclusivity(unchecked) public private(set) var ensemble: [ScoreAccumulator]
    @exclusivity(unchecked) public private(set) var average: [ScoreAccumulator]
    /// Per horizon index: the class prior and always-majority (see the type's comment).
    @exclusivity(unchecked) public private(set) var classPrior: [ScoreAccumulator]
    @exclusivity(unchecked) public private(set) var alwaysMajority: [ScoreAccumulator]
    /// Per horizon index × class: labels matched so far.
    @exclusivity(unchecked) private var labelCounts: [Int]
    /// One-hot scratch for always-majority (no allocation per row).
    private let oneHot: UnsafeMutableBufferPointer<Double>
    /// Per horizon index, each base model (index h·M + m): one flat array, so scoring a row's
    /// models is one buffer access.
    @exclusivity(unchecked) private var modelScores: [ScoreAccumulator]
    /// Per horizon index, each base model's scores (allocates: for metrics and reports).
    public var models: [[ScoreAccumulator]] {
        (0..<ensemble.count).map { h in Array(modelScores[h * modelCount ..< (h + 1) * modelCount]) }
    }
    /// The row being scored: each base model's log-loss and hit, lent with the matched row.
    private let rowLogLosses: UnsafeMutableBufferPointer<Double>
    private let rowHits: UnsafeMutableBufferPointer<Bool>
    @exclusivity(unchecked) public private(set) var droppedUnlabelled = 0
    /// Per horizon index, each challenger (index h·C + c).
    @exclusivity(unchecked) public private(set) var challengers: [ChallengerScore]

    /// - Parameters:
    ///   - challengerCount: challengers scored beside the ensemble (`ChallengerScore`).
    ///   - challengerWindow: the recent window of their scores, in labelled rows (0: cumulative only).
    public init(modelCount: Int, classCount: Int, featureCount: Int = 0, capacity: Int, horizonCount: Int,
                challengerCount: Int = 0, challengerWindow: Int = 0) {
        self.modelCount = modelCount
        self.classCount = classCount
        self.featureCount = featureCount
        self.capacity = capacity
        self.challengerCount = challengerCount
        challengers = Array(repeating: ChallengerScore(window: challengerWindow), count: challengerCount * horizonCount)
        slotWidth = (modelCount + 3 + challengerCount) * classCount + featureCount
        index = RowIndex(capacity: max(capacity, 1))
        keys = Array(repeating: RowKey(symbol: -1, horizonIndex: -1, eventTime: 0), count: capacity)
        chunks.reserveCapacity((capacity + Self.chunkSlots - 1) / Self.chunkSlots)
        versions = Array(repeating: 0, count: capacity)
        masks = Array(repeating: 0, count: capacity)
        order = SlotList(capacity: capacity)
        ensemble = Array(repeating: ScoreAccumulator(), count: horizonCount)
        average = Array(repeating: ScoreAccumulator(), count: horizonCount)
        classPrior = Array(repeating: ScoreAccumulator(), count: horizonCount)
        alwaysMajority = Array(repeating: ScoreAccumulator(), count: horizonCount)
        labelCounts = Array(repeating: 0, count: horizonCount * classCount)
        oneHot = .allocate(capacity: max(classCount, 1))
        oneHot.initialize(repeating: 0)
        modelScores = Array(repeating: ScoreAccumulator(), count: modelCount * horizonCount)
        rowLogLosses = .allocate(capacity: max(modelCount, 1))
        rowLogLosses.initialize(repeating: 0)
        rowHits = .allocate(capacity: max(modelCount, 1))
        rowHits.initialize(repeating: false)
    }

    deinit {
        for chunk in chunks { chunk.deallocate() }
        rowLogLosses.deallocate()
        rowHits.deallocate()
        oneHot.deallocate()
    }

    /// Values `from ..< to` of a chunk.
    @inline(__always)
    private func span(_ chunk: UnsafePointer<Double>, _ from: Int, _ to: Int) -> UnsafeBufferPointer<Double> {
        UnsafeBufferPointer(start: chunk + from, count: to - from)
    }

    /// Rows waiting for their label.
    public var awaitingCount: Int { index.count }
    /// Slots ever used: the memory in use follows this, not `capacity`.
    var allocatedSlots: Int { allocated }

    /// Keeps an emitted row until its label arrives. `challengers` holds C×K probabilities (a
    /// challenger not installed yet has NaN first); nil: none is scored on this row.
    public func remember(key: RowKey, base: UnsafeBufferPointer<Double>, ensemble e: UnsafeBufferPointer<Double>,
                                  average a: UnsafeBufferPointer<Double>, features: UnsafeBufferPointer<Double>? = nil,
                                  modelVersion: UInt32 = 0, presentMask: UInt64 = .max,
                                  challengers: UnsafeBufferPointer<Double>? = nil) {
        guard capacity > 0 else { return }
        let slot: Int
        if let reused = free.popLast() {
            slot = Int(reused)
        } else if allocated < capacity {
            slot = allocated
            allocated += 1
        } else {
            // Every slot awaits a label: the oldest row is dropped.
            slot = Int(order.head)
            order.remove(slot)
            index.remove(keys[slot])
            droppedUnlabelled += 1
        }
        keys[slot] = key
        index.set(key, Int32(slot))
        order.append(slot)
        versions[slot] = modelVersion
        masks[slot] = presentMask
        let chunk = slot >> Self.chunkShift
        if chunk == chunks.count {
            let count = min(Self.chunkSlots, capacity - (chunk << Self.chunkShift)) * slotWidth
            let memory = UnsafeMutablePointer<Double>.allocate(capacity: count)
            memory.initialize(repeating: 0, count: count)
            chunks.append(memory)
        }
        let o = (slot & (Self.chunkSlots - 1)) * slotWidth
        let mk = modelCount * classCount, k = classCount, f = featureCount
        do {
            let v = chunks[chunk]
            for i in 0..<mk { v[o + i] = base[i] }
            for c in 0..<k {
                v[o + mk + c] = e[c]
                v[o + mk + k + c] = a[c]
            }
            if let features { for i in 0..<f { v[o + mk + 2 * k + i] = features[i] } }
            // The class prior as of now: the labels matched on this horizon so far.
            let h = Int(key.horizonIndex), p = o + mk + 2 * k + f
            var known = 0
            for c in 0..<k { known += labelCounts[h * k + c] }
            let inv = 1.0 / Double(known + k)
            for c in 0..<k { v[p + c] = Double(labelCounts[h * k + c] + 1) * inv }
            let q = p + k
            if let challengers {
                for i in 0..<challengerCount * k { v[q + i] = challengers[i] }
            } else {
                for i in 0..<challengerCount * k { v[q + i] = .nan }
            }
        }
    }

    /// A matched row, borrowed for the duration of the callback.
    public struct MatchedRow {
        public var key: RowKey
        public var basePredictions: UnsafeBufferPointer<Double>
        public var ensemble: UnsafeBufferPointer<Double>
        public var features: UnsafeBufferPointer<Double>
        public var modelVersion: UInt32
        /// Which base models were present when the row was emitted.
        public var presentMask: UInt64
        /// Each base model's log-loss on this row, −ln max(p_label, 1e-15), as scored (empty for
        /// a row still awaiting its label).
        public var baseLogLosses: UnsafeBufferPointer<Double>
        /// Whether each base model's arg-max (first on ties) was the label.
        public var baseHits: UnsafeBufferPointer<Bool>
        /// C×K challenger predictions (see `remember`); empty without challengers.
        public var challengers = UnsafeBufferPointer<Double>(start: nil, count: 0)
    }

    /// Shows every row still waiting for its label, oldest first (to persist them at shutdown).
    public func forEachAwaiting(_ body: (MatchedRow) -> Void) {
        let k = classCount, mk = modelCount * classCount, f = featureCount
        var cursor = order.head
        while cursor >= 0 {
            let slot = Int(cursor)
            cursor = order.after(slot)
            let key = keys[slot]
            let o = (slot & (Self.chunkSlots - 1)) * slotWidth
            do {
                let v = UnsafePointer(chunks[slot >> Self.chunkShift])
                body(MatchedRow(key: key, basePredictions: span(v, o, o + mk),
                                ensemble: span(v, o + mk, o + mk + k),
                                features: span(v, o + mk + 2 * k, o + mk + 2 * k + f),
                                modelVersion: versions[slot], presentMask: masks[slot],
                                baseLogLosses: UnsafeBufferPointer(start: nil, count: 0),
                                baseHits: UnsafeBufferPointer(start: nil, count: 0)))
            }
        }
    }

    /// Scores the row for `key` against `label` and shows it to `body`; false when no such row
    /// is waiting (never emitted, already labelled, or dropped).
    @discardableResult
    public func score(key: RowKey, label: Int, _ body: (MatchedRow) -> Void = { _ in }) -> Bool {
        guard let s = index.remove(key) else { return false }
        order.remove(Int(s))
        // Reusable once the caller is done with the row.
        defer { free.append(s) }
        let o = (Int(s) & (Self.chunkSlots - 1)) * slotWidth
        let h = Int(key.horizonIndex)
        let k = classCount, mk = modelCount * classCount, f = featureCount
        let version = versions[Int(s)]
        let mask = masks[Int(s)]
        let m0 = h * modelCount
        do {
            let v = UnsafePointer(chunks[Int(s) >> Self.chunkShift])
            let e = span(v, o + mk, o + mk + k)
            ensemble[h].add(e, label: label)
            average[h].add(span(v, o + mk + k, o + mk + 2 * k), label: label)
            let prior = span(v, o + mk + 2 * k + f, o + mk + 3 * k + f)
            classPrior[h].add(prior, label: label)
            var majority = 0
            for c in 1..<k where prior[c] > prior[majority] { majority = c }
            for c in 0..<k { oneHot[c] = c == majority ? 1 : 0 }
            alwaysMajority[h].add(UnsafeBufferPointer(oneHot), label: label)
            if label >= 0 && label < k { labelCounts[h * k + label] += 1 }
            if challengerCount > 0 {
                let q = o + mk + 3 * k + f, c0 = h * challengerCount
                challengers.withUnsafeMutableBufferPointer { scores in
                    for c in 0..<challengerCount {
                        let p = span(v, q + c * k, q + (c + 1) * k)
                        if !p[0].isNaN { scores[c0 + c].add(p, label: label, champion: e) }
                    }
                }
            }
            let losses = rowLogLosses, hits = rowHits
            modelScores.withUnsafeMutableBufferPointer { scores in
                for m in 0..<modelCount {
                    let r = scores[m0 + m].add(span(v, o + m * k, o + m * k + k), label: label)
                    losses[m] = r.logLoss
                    hits[m] = r.hit
                }
            }
            let q = o + mk + 3 * k + f
            body(MatchedRow(key: key, basePredictions: span(v, o, o + mk), ensemble: e,
                            features: span(v, o + mk + 2 * k, o + mk + 2 * k + f),
                            modelVersion: version, presentMask: mask,
                            baseLogLosses: UnsafeBufferPointer(losses), baseHits: UnsafeBufferPointer(hits),
                            challengers: span(v, q, q + challengerCount * k)))
        }
        return true
    }
}
