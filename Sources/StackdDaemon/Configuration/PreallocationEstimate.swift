import StackdCore

/// The memory a configuration reserves: buffers `StackdCore` preallocates at start plus the
/// bounded ones it fills up to their bound (awaiting labels, training windows). An allowed
/// maximum such as `labels.max_awaiting = 100000000` would otherwise take gigabytes at start
/// (or later, while running), so the loader refuses a configuration over
/// `memory.max_preallocated_mb` and says how much it would take, and for which key.
///
/// Sizes follow the storage of `RowAssembler`, `EarlyLabels`, `PrequentialScoreboard`,
/// `OutOfSampleWindow`, `RecentSkill` and `NameTable`; hash indexes are counted at their largest
/// (two entries per key, rounded up to a power of two). Computed in Double: no overflow.
package struct PreallocationEstimate: Sendable {
    /// Bytes per component, named by the key that sizes it.
    package var parts: [(key: String, bytes: Double)]

    package var totalBytes: Double { parts.reduce(0) { $0 + $1.bytes } }

    package init(_ config: DaemonConfiguration) {
        let p = config.pipeline
        let m = Double(p.models.count), k = Double(p.classCount), h = Double(max(p.horizons.count, 1))
        let f = Double(StackingFeatureLayout(models: p.models, classCount: p.classCount, regimeNames: p.regimeNames, skillWindow: p.skillWindow).count)
        /// RowIndex entry: event time, symbol, horizon, value.
        let indexEntry = 24.0
        func index(_ keys: Double) -> Double {
            var size = 16.0
            while size < max(keys, 1) * 2 { size *= 2 }
            return size * indexEntry
        }
        let pending = Double(p.maxPendingRows)
        // Slot: key 16, probabilities 8·M·K, present mask 8, count 8, two arrival times 16,
        // two list links 8, free list 4; early labels hold max(1024, pending) keys 16 + label 24.
        let early = max(1024, pending)
        let assembly = pending * (16 + 8 * m * k + 8 + 8 + 16 + 8 + 4) + index(pending) + early * (16 + 24) + index(early)
        let symbols = Double(p.maxSymbols)
        // Watermark per symbol × horizon; name table slots, offsets, lengths, words and arena.
        let symbolTable = symbols * h * 8 + symbols * (2 * 8 + 8 + 8 + 8 + 8 + 16 + 16)
        let awaiting = Double(p.maxAwaitingLabels)
        // Slot: key 16, version 4, mask 8, list links 8, and (M + 2 + C)·K + F doubles (C
        // challengers' predictions); plus each challenger's recent ring of two doubles per row.
        let c = Double(config.learner.challengers.count)
        let labels = awaiting * (16 + 4 + 8 + 8 + 8 * ((m + 2 + c) * k + f)) + (awaiting > 0 ? index(awaiting) : 0)
            + h * c * Double(config.learner.challengerMinRows) * 16
        // A window trims at 1.25 × window_rows; row: times 16, symbol 4, label 8, return 8,
        // version 4, and M·K + F + K doubles; one window per horizon, each double-buffered (the
        // spare column set a retrain reads, `OutOfSampleWindow`).
        let window = 2 * h * 1.25 * Double(config.retrain.windowRows) * (40 + 8 * (m * k + f + k))
        let skill = h * Double(p.skillWindow) * m * 8
        parts = [
            ("assembly.max_pending_rows", assembly),
            ("stream.max_symbols", symbolTable),
            ("labels.max_awaiting", labels),
            ("retrain.window_rows", window),
            ("features.skill_window", skill),
        ]
        // Every pipeline (`ingest.shards`) preallocates all of the above for its own symbols, and
        // with more than one, each may have a ring of received messages (two zmq_msg_t of 64 B
        // in their own objects and a time per slot, ≈ 200 B).
        let shards = Double(config.ingestShards)
        if shards > 1 {
            parts = parts.map { ($0.key, $0.bytes * shards) }
            parts.append(("ingest.shards", shards * Double(SPSCRing.capacity(receiveHighWaterMark: config.input.receiveHighWaterMark)) * 200))
        }
    }

    /// "3.6 GiB (labels.max_awaiting 3.5 GiB, retrain.window_rows 95 MiB, …)", largest first.
    package func describe() -> String {
        let sorted = parts.filter { $0.bytes >= 1_048_576 }.sorted { $0.bytes > $1.bytes }
        let detail = sorted.map { "\($0.key) \(Self.format($0.bytes))" }.joined(separator: ", ")
        return Self.format(totalBytes) + (detail.isEmpty ? "" : " (\(detail))")
    }

    static func format(_ bytes: Double) -> String {
        let mib = bytes / 1_048_576
        if mib >= 1024 {
            let gib = (mib / 1024 * 10).rounded() / 10
            return "\(gib) GiB"
        }
        return "\(Int(mib.rounded())) MiB"
    }
}
