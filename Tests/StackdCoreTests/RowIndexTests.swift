import StackdCore
import StackdTestSupport
import XCTest

/// The hand-written row index agrees with Swift's Dictionary on long random sequences of
/// inserts, replacements, removals and lookups, including heavy collision chains and
/// wrap-around (small tables, clustered keys).
final class RowIndexTests: XCTestCase {
    func testAgreesWithDictionaryUnderRandomOperations() {
        // (capacity, initial table size): tiny tables, and tables that must grow several times.
        for (capacity, initial) in [(1, 1024), (3, 1024), (8, 1024), (64, 1024), (64, 16), (3_000, 16)] {
            var index = RowIndex(capacity: capacity, initialSize: initial)
            var truth: [RowKey: Int32] = [:]
            var rng = SplitMix64(seed: UInt64(capacity))
            func next(_ n: Int) -> Int { rng.below(n) }
            for step in 0..<(capacity > 100 ? 60_000 : 20_000) {
                // Few distinct keys so that removes and re-inserts collide constantly.
                let key = RowKey(symbol: next(3), horizonIndex: next(2), eventTime: Int64(next(2 * capacity + 2)))
                switch next(3) {
                case 0 where truth.count < capacity || truth[key] != nil:
                    let v = Int32(step)
                    index.set(key, v)
                    truth[key] = v
                case 1:
                    XCTAssertEqual(index.remove(key), truth.removeValue(forKey: key), "remove at step \(step)")
                default:
                    XCTAssertEqual(index[key], truth[key], "lookup at step \(step)")
                }
                XCTAssertEqual(index.count, truth.count)
            }
            for (k, v) in truth { XCTAssertEqual(index[k], v) }
        }
    }
}
