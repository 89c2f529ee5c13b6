import Foundation
import Logging
@testable import StackdDaemon
@testable import StackdCore
import StackdTraining
import Synchronization
import XCTest

/// The training set of several pipelines (`ingest.shards`, bench/SCALING.md §5): hand-built window
/// segments → the merged rows written out by hand (renumbered symbols, (event time, symbol) order,
/// the window's row and age bounds), and the grouping that trains once per trigger of every pipeline.
final class ShardedWindowMergeTests: XCTestCase {
    /// One row per (event time, symbol): label, base predictions, feature and ensemble all derived
    /// from a row number, so the test can say which row landed where.
    func segment(_ symbolNames: [String], _ rows: [(time: Int64, symbol: Int32, id: Int)]) -> ShardWindowSegment {
        var r = OutOfSampleRows(modelCount: 1, classCount: 2, featureCount: 1)
        for row in rows {
            let p = Double(row.id) / 10
            [p, 1 - p].withUnsafeBufferPointer { b in
                [Double(row.id * 100)].withUnsafeBufferPointer { f in
                    [1 - p, p].withUnsafeBufferPointer { e in
                        r.append(eventTime: row.time, exitTime: row.time + 5, symbol: row.symbol, label: row.id % 2,
                                 forwardReturn: Double(row.id), basePredictions: b, features: f, ensemble: e, modelVersion: UInt32(row.id))
                    }
                }
            }
        }
        return ShardWindowSegment(rows: r, symbolNames: symbolNames)
    }

    /// Pipeline 0 holds AAPL (its id 0) and MSFT (id 1), in label-arrival order (20 before 10);
    /// pipeline 1 holds ZZZ (its id 0) and GOOG (id 1). Configured: MSFT only, so MSFT = 0 and the
    /// others follow by name: AAPL = 1, GOOG = 2, ZZZ = 3.
    var segments: [ShardWindowSegment] {
        [segment(["AAPL", "MSFT"], [(20, 0, 1), (10, 0, 2), (30, 1, 3)]),
         segment(["ZZZ", "GOOG"], [(20, 1, 4), (10, 0, 5), (30, 1, 6)])]
    }

    func testSymbolsAreRenumberedConfiguredFirstThenByName() {
        XCTAssertEqual(ShardedWindowMerge.globalSymbolIDs(segments, configuredSymbols: ["MSFT"]), [[1, 0], [3, 2]])
        XCTAssertEqual(ShardedWindowMerge.globalSymbolIDs(segments, configuredSymbols: []), [[0, 2], [3, 1]])
    }

    func testMergedRowsAreOrderedByEventTimeThenSymbolWithTheirColumns() {
        let m = ShardedWindowMerge.merge(segments, configuredSymbols: ["MSFT"], maxRows: 100, maxAge: 0)
        // (10, AAPL=1) row 2, (10, ZZZ=3) row 5, (20, AAPL=1) row 1, (20, GOOG=2) row 4, (30, MSFT=0) row 3, (30, GOOG=2) row 6.
        let ids = [2, 5, 1, 4, 3, 6]
        XCTAssertEqual(m.eventTimes, [10, 10, 20, 20, 30, 30])
        XCTAssertEqual(m.symbols, [1, 3, 1, 2, 0, 2])
        XCTAssertEqual(m.exitTimes, [15, 15, 25, 25, 35, 35])
        XCTAssertEqual(m.labels, ids.map { $0 % 2 })
        XCTAssertEqual(m.forwardReturns, ids.map(Double.init))
        XCTAssertEqual(m.modelVersions, ids.map(UInt32.init))
        XCTAssertEqual(m.basePredictions, ids.flatMap { [Double($0) / 10, 1 - Double($0) / 10] })
        XCTAssertEqual(m.features, ids.map { Double($0 * 100) })
        XCTAssertEqual(m.ensemble, ids.flatMap { [1 - Double($0) / 10, Double($0) / 10] })
        XCTAssertEqual([m.modelCount, m.classCount, m.featureCount], [1, 2, 1])
        XCTAssertEqual(ShardedWindowMerge.mergedCount(segments, maxRows: 100, maxAge: 0), 6)
    }

    func testTheWindowBoundsKeepTheNewestRowsOfTheMergedOrder() {
        let newest4 = ShardedWindowMerge.merge(segments, configuredSymbols: ["MSFT"], maxRows: 4, maxAge: 0)
        XCTAssertEqual(newest4.eventTimes, [20, 20, 30, 30])
        XCTAssertEqual(newest4.forwardReturns, [1, 4, 3, 6])
        XCTAssertEqual(ShardedWindowMerge.mergedCount(segments, maxRows: 4, maxAge: 0), 4)
        // Age 5 from the newest event time (30): rows before 25 go, whatever each segment's own newest.
        let young = ShardedWindowMerge.merge(segments, configuredSymbols: ["MSFT"], maxRows: 100, maxAge: 5)
        XCTAssertEqual(young.forwardReturns, [3, 6])
        XCTAssertEqual(ShardedWindowMerge.mergedCount(segments, maxRows: 100, maxAge: 5), 2)
        XCTAssertEqual(ShardedWindowMerge.mergedCount(segments, maxRows: 1, maxAge: 5), 1)
    }

    /// The segments of one trigger from every pipeline make one request, trained once on the
    /// merged rows; a trigger whose merged window is below `retrain.min_rows` trains nothing.
    func testEveryPipelinesTriggerTrainsOnceOnTheMergedRows() {
        let seen = Mutex<[OutOfSampleRows]>([])
        var policy = RetrainPolicy(everyEventTimes: 1, minRows: 6, applyDelay: 7, windowRows: 100)
        // No symbol list: every pipeline takes part, symbols numbered by name (AAPL, GOOG, MSFT, ZZZ).
        let sharded = ShardedTraining(pipelines: 2, horizons: 1, configuredSymbols: [], policy: policy,
                                      logger: Logger(label: "sharded-training-test"))
        let worker = TrainingWorker(logger: Logger(label: "sharded-training-test"), train: ShardedTraining.trainFunction(sharded) { r in
            seen.withLock { $0.append(r.rows) }
            return TrainingResult(horizon: r.horizon, horizonIndex: r.horizonIndex, requestSequence: r.sequence, applyFrom: r.applyFrom,
                                  rows: r.rows.count, decision: .failed, reason: "test", combiner: nil)
        })
        sharded.worker = worker
        worker.start()
        defer { worker.join(timeout: 10) }
        func request(_ s: ShardWindowSegment, trigger: Int64) -> TrainingRequest {
            TrainingRequest(horizon: 5, horizonIndex: 0, triggerEventTime: trigger, applyFrom: trigger + 7, rows: s.rows,
                            champion: AveragingCombiner(modelCount: 1, classCount: 2), sequence: 1, driftReferenceBuilder: nil)
        }
        let s = segments
        sharded.submit(pipeline: 1, request: request(s[1], trigger: 40), symbolNames: s[1].symbolNames)
        XCTAssertTrue(worker.waitUntilIdle(timeout: 10))
        XCTAssertEqual(worker.completedCount, 0, "one pipeline's segment alone trains nothing")
        sharded.submit(pipeline: 0, request: request(s[0], trigger: 40), symbolNames: s[0].symbolNames)
        XCTAssertTrue(worker.waitUntilIdle(timeout: 10))
        let results = worker.takeResults()
        XCTAssertEqual(results.map(\.applyFrom), [47])
        XCTAssertEqual(seen.withLock { $0.map(\.forwardReturns) }, [[2, 5, 1, 4, 6, 3]])
        XCTAssertEqual(sharded.misalignedTriggers, 0)
        // Four rows (age 15 drops those at 10) are below min_rows = 6: no retrain.
        policy.windowAge = 15
        let strict = ShardedTraining(pipelines: 2, horizons: 1, configuredSymbols: [], policy: policy, logger: Logger(label: "t"))
        strict.worker = worker
        strict.submit(pipeline: 0, request: request(s[0], trigger: 40), symbolNames: s[0].symbolNames)
        strict.submit(pipeline: 1, request: request(s[1], trigger: 40), symbolNames: s[1].symbolNames)
        XCTAssertEqual(strict.triggersBelowMinRows, 1)
        XCTAssertTrue(worker.waitUntilIdle(timeout: 10))
        XCTAssertEqual(worker.completedCount, 1)
    }

    /// With `stream.symbols` set, a pipeline that owns none of them never triggers: a retrain
    /// does not wait for it.
    func testARetrainDoesNotWaitForAPipelineThatOwnsNoListedSymbol() {
        // Over 3 pipelines AAPL → 2 and MSFT → 1 (ShardedIngestTests' table): pipeline 0 owns nothing.
        XCTAssertEqual(ShardRouter.pipeline(ofSymbol: "AAPL", pipelines: 3), 2)
        XCTAssertEqual(ShardRouter.pipeline(ofSymbol: "MSFT", pipelines: 3), 1)
        let sharded = ShardedTraining(pipelines: 3, horizons: 1, configuredSymbols: ["AAPL", "MSFT"],
                                      policy: RetrainPolicy(everyEventTimes: 1, minRows: 1, windowRows: 100), logger: Logger(label: "t"))
        let worker = TrainingWorker(logger: Logger(label: "t"), train: ShardedTraining.trainFunction(sharded) { r in
            TrainingResult(horizon: r.horizon, horizonIndex: r.horizonIndex, requestSequence: r.sequence, applyFrom: r.applyFrom,
                           rows: r.rows.count, decision: .failed, reason: "test", combiner: nil)
        })
        sharded.worker = worker
        worker.start()
        defer { worker.join(timeout: 10) }
        let s = segments
        func request(_ rows: OutOfSampleRows) -> TrainingRequest {
            TrainingRequest(horizon: 5, horizonIndex: 0, triggerEventTime: 40, applyFrom: 47, rows: rows,
                            champion: AveragingCombiner(modelCount: 1, classCount: 2), sequence: 1, driftReferenceBuilder: nil)
        }
        sharded.submit(pipeline: 2, request: request(s[0].rows), symbolNames: s[0].symbolNames)
        XCTAssertTrue(worker.waitUntilIdle(timeout: 10))
        XCTAssertEqual(worker.completedCount, 0, "pipeline 1 owns MSFT and has not triggered")
        sharded.submit(pipeline: 1, request: request(s[1].rows), symbolNames: s[1].symbolNames)
        XCTAssertTrue(worker.waitUntilIdle(timeout: 10))
        XCTAssertEqual(worker.takeResults().map(\.rows), [6], "pipeline 0 owns no listed symbol: not waited for")
    }

    /// After a merge each pipeline drops its rows older than the merged window's oldest: with a
    /// window of 4 rows, the merge of [10, 20, 30] and [10, 20, 30] keeps 20, 20, 30, 30 (the two
    /// rows at 10 are beyond the bound), so each pipeline keeps its rows at 20 and 30 (2 + 2 = 4,
    /// one window) and a rows at 15, arrived late, goes too; one arrived after the floor stays.
    func testAfterAMergeEachPipelineKeepsOnlyRowsNoOlderThanTheMergedWindow() {
        let seen = Mutex<[OutOfSampleRows]>([])
        let policy = RetrainPolicy(everyEventTimes: 1, minRows: 1, applyDelay: 7, windowRows: 4)
        let sharded = ShardedTraining(pipelines: 2, horizons: 1, configuredSymbols: [], policy: policy, logger: Logger(label: "t"))
        let worker = TrainingWorker(logger: Logger(label: "t"), train: ShardedTraining.trainFunction(sharded) { r in
            seen.withLock { $0.append(r.rows) }
            return TrainingResult(horizon: r.horizon, horizonIndex: r.horizonIndex, requestSequence: r.sequence, applyFrom: r.applyFrom,
                                  rows: r.rows.count, decision: .failed, reason: "test", combiner: nil)
        })
        sharded.worker = worker
        worker.start()
        defer { worker.join(timeout: 10) }
        // The pipelines' windows, oldest first (label order: ascending event time here).
        var windows = [OutOfSampleWindow(modelCount: 1, classCount: 2, featureCount: 1, maxRows: 4),
                       OutOfSampleWindow(modelCount: 1, classCount: 2, featureCount: 1, maxRows: 4)]
        let s = [segment(["AAPL"], [(10, 0, 1), (20, 0, 2), (30, 0, 3)]), segment(["MSFT"], [(10, 0, 4), (20, 0, 5), (30, 0, 6)])]
        for p in 0..<2 { append(s[p].rows, to: &windows[p]) }
        for p in 0..<2 {
            let rows = windows[p].snapshot()
            sharded.submit(pipeline: p, request: TrainingRequest(
                horizon: 5, horizonIndex: 0, triggerEventTime: 30, applyFrom: 37, rows: rows,
                champion: AveragingCombiner(modelCount: 1, classCount: 2), sequence: 1, driftReferenceBuilder: nil),
                           symbolNames: s[p].symbolNames)
        }
        XCTAssertTrue(worker.waitUntilIdle(timeout: 10))
        let results = worker.takeResults()
        XCTAssertEqual(results.count, 1)
        XCTAssertEqual(seen.withLock { $0.map(\.eventTimes) }, [[20, 20, 30, 30]])
        let floor = sharded.takeWindowFloor(sequence: results[0].requestSequence)
        XCTAssertEqual(floor, 20)
        XCTAssertNil(sharded.takeWindowFloor(sequence: results[0].requestSequence), "taken once")
        XCTAssertEqual(windows[0].dropRows(olderThan: floor!), 1)
        XCTAssertEqual(windows[1].dropRows(olderThan: floor!), 1)
        XCTAssertEqual(windows[0].snapshot().eventTimes, [20, 30])
        XCTAssertEqual(windows[1].snapshot().eventTimes, [20, 30])
        XCTAssertEqual(windows[0].count + windows[1].count, policy.windowRows)
        // Without the trim, the two pipelines would hold 6 rows for a window of 4.
        XCTAssertEqual(s[0].rows.count + s[1].rows.count, 6)
    }

    /// An on-demand retrain (SIGUSR1): each pipeline hands its segment over at its own current
    /// event time, so the apply times differ without counting as a misaligned trigger; one merged
    /// retrain applies from the latest, and a scheduled trigger half collected is left alone.
    func testAnOnDemandRetrainMergesEveryPipelinesSegmentOnceAtTheLatestApplyTime() {
        let seen = Mutex<[OutOfSampleRows]>([])
        let policy = RetrainPolicy(everyEventTimes: 1, minRows: 100, applyDelay: 7, windowRows: 100)
        let sharded = ShardedTraining(pipelines: 2, horizons: 1, configuredSymbols: [], policy: policy, logger: Logger(label: "t"))
        let worker = TrainingWorker(logger: Logger(label: "t"), train: ShardedTraining.trainFunction(sharded) { r in
            seen.withLock { $0.append(r.rows) }
            return TrainingResult(horizon: r.horizon, horizonIndex: r.horizonIndex, requestSequence: r.sequence, applyFrom: r.applyFrom,
                                  rows: r.rows.count, decision: .failed, reason: "test", combiner: nil)
        })
        sharded.worker = worker
        worker.start()
        defer { worker.join(timeout: 10) }
        func request(_ s: ShardWindowSegment, at t: Int64) -> TrainingRequest {
            TrainingRequest(horizon: 5, horizonIndex: 0, triggerEventTime: t, applyFrom: t + 7, rows: s.rows,
                            champion: AveragingCombiner(modelCount: 1, classCount: 2), sequence: 1, driftReferenceBuilder: nil)
        }
        let s = segments
        // A scheduled trigger from pipeline 0 only (below min_rows once complete anyway).
        sharded.submit(pipeline: 0, request: request(s[0], at: 30), symbolNames: s[0].symbolNames)
        sharded.submit(pipeline: 1, request: request(s[1], at: 41), symbolNames: s[1].symbolNames, onDemand: true)
        XCTAssertEqual(sharded.requested, 0, "one pipeline's part alone trains nothing")
        sharded.submit(pipeline: 0, request: request(s[0], at: 40), symbolNames: s[0].symbolNames, onDemand: true)
        XCTAssertEqual(sharded.requested, 1)
        XCTAssertTrue(worker.waitUntilIdle(timeout: 10))
        let results = worker.takeResults()
        XCTAssertEqual(results.map(\.applyFrom), [48], "the latest of 47 and 48")
        XCTAssertEqual(seen.withLock { $0.map(\.forwardReturns) }, [[2, 5, 1, 4, 6, 3]], "six rows, though min_rows = 100")
        XCTAssertEqual(sharded.misalignedTriggers, 0)
        // Every pipeline's window empty: nothing to train.
        let empty = ShardWindowSegment(rows: OutOfSampleRows(modelCount: 1, classCount: 2, featureCount: 1), symbolNames: [])
        sharded.submit(pipeline: 0, request: request(empty, at: 50), symbolNames: [], onDemand: true)
        sharded.submit(pipeline: 1, request: request(empty, at: 50), symbolNames: [], onDemand: true)
        XCTAssertEqual(sharded.requested, 1)
    }

    func append(_ rows: OutOfSampleRows, to window: inout OutOfSampleWindow) {
        for i in 0..<rows.count {
            rows.basePredictions.withUnsafeBufferPointer { b in
                rows.features.withUnsafeBufferPointer { f in
                    rows.ensemble.withUnsafeBufferPointer { e in
                        window.append(eventTime: rows.eventTimes[i], exitTime: rows.exitTimes[i], symbol: rows.symbols[i],
                                      label: rows.labels[i], forwardReturn: rows.forwardReturns[i],
                                      basePredictions: UnsafeBufferPointer(rebasing: b[(i * 2)..<(i * 2 + 2)]),
                                      features: UnsafeBufferPointer(rebasing: f[i..<(i + 1)]),
                                      ensemble: UnsafeBufferPointer(rebasing: e[(i * 2)..<(i * 2 + 2)]), modelVersion: rows.modelVersions[i])
                    }
                }
            }
        }
    }
}
