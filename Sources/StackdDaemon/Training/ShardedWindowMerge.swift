import StackdCore

/// One pipeline's window segment for one retrain: its labelled rows when its event clock reached
/// the trigger, and its symbol table (row symbols are ids in that table).
struct ShardWindowSegment: Sendable {
    var rows: OutOfSampleRows
    var symbolNames: [String]
}

/// The training set of a daemon with several pipelines (`ingest.shards`, bench/SCALING.md §5):
/// the pipelines' window segments merged into the rows one pipeline would hold.
///
/// Why by (event time, symbol) and with one symbol numbering: each pipeline numbers its symbols
/// in its own table, so ids are renumbered first — configured symbols (`stream.symbols`) keep
/// their index, which every pipeline and a single pipeline share; others follow in name order —
/// and the rows are then ordered as the trainer orders them (`DaemonTrainer.trainingRows`) and
/// bounded as one window is bounded (the newest `maxRows`, then no row older than the newest
/// minus `maxAge`). Pure: no clock, no I/O.
enum ShardedWindowMerge {
    static func merge(_ segments: [ShardWindowSegment], configuredSymbols: [String], maxRows: Int,
                      maxAge: Int64) -> OutOfSampleRows {
        guard let first = segments.first else { return OutOfSampleRows(modelCount: 0, classCount: 0, featureCount: 0) }
        let ids = globalSymbolIDs(segments, configuredSymbols: configuredSymbols)
        var order: [(time: Int64, symbol: Int32, segment: Int, row: Int)] = []
        order.reserveCapacity(segments.reduce(0) { $0 + $1.rows.count })
        for (s, segment) in segments.enumerated() {
            for i in 0..<segment.rows.count {
                order.append((segment.rows.eventTimes[i], ids[s][Int(segment.rows.symbols[i])], s, i))
            }
        }
        order.sort { ($0.time, $0.symbol, $0.segment, $0.row) < ($1.time, $1.symbol, $1.segment, $1.row) }
        var drop = max(0, order.count - maxRows)
        if maxAge > 0, let newest = order.last?.time {
            while drop < order.count, order[drop].time < newest - maxAge { drop += 1 }
        }
        var out = OutOfSampleRows(modelCount: first.rows.modelCount, classCount: first.rows.classCount,
                                  featureCount: first.rows.featureCount)
        let mk = first.rows.modelCount * first.rows.classCount, f = first.rows.featureCount, k = first.rows.classCount
        for entry in order[drop...] {
            let r = segments[entry.segment].rows, i = entry.row
            r.basePredictions.withUnsafeBufferPointer { b in
                r.features.withUnsafeBufferPointer { fs in
                    r.ensemble.withUnsafeBufferPointer { e in
                        out.append(eventTime: r.eventTimes[i], exitTime: r.exitTimes[i], symbol: entry.symbol, label: r.labels[i],
                                   forwardReturn: r.forwardReturns[i],
                                   basePredictions: UnsafeBufferPointer(rebasing: b[(i * mk)..<((i + 1) * mk)]),
                                   features: UnsafeBufferPointer(rebasing: fs[(i * f)..<((i + 1) * f)]),
                                   ensemble: UnsafeBufferPointer(rebasing: e[(i * k)..<((i + 1) * k)]),
                                   modelVersion: r.modelVersions[i])
                    }
                }
            }
        }
        return out
    }

    /// Per segment, its symbol id → the merged numbering.
    static func globalSymbolIDs(_ segments: [ShardWindowSegment], configuredSymbols: [String]) -> [[Int32]] {
        var configured: [String: Int] = [:]
        for (i, s) in configuredSymbols.enumerated() where configured[s] == nil { configured[s] = i }
        let others = Set(segments.flatMap(\.symbolNames)).filter { configured[$0] == nil }.sorted()
        var other: [String: Int] = [:]
        for (i, s) in others.enumerated() { other[s] = configuredSymbols.count + i }
        return segments.map { segment in
            segment.symbolNames.map { Int32(configured[$0] ?? other[$0]!) }
        }
    }

    /// How many rows ``merge`` would keep, without copying them (the minimum-rows check).
    static func mergedCount(_ segments: [ShardWindowSegment], maxRows: Int, maxAge: Int64) -> Int {
        var total = 0
        var newest = Int64.min
        for s in segments {
            total += s.rows.count
            if let m = s.rows.eventTimes.max() { newest = max(newest, m) }
        }
        guard maxAge > 0, total > 0 else { return min(total, maxRows) }
        let cutoff = newest - maxAge
        let young = segments.reduce(0) { $0 + $1.rows.eventTimes.reduce(0) { $0 + ($1 >= cutoff ? 1 : 0) } }
        return min(young, maxRows)
    }
}
