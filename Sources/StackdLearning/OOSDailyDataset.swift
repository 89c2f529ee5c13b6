/// A malformed line (or a missing join partner) in an `oos-daily` file.
public struct OOSDailyParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// File name, e.g. `preds_h5.csv`.
    public var file: String
    /// 1-based line number (line 1 is the header).
    public var line: Int
    /// What was wrong.
    public var message: String

    public var description: String { "\(file):\(line): \(message)" }
}

/// One event of the stream: every base model's prediction for (timestamp, symbol), its label and
/// the realised forward return.
public struct OOSEvent: Sendable, Equatable {
    /// Prediction time, UTC nanoseconds since the epoch.
    public var timestamp: Int64
    /// Instrument symbol.
    public var symbol: String
    /// `[p_short, p_neutral, p_long]` of each model, concatenated in `OOSDailyDataset.models` order.
    /// A model that did not predict this event holds the mean vector of the models that did (the
    /// live assembler's imputation), so averaging is unchanged by the gap.
    public var probabilities: [Double]
    /// Bit `m` set when model `m` predicted this event (the wire's `present_mask`).
    public var presentMask: UInt64
    /// Realised label in {−1, 0, +1}.
    public var label: Int
    /// Realised forward return over the horizon.
    public var forwardReturn: Double
    /// When the label became known, UTC nanoseconds since the epoch.
    public var exitTimestamp: Int64
    /// Volatility regime in {−1, 0, 1}, if regimes were supplied.
    public var volRegime: Int?
    /// Trend regime in {−1, 0, 1}, if regimes were supplied.
    public var trendRegime: Int?

    /// Label as a class index 0, 1, 2 (short, neutral, long).
    public var classIndex: Int { label + 1 }
}

/// The `oos-daily` prediction-stream format, parsed from file *contents* (no I/O here).
///
/// Events are joined on (timestamp, symbol) and sorted by it, the order the reference split and
/// every chronological evaluation assume. Models are in alphabetical order, as in the reference.
public struct OOSDailyDataset: Sendable, Equatable {
    /// Prediction horizon in bars (the `H` of the file names).
    public var horizon: Int
    /// Base-model names, alphabetical.
    public var models: [String]
    /// Events sorted by (timestamp, symbol).
    public var events: [OOSEvent]

    private struct Key: Hashable { var ts: Int64; var symbol: String }

    /// Parses `preds_h{H}.csv`, `labels_h{H}.csv` and optionally `regimes.csv` texts.
    /// Every prediction event needs a label row (and a regime row when regimes are given), and no
    /// model may predict an event twice; otherwise the error names the file and line. A model may
    /// miss events: its vector is then imputed exactly as the live assembler does (the mean of the
    /// present models' vectors) and the event's `presentMask` says who was present.
    public init(horizon: Int, predictions: String, labels: String, regimes: String? = nil) throws {
        let predsFile = "preds_h\(horizon).csv", labelsFile = "labels_h\(horizon).csv"
        self.horizon = horizon

        // Predictions: one row per (event, model).
        let ps = CSVScanner(text: predictions, fileName: predsFile)
        var pcol: [String: Int] = [:]
        var rawPreds: [(key: Key, model: String, p: (Double, Double, Double), line: Int)] = []
        var modelSet = Set<String>()
        var symbols: [String: String] = [:]  // interning
        func intern(_ s: String) -> String {
            if let v = symbols[s] { return v }
            symbols[s] = s
            return s
        }
        try ps.forEachLine { line, f in
            if line == 1 {
                pcol = try ps.columns(f, required: ["timestamp", "symbol", "horizon", "model", "p_short",
                                                   "p_neutral", "p_long"], line: line)
                return
            }
            guard f.count == pcol.count else { throw ps.error(line, "expected \(pcol.count) fields, got \(f.count)") }
            let ts = try ps.timestamp(f[pcol["timestamp"]!], line: line, column: "timestamp")
            let h = try ps.int(f[pcol["horizon"]!], line: line, column: "horizon")
            guard h == horizon else { throw ps.error(line, "horizon \(h) in a file for horizon \(horizon)") }
            let sym = intern(ps.string(f[pcol["symbol"]!]))
            let model = intern(ps.string(f[pcol["model"]!]))
            guard !sym.isEmpty, !model.isEmpty else { throw ps.error(line, "empty symbol or model") }
            let p0 = try ps.double(f[pcol["p_short"]!], line: line, column: "p_short")
            let p1 = try ps.double(f[pcol["p_neutral"]!], line: line, column: "p_neutral")
            let p2 = try ps.double(f[pcol["p_long"]!], line: line, column: "p_long")
            guard p0 >= 0, p1 >= 0, p2 >= 0, abs(p0 + p1 + p2 - 1) < 1e-3 else {
                throw ps.error(line, "probabilities must be ≥ 0 and sum to 1")
            }
            modelSet.insert(model)
            rawPreds.append((Key(ts: ts, symbol: sym), model, (p0, p1, p2), line))
        }
        if pcol.isEmpty { throw ps.error(1, "missing header") }
        let models = modelSet.sorted()
        self.models = models
        let modelIndex = Dictionary(uniqueKeysWithValues: models.enumerated().map { ($1, $0) })
        let M = models.count
        guard M <= 64 else { throw ps.error(1, "\(M) models; at most 64 are supported (present_mask is 64 bits)") }

        var eventIndex: [Key: Int] = [:]
        var keys: [Key] = []
        var probs: [[Double]] = []
        var filled: [[Bool]] = []
        var firstLine: [Int] = []
        for r in rawPreds {
            let e: Int
            if let i = eventIndex[r.key] { e = i } else {
                e = keys.count
                eventIndex[r.key] = e
                keys.append(r.key)
                probs.append([Double](repeating: 0, count: 3 * M))
                filled.append([Bool](repeating: false, count: M))
                firstLine.append(r.line)
            }
            let m = modelIndex[r.model]!
            if filled[e][m] { throw ps.error(r.line, "duplicate prediction of model '\(r.model)' for this event") }
            filled[e][m] = true
            probs[e][3 * m] = r.p.0; probs[e][3 * m + 1] = r.p.1; probs[e][3 * m + 2] = r.p.2
        }
        var masks = [UInt64](repeating: 0, count: keys.count)
        for e in keys.indices {
            var mask: UInt64 = 0, present = 0
            for m in 0..<M where filled[e][m] { mask |= UInt64(1) << UInt64(m); present += 1 }
            masks[e] = mask
            guard present < M else { continue }
            for c in 0..<3 {
                var sum = 0.0
                for m in 0..<M where filled[e][m] { sum += probs[e][3 * m + c] }
                let mean = sum / Double(present)
                for m in 0..<M where !filled[e][m] { probs[e][3 * m + c] = mean }
            }
        }

        // Labels.
        let ls = CSVScanner(text: labels, fileName: labelsFile)
        var lcol: [String: Int] = [:]
        var labelOf: [Int: (Int, Double, Int64)] = [:]
        try ls.forEachLine { line, f in
            if line == 1 {
                lcol = try ls.columns(f, required: ["timestamp", "symbol", "label", "fwd_return", "exit_timestamp"],
                                      line: line)
                return
            }
            guard f.count == lcol.count else { throw ls.error(line, "expected \(lcol.count) fields, got \(f.count)") }
            let ts = try ls.timestamp(f[lcol["timestamp"]!], line: line, column: "timestamp")
            let sym = ls.string(f[lcol["symbol"]!])
            let label = try ls.int(f[lcol["label"]!], line: line, column: "label")
            guard (-1...1).contains(label) else { throw ls.error(line, "label \(label) not in {-1, 0, 1}") }
            let fwd = try ls.double(f[lcol["fwd_return"]!], line: line, column: "fwd_return")
            let exit = try ls.timestamp(f[lcol["exit_timestamp"]!], line: line, column: "exit_timestamp")
            if let h = lcol["horizon"] {
                let hv = try ls.int(f[h], line: line, column: "horizon")
                guard hv == horizon else { throw ls.error(line, "horizon \(hv) in a file for horizon \(horizon)") }
            }
            guard let e = eventIndex[Key(ts: ts, symbol: sym)] else { return }  // label without predictions
            if labelOf[e] != nil { throw ls.error(line, "duplicate label for this event") }
            labelOf[e] = (label, fwd, exit)
        }
        if lcol.isEmpty { throw ls.error(1, "missing header") }

        // Regimes.
        var regimeOf: [Int: (Int, Int)] = [:]
        if let regimes {
            let rs = CSVScanner(text: regimes, fileName: "regimes.csv")
            var rcol: [String: Int] = [:]
            try rs.forEachLine { line, f in
                if line == 1 {
                    rcol = try rs.columns(f, required: ["timestamp", "symbol", "vol_regime", "trend_regime"], line: line)
                    return
                }
                guard f.count == rcol.count else { throw rs.error(line, "expected \(rcol.count) fields, got \(f.count)") }
                let ts = try rs.timestamp(f[rcol["timestamp"]!], line: line, column: "timestamp")
                let sym = rs.string(f[rcol["symbol"]!])
                let v = try rs.int(f[rcol["vol_regime"]!], line: line, column: "vol_regime")
                let t = try rs.int(f[rcol["trend_regime"]!], line: line, column: "trend_regime")
                guard (-1...1).contains(v), (-1...1).contains(t) else { throw rs.error(line, "regime not in {-1, 0, 1}") }
                guard let e = eventIndex[Key(ts: ts, symbol: sym)] else { return }
                if regimeOf[e] != nil { throw rs.error(line, "duplicate regime row for this event") }
                regimeOf[e] = (v, t)
            }
            if rcol.isEmpty { throw rs.error(1, "missing header") }
        }

        var events: [OOSEvent] = []
        events.reserveCapacity(keys.count)
        for (e, k) in keys.enumerated() {
            guard let (label, fwd, exit) = labelOf[e] else {
                throw OOSDailyParseError(file: labelsFile, line: 0,
                                         message: "no label for \(CivilDate.dateString(epochNanoseconds: k.ts)) \(k.symbol) (\(predsFile):\(firstLine[e]))")
            }
            let reg = regimeOf[e]
            if regimes != nil && reg == nil {
                throw OOSDailyParseError(file: "regimes.csv", line: 0,
                                         message: "no regime for \(CivilDate.dateString(epochNanoseconds: k.ts)) \(k.symbol) (\(predsFile):\(firstLine[e]))")
            }
            events.append(OOSEvent(timestamp: k.ts, symbol: k.symbol, probabilities: probs[e],
                                   presentMask: masks[e], label: label,
                                   forwardReturn: fwd, exitTimestamp: exit, volRegime: reg?.0, trendRegime: reg?.1))
        }
        events.sort { $0.timestamp != $1.timestamp ? $0.timestamp < $1.timestamp : $0.symbol.utf8.lexicographicallyPrecedes($1.symbol.utf8) }
        self.events = events
    }

    /// The "basic" stacking features: every model's three probabilities (N × 3M), model-major.
    public func basicFeatures() -> Matrix {
        let w = 3 * models.count
        var s: [Double] = []
        s.reserveCapacity(events.count * w)
        for e in events { s.append(contentsOf: e.probabilities) }
        return Matrix(rows: events.count, cols: w, storage: s)
    }

    /// One model's probabilities (N × 3).
    public func probabilities(ofModel m: Int) -> Matrix {
        precondition(m >= 0 && m < models.count, "model index out of range")
        var s: [Double] = []
        s.reserveCapacity(events.count * 3)
        for e in events { s.append(contentsOf: e.probabilities[(3 * m)..<(3 * m + 3)]) }
        return Matrix(rows: events.count, cols: 3, storage: s)
    }

    /// The unweighted mean of the models' probabilities (N × 3): the "simple average" baseline.
    public func averageProbabilities() -> Matrix {
        let M = Double(models.count)
        var s = [Double](repeating: 0, count: events.count * 3)
        for (i, e) in events.enumerated() {
            for m in 0..<models.count { for c in 0..<3 { s[3 * i + c] += e.probabilities[3 * m + c] } }
            for c in 0..<3 { s[3 * i + c] /= M }
        }
        return Matrix(rows: events.count, cols: 3, storage: s)
    }

    /// Column groups of `basicFeatures()` per model, for `modelWeights(featureGroups:)`.
    public var basicFeatureGroups: [[Int]] { (0..<models.count).map { [3 * $0, 3 * $0 + 1, 3 * $0 + 2] } }

    /// Whether model `m` predicted event `i` (false: its vector there is imputed).
    public func isPresent(event i: Int, model m: Int) -> Bool {
        events[i].presentMask & (UInt64(1) << UInt64(m)) != 0
    }

    /// Events with at least one model missing.
    public var incompleteEvents: Int {
        events.reduce(0) { $0 + ($1.presentMask.nonzeroBitCount == models.count ? 0 : 1) }
    }

    /// Class indices (0, 1, 2) of the labels.
    public var classIndices: [Int] { events.map(\.classIndex) }
    /// Forward returns in event order (computed on each access: hoist out of loops).
    public var forwardReturns: [Double] { events.map(\.forwardReturn) }
    /// Event timestamps (UTC ns) in event order.
    public var timestamps: [Int64] { events.map(\.timestamp) }
    /// Label-availability timestamps (UTC ns) in event order.
    public var exitTimestamps: [Int64] { events.map(\.exitTimestamp) }
}
