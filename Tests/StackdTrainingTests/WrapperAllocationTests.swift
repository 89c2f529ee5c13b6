import Foundation
import StackdCore
import StackdLearning
import XCTest
@testable import StackdTraining

/// The served wrappers added around a learner — `ModelSelectionCombiner` (dropped models' columns
/// zeroed in stack buffers), `IsotonicCalibratedCombiner` (maps applied in place) and
/// `BestSingleMixtureCombiner` (mixed in place) — allocate no
/// more per `combine` than the logistic learner they wrap, which allocates none. Counted with the
/// allocation shim (`cc -O2 -shared -fPIC -ftls-model=initial-exec -o .build/alloccount.so
/// bench/shim/alloccount.c`, then `LD_PRELOAD=$PWD/.build/alloccount.so swift test --skip-build
/// --filter WrapperAllocationTests`); skipped without it.
final class WrapperAllocationTests: XCTestCase {
    func testTheWrappersAllocateNothingPerCombine() throws {
        typealias SelfFn = @convention(c) () -> UInt64
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "alloccount_self") else {
            throw XCTSkip("run with LD_PRELOAD=alloccount.so (bench/shim) to count allocations")
        }
        let allocations = unsafeBitCast(symbol, to: SelfFn.self)
        let rows = DiverseSelectionTests.nearCopyRows(n: 600)
        var config = DiverseSelectionTests.configuration(diverse: true)
        config.isotonicCalibration = true
        let outcome = try MetaTrainer.train(rows: rows, horizon: 5, configuration: config)
        let isotonic = try XCTUnwrap(outcome.candidates.first { $0.combiner is IsotonicCalibratedCombiner }?.combiner as? IsotonicCalibratedCombiner)
        let selected = try XCTUnwrap(isotonic.inner as? ModelSelectionCombiner)
        let logistic = try XCTUnwrap(selected.inner as? LogisticCombiner)
        let features = rows.features.row(3), base = rows.basePredictions.row(3)
        var out = [Double](repeating: 0, count: 3)
        func count(_ combiner: any MetaCombiner) -> UInt64 {
            features.withUnsafeBufferPointer { f in base.withUnsafeBufferPointer { b in out.withUnsafeMutableBufferPointer { o in
                combiner.combine(basePredictions: b, features: f, presentMask: 0b111, into: o)
                let before = allocations()
                for _ in 0..<1_000 { combiner.combine(basePredictions: b, features: f, presentMask: 0b111, into: o) }
                return allocations() - before
            } } }
        }
        let inner = count(logistic)
        XCTAssertLessThan(count(selected), inner + 10, "ModelSelectionCombiner allocates per combine")
        XCTAssertLessThan(count(isotonic), inner + 10, "IsotonicCalibratedCombiner allocates per combine")
        let mixed = BestSingleMixtureCombiner(inner: isotonic, learnerWeight: 0.4, model: 1)
        XCTAssertLessThan(count(mixed), inner + 10, "BestSingleMixtureCombiner allocates per combine")
    }
}
