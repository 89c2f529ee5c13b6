import XCTest
@testable import StackdCore

/// The awaiting-label slots grow on first use and are reused once labelled; when every slot
/// awaits a label the oldest row is dropped (counted), and a row's values are its own.
final class ScoreboardRingTests: XCTestCase {
    func testRingGrowsThenWrapsDroppingOldestUnlabelled() {
        let m = 2, k = 3, f = 2
        let board = PrequentialScoreboard(modelCount: m, classCount: k, featureCount: f, capacity: 3, horizonCount: 1)
        func key(_ t: Int64) -> RowKey { RowKey(symbol: 0, horizonIndex: 0, eventTime: t) }
        func remember(_ t: Int64) {
            let base = (0..<(m * k)).map { Double(t) + Double($0) / 10 }
            let e = [Double(t), 0, 1], a = [0, Double(t), 1], feats = [Double(t) * 2, -Double(t)]
            base.withUnsafeBufferPointer { b in e.withUnsafeBufferPointer { e in a.withUnsafeBufferPointer { a in
                feats.withUnsafeBufferPointer { fs in
                    board.remember(key: key(t), base: b, ensemble: e, average: a, features: fs, modelVersion: UInt32(t), presentMask: UInt64(t))
                } } } }
        }
        for t: Int64 in 1...2 { remember(t) }
        XCTAssertEqual(board.awaitingCount, 2)
        XCTAssertTrue(board.score(key: key(1), label: 0))       // labelled before its slot is reused
        for t: Int64 in 3...6 { remember(t) }                          // slots reused: 2 and 3 dropped unlabelled
        XCTAssertEqual(board.droppedUnlabelled, 2)
        XCTAssertEqual(board.awaitingCount, 3)
        XCTAssertFalse(board.score(key: key(2), label: 0))
        XCTAssertFalse(board.score(key: key(3), label: 0))
        for t: Int64 in [4, 5, 6] {
            var seen = false
            XCTAssertTrue(board.score(key: key(t), label: 2) { row in
                seen = true
                XCTAssertEqual(Array(row.basePredictions), (0..<(m * k)).map { Double(t) + Double($0) / 10 })
                XCTAssertEqual(Array(row.ensemble), [Double(t), 0, 1])
                XCTAssertEqual(Array(row.features), [Double(t) * 2, -Double(t)])
                XCTAssertEqual(row.modelVersion, UInt32(t))
                XCTAssertEqual(row.presentMask, UInt64(t))
            })
            XCTAssertTrue(seen)
        }
        XCTAssertEqual(board.awaitingCount, 0)
    }

    /// Labels arriving a few rows behind keep the slots in use at the rows in flight, however
    /// many rows pass and however large the capacity.
    func testLabelledSlotsAreReusedSoMemoryFollowsTheRowsInFlight() {
        let board = PrequentialScoreboard(modelCount: 1, classCount: 3, featureCount: 0, capacity: 262_144, horizonCount: 1)
        let p = [0.2, 0.3, 0.5]
        func key(_ t: Int64) -> RowKey { RowKey(symbol: 0, horizonIndex: 0, eventTime: t) }
        for t: Int64 in 0..<50_000 {
            p.withUnsafeBufferPointer { b in board.remember(key: key(t), base: b, ensemble: b, average: b) }
            if t >= 10 { XCTAssertTrue(board.score(key: key(t - 10), label: 2)) }
        }
        XCTAssertEqual(board.awaitingCount, 10)
        XCTAssertEqual(board.droppedUnlabelled, 0)
        XCTAssertEqual(board.allocatedSlots, 11, "one slot per row in flight, plus the one being reused")
        XCTAssertEqual(board.ensemble[0].count, 49_990)
        var order: [Int64] = []
        board.forEachAwaiting { order.append($0.key.eventTime) }
        XCTAssertEqual(order, Array(49_990..<50_000), "oldest first")
    }

    func testZeroCapacityKeepsNothing() {
        let board = PrequentialScoreboard(modelCount: 1, classCount: 2, capacity: 0, horizonCount: 1)
        let p = [0.5, 0.5]
        p.withUnsafeBufferPointer { b in board.remember(key: RowKey(symbol: 0, horizonIndex: 0, eventTime: 1), base: b, ensemble: b, average: b) }
        XCTAssertEqual(board.awaitingCount, 0)
        XCTAssertFalse(board.score(key: RowKey(symbol: 0, horizonIndex: 0, eventTime: 1), label: 0))
    }
}
