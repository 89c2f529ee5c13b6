/// The labelled out-of-sample rows of one horizon, oldest first: what a retrain learns from.
///
/// A value type of plain columns so a training job can take a snapshot and run on another thread
/// while ingest keeps appending (see `OutOfSampleWindow` for why that snapshot costs no copy).
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
    /// Set on a window's snapshot: tells the window when every copy of it is gone.
    var lease = OutOfSampleSnapshotLease.Reference()

    public init(modelCount: Int, classCount: Int, featureCount: Int) {
        self.modelCount = modelCount
        self.classCount = classCount
        self.featureCount = featureCount
    }

    public var count: Int { eventTimes.count }

    /// Makes room for `rows` rows in every column, so that appending up to that many never
    /// regrows (and re-copies) a column.
    public mutating func reserveCapacity(rows: Int) {
        eventTimes.reserveCapacity(rows)
        exitTimes.reserveCapacity(rows)
        symbols.reserveCapacity(rows)
        labels.reserveCapacity(rows)
        forwardReturns.reserveCapacity(rows)
        basePredictions.reserveCapacity(rows * modelCount * classCount)
        features.reserveCapacity(rows * featureCount)
        ensemble.reserveCapacity(rows * classCount)
        modelVersions.reserveCapacity(rows)
    }

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

    /// Appends rows `range` of `other` (same shape), column by column. Through buffer pointers:
    /// slicing `other`'s arrays retained and released each of the nine (≈ 40 instructions per
    /// replayed event; bench/RESULTS.md).
    mutating func append(rowsOf other: OutOfSampleRows, _ range: Range<Int>) {
        guard !range.isEmpty else { return }
        let mk = modelCount * classCount
        Self.append(other.eventTimes, range, to: &eventTimes)
        Self.append(other.exitTimes, range, to: &exitTimes)
        Self.append(other.symbols, range, to: &symbols)
        Self.append(other.labels, range, to: &labels)
        Self.append(other.forwardReturns, range, to: &forwardReturns)
        Self.append(other.basePredictions, (range.lowerBound * mk)..<(range.upperBound * mk), to: &basePredictions)
        Self.append(other.features, (range.lowerBound * featureCount)..<(range.upperBound * featureCount), to: &features)
        Self.append(other.ensemble, (range.lowerBound * classCount)..<(range.upperBound * classCount), to: &ensemble)
        Self.append(other.modelVersions, range, to: &modelVersions)
    }

    @inline(__always)
    private static func append<T>(_ source: [T], _ range: Range<Int>, to target: inout [T]) {
        source.withUnsafeBufferPointer { target.append(contentsOf: UnsafeBufferPointer(rebasing: $0[range])) }
    }

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

/// Who still holds a window's snapshot. The window keeps one reference and every copy of the
/// snapshot carries another, so when the window's is the only one left no reader remains and
/// the window may write the snapshot's columns again in place.
public final class OutOfSampleSnapshotLease: Sendable {
    init() {}

    /// Not part of the rows' value: any two compare equal.
    struct Reference: Sendable, Equatable {
        var lease: OutOfSampleSnapshotLease?
        static func == (_: Reference, _: Reference) -> Bool { true }
    }
}

/// Keeps `OutOfSampleRows` within a row bound and an event-time age bound, double-buffered.
///
/// Why two column sets: a retrain's snapshot is read on the training thread for seconds while
/// ingest keeps appending. A snapshot that shared storage with the appended columns would make
/// the next append copy every column (about 40 MB at 100 000 rows) on the ingest thread. Here
/// ingest appends to `rows` and mirrors each row into a spare set; a snapshot bounds the spare
/// and hands it out (no copy) and, while training holds it, the rows appended meanwhile are only
/// counted; once training lets go (its lease is the window's alone again) the spare catches up
/// a few rows per append. Only a snapshot taken while the previous one is still held falls back
/// to sharing `rows` (counted in `sharedSnapshots`): then the next append copies, as without
/// the spare.
///
/// Rows arrive in label order; `rows` is trimmed in batches (a quarter of the bound) so that the
/// amortised cost of removing from the front stays O(1) per row, and a snapshot trims only the
/// spare it hands out: one move of the kept rows per retrain request, on one column set.
public struct OutOfSampleWindow: Sendable {
    /// The rows ingest appends to: the bounded rows, and until the next batch trim possibly a
    /// few older ones that a snapshot would leave out.
    public private(set) var rows: OutOfSampleRows
    public let maxRows: Int
    /// Rows whose event time is older than the newest minus this are dropped; 0 = no age bound.
    public let maxAgeNanoseconds: Int64
    /// Rows dropped from `rows` by the bounds so far.
    public private(set) var trimmed = 0
    /// Snapshots taken while the previous one was still held, which shared `rows`.
    public private(set) var sharedSnapshots = 0

    /// The second column set. Invariant: `spare` without its first `max(0, −spareOffset)` rows
    /// equals `rows[max(0, spareOffset) ..< rows.count − spareLag]` (a positive offset: old rows
    /// of `rows` that a snapshot bounded away; a negative one: rows a batch trim dropped from
    /// `rows` that the spare still holds).
    private var spare: OutOfSampleRows
    private var spareOffset = 0
    private var spareLag = 0
    /// The lease of the snapshot handed out from `spare`; nil when none is outstanding.
    private var spareLease: OutOfSampleSnapshotLease?
    /// Rows of lag copied into the spare per append: more than one so that it catches up while
    /// rows keep arriving, few so that no append pays for a long training's worth of rows.
    static let catchUpRowsPerAppend = 16

    public init(modelCount: Int, classCount: Int, featureCount: Int, maxRows: Int, maxAgeNanoseconds: Int64 = 0) {
        rows = OutOfSampleRows(modelCount: modelCount, classCount: classCount, featureCount: featureCount)
        spare = rows
        self.maxRows = max(1, maxRows)
        self.maxAgeNanoseconds = maxAgeNanoseconds
    }

    public var count: Int { rows.count }

    /// The most rows `rows` holds: the bound plus the batch a trim waits for.
    public var rowCapacity: Int { maxRows + max(1, maxRows / 4) }

    /// Makes room in both column sets for `expectedRows` rows (at most `rowCapacity` + 1: a row
    /// is appended before the trim it triggers), when the driver knows how many labelled rows are
    /// coming (a replay): the columns then never regrow on the ingest thread (a trim removes in
    /// place, keeping the capacity).
    public mutating func reserveCapacity(expectedRows: Int) {
        let n = min(max(0, expectedRows), rowCapacity + 1)
        rows.reserveCapacity(rows: n)
        spare.reserveCapacity(rows: n)
    }

    public mutating func append(eventTime: Int64, exitTime: Int64, symbol: Int32, label: Int, forwardReturn: Double,
                                basePredictions: UnsafeBufferPointer<Double>, features: UnsafeBufferPointer<Double>,
                                ensemble: UnsafeBufferPointer<Double>, modelVersion: UInt32) {
        rows.append(eventTime: eventTime, exitTime: exitTime, symbol: symbol, label: label, forwardReturn: forwardReturn,
                    basePredictions: basePredictions, features: features, ensemble: ensemble, modelVersion: modelVersion)
        spareLag += 1
        if spareIsFree() { catchUpRows(atMost: Self.catchUpRowsPerAppend) }
        if rows.count > rowCapacity { trimRows() }
    }

    /// The rows within bounds, oldest first. Taken from the spare column set, which ingest does
    /// not write until every copy of the snapshot is gone.
    public mutating func snapshot() -> OutOfSampleRows {
        guard spareIsFree() else {
            trimRows()
            sharedSnapshots += 1
            return rows
        }
        catchUpRows(atMost: .max)
        // One move: the rows a batch trim already dropped and those beyond the bounds now.
        let debt = max(0, -spareOffset)
        let drop = debt + Self.rowsBeyondBounds(spare, skipping: debt, maxRows: maxRows, maxAge: maxAgeNanoseconds)
        spare.removeFirst(drop)
        spareOffset += drop
        let lease = OutOfSampleSnapshotLease()
        spareLease = lease
        var out = spare
        out.lease = OutOfSampleSnapshotLease.Reference(lease: lease)
        return out
    }

    /// True when no snapshot of the spare is held any more (releases the window's lease then).
    private mutating func spareIsFree() -> Bool {
        if spareLease == nil { return true }
        guard isKnownUniquelyReferenced(&spareLease) else { return false }
        spareLease = nil
        return true
    }

    /// Copies up to `limit` rows of the spare's lag.
    private mutating func catchUpRows(atMost limit: Int) {
        let n = min(spareLag, limit)
        guard n > 0 else { return }
        let from = rows.count - spareLag
        spare.append(rowsOf: rows, from..<(from + n))
        spareLag -= n
    }

    /// How many of the oldest rows of `r`, after its first `skip`, the bounds drop.
    private static func rowsBeyondBounds(_ r: OutOfSampleRows, skipping skip: Int, maxRows: Int, maxAge: Int64) -> Int {
        let n = r.count - skip
        var drop = max(0, n - maxRows)
        if maxAge > 0, n > 0 {
            var newest = Int64.min
            for i in skip..<r.count { newest = max(newest, r.eventTimes[i]) }
            let cutoff = newest - maxAge
            while drop < n, r.eventTimes[skip + drop] < cutoff { drop += 1 }
        }
        return drop
    }

    /// Drops the oldest rows whose event time is before `eventTime` (the leading run of them, as
    /// the age bound drops). Why: with several pipelines, each holds a segment of one window, and
    /// after a merge the rows older than the merged window's oldest row can never be trained on
    /// again; dropping them keeps the segments together at about one window. Returns the rows
    /// dropped. The spare drops the same rows at the next snapshot.
    @discardableResult
    public mutating func dropRows(olderThan eventTime: Int64) -> Int {
        var drop = 0
        while drop < rows.count, rows.eventTimes[drop] < eventTime { drop += 1 }
        removeOldest(drop)
        return drop
    }

    /// Drops from `rows` what the bounds leave out; the spare drops the same rows at the next
    /// snapshot.
    private mutating func trimRows() {
        removeOldest(Self.rowsBeyondBounds(rows, skipping: 0, maxRows: maxRows, maxAge: maxAgeNanoseconds))
    }

    /// Removes the `drop` oldest rows of `rows`, keeping the spare's invariant.
    private mutating func removeOldest(_ drop: Int) {
        guard drop > 0 else { return }
        let mirrored = rows.count - spareLag   // rows of `rows` up to which the spare reaches
        rows.removeFirst(drop)
        trimmed += drop
        if drop <= mirrored {
            spareOffset -= drop
        } else {
            // The dropped rows reach into the lag: the spare starts over from the rows kept.
            spareOffset = -spare.count
            spareLag = rows.count
        }
    }
}
