@testable import StackdCore
import StackdTestSupport
import XCTest

/// The double-buffered training window against a plain list of rows kept by the test: every
/// snapshot holds exactly the rows within bounds, is never changed by later appends, and a
/// snapshot shares the appended columns only while the previous one is still held.
final class OutOfSampleWindowTests: XCTestCase {
    /// One row of a 2-model, 2-class, 1-feature window, all its values derived from `i`.
    struct Row: Equatable {
        var i: Int
        var eventTime: Int64 { Int64(i) }
        var base: [Double] { [Double(i), Double(i) + 0.25, Double(i) + 0.5, Double(i) + 0.75] }
        var feature: [Double] { [Double(-i)] }
        var ensemble: [Double] { [Double(i) / 2, Double(i) / 3] }
    }

    func append(_ row: Row, to window: inout OutOfSampleWindow) {
        row.base.withUnsafeBufferPointer { b in
            row.feature.withUnsafeBufferPointer { f in
                row.ensemble.withUnsafeBufferPointer { e in
                    window.append(eventTime: row.eventTime, exitTime: row.eventTime + 1, symbol: Int32(row.i % 7), label: row.i % 2,
                                  forwardReturn: Double(row.i) * 0.001, basePredictions: b, features: f, ensemble: e,
                                  modelVersion: UInt32(row.i % 5))
                }
            }
        }
    }

    /// The rows `expected` as columns, built independently of the window.
    func columns(_ expected: [Row]) -> OutOfSampleRows {
        var r = OutOfSampleRows(modelCount: 2, classCount: 2, featureCount: 1)
        r.eventTimes = expected.map(\.eventTime)
        r.exitTimes = expected.map { $0.eventTime + 1 }
        r.symbols = expected.map { Int32($0.i % 7) }
        r.labels = expected.map { $0.i % 2 }
        r.forwardReturns = expected.map { Double($0.i) * 0.001 }
        r.basePredictions = expected.flatMap(\.base)
        r.features = expected.flatMap(\.feature)
        r.ensemble = expected.flatMap(\.ensemble)
        r.modelVersions = expected.map { UInt32($0.i % 5) }
        return r
    }

    func testSnapshotsHoldTheBoundedRowsAndLaterAppendsNeverChangeThem() {
        // Row bound 40 (trims at 50), age bound 60 event times; rows 1, 2, 3, … so the age bound
        // never bites before the row bound except after the jump below.
        var window = OutOfSampleWindow(modelCount: 2, classCount: 2, featureCount: 1, maxRows: 40, maxAgeNanoseconds: 60)
        var rng = SplitMix64(seed: 3)
        func next(_ n: UInt64) -> Int { rng.below(Int(n)) }
        var appended: [Row] = []
        var held: [(OutOfSampleRows, OutOfSampleRows)] = []   // (snapshot, what it held when taken)
        var i = 0
        for step in 0..<3000 {
            switch next(10) {
            case 0:
                // A snapshot: the newest 40 rows (and none older than the newest − 60).
                let snapshot = window.snapshot()
                let newest = appended.last?.eventTime ?? 0
                let expected = Array(appended.suffix(40).filter { $0.eventTime >= newest - 60 })
                XCTAssertEqual(snapshot, columns(expected), "step \(step)")
                held.append((snapshot, columns(expected)))
            case 1:
                // Training lets go of its oldest snapshot.
                if !held.isEmpty { held.removeFirst() }
            default:
                i += step == 1500 ? 30 : 1   // one jump in event time: the age bound trims
                let row = Row(i: i)
                appended.append(row)
                append(row, to: &window)
            }
            for (snapshot, expected) in held { XCTAssertEqual(snapshot, expected, "a held snapshot changed at step \(step)") }
        }
        XCTAssertGreaterThan(window.trimmed, 0)
    }

    /// `dropRows(olderThan:)` (several pipelines, after a merge) interleaved with appends,
    /// snapshots and held snapshots: every snapshot holds the rows within bounds that are not
    /// older than the highest floor given, and a held snapshot never changes.
    func testDroppingRowsOlderThanAFloorKeepsSnapshotsExactAndHeldOnesUnchanged() {
        var window = OutOfSampleWindow(modelCount: 2, classCount: 2, featureCount: 1, maxRows: 40)
        var rng = SplitMix64(seed: 11)
        var appended: [Row] = []
        var held: [(OutOfSampleRows, OutOfSampleRows)] = []
        var floor = Int64.min
        var i = 0
        for step in 0..<3000 {
            switch rng.below(12) {
            case 0:
                let snapshot = window.snapshot()
                let expected = Array(appended.filter { $0.eventTime >= floor }.suffix(40))
                XCTAssertEqual(snapshot, columns(expected), "step \(step)")
                held.append((snapshot, columns(expected)))
            case 1:
                if !held.isEmpty { held.removeFirst() }
            case 2:
                // A floor somewhere in the newest 60 rows (sometimes below every row kept).
                let f = Int64(max(0, i - rng.below(60)))
                let before = appended.filter { $0.eventTime >= floor }.suffix(window.count)
                let dropped = window.dropRows(olderThan: f)
                XCTAssertEqual(dropped, before.filter { $0.eventTime < f }.count, "step \(step)")
                floor = max(floor, f)
            default:
                i += 1
                let row = Row(i: i)
                appended.append(row)
                append(row, to: &window)
            }
            for (snapshot, expected) in held { XCTAssertEqual(snapshot, expected, "a held snapshot changed at step \(step)") }
        }
    }

    func testASnapshotSharesTheAppendedColumnsOnlyWhileThePreviousOneIsHeld() {
        var window = OutOfSampleWindow(modelCount: 2, classCount: 2, featureCount: 1, maxRows: 1000)
        for i in 1...100 { append(Row(i: i), to: &window) }
        var first: OutOfSampleRows? = window.snapshot()
        XCTAssertEqual(window.sharedSnapshots, 0, "the spare columns were free")
        for i in 101...110 { append(Row(i: i), to: &window) }
        let second = window.snapshot()
        XCTAssertEqual(window.sharedSnapshots, 1, "the spare is still held by the first snapshot")
        XCTAssertEqual(first?.count, 100)
        XCTAssertEqual(second.count, 110)
        first = nil
        for i in 111...120 { append(Row(i: i), to: &window) }
        let third = window.snapshot()
        XCTAssertEqual(window.sharedSnapshots, 1, "released: the spare caught up and was handed out")
        XCTAssertEqual(third, columns((1...120).map { Row(i: $0) }))
        XCTAssertEqual(second, columns((1...110).map { Row(i: $0) }), "the shared snapshot kept its rows")
    }
    /// Reserved for the rows that will come, the columns never move (no regrowth, no copy), trims
    /// included, and the rows kept are those of an unreserved window. The reservation is bounded
    /// by the window (its bound plus the trim batch).
    func testAReservedWindowNeverRegrowsItsColumns() {
        var window = OutOfSampleWindow(modelCount: 2, classCount: 2, featureCount: 1, maxRows: 80)
        var plain = window
        XCTAssertEqual(window.rowCapacity, 100)
        window.reserveCapacity(expectedRows: 1_000_000)
        // (malloc may round a capacity up a little)
        XCTAssertGreaterThanOrEqual(window.rows.features.capacity, 100)
        XCTAssertLessThan(window.rows.features.capacity, 200, "bounded by the window, not the expected rows")
        XCTAssertGreaterThanOrEqual(window.rows.basePredictions.capacity, 400)
        append(Row(i: 1), to: &window)
        let base = window.rows.basePredictions.withUnsafeBufferPointer { $0.baseAddress }
        let times = window.rows.eventTimes.withUnsafeBufferPointer { $0.baseAddress }
        for i in 2...250 {
            append(Row(i: i), to: &window)
            XCTAssertEqual(window.rows.basePredictions.withUnsafeBufferPointer { $0.baseAddress }, base, "row \(i)")
            XCTAssertEqual(window.rows.eventTimes.withUnsafeBufferPointer { $0.baseAddress }, times, "row \(i)")
        }
        for i in 1...250 { append(Row(i: i), to: &plain) }
        XCTAssertEqual(window.rows, plain.rows)
        XCTAssertEqual(window.snapshot(), columns((171...250).map { Row(i: $0) }))
    }
}
