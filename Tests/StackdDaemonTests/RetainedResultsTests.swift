import Foundation
import Logging
@testable import StackdCore
@testable import StackdDaemon
import StackdTraining
import XCTest

/// What a long-running daemon keeps of its retrains: the training thread hands each result over
/// and keeps no model; the runner snapshot keeps the latest outcomes and counts every one; a
/// window snapshot is released once its retrain is done, so the next one needs no copy.
final class RetainedResultsTests: XCTestCase {
    let logger = Logger(label: "retained-results-test")

    func request(_ rows: OutOfSampleRows, sequence: Int) -> TrainingRequest {
        TrainingRequest(horizon: 5, horizonIndex: 0, triggerEventTime: 0, applyFrom: 0, rows: rows,
                        champion: AveragingCombiner(modelCount: 2, classCount: 3), sequence: sequence, driftReferenceBuilder: nil)
    }

    /// Weak references to every combiner the fake trainer returned.
    final class Trained: @unchecked Sendable {
        let lock = NSLock()
        var combiners: [() -> AnyObject?] = []
        func add(_ c: AveragingCombiner) { lock.lock(); combiners.append { [weak c] in c }; lock.unlock() }
        var alive: Int { lock.lock(); defer { lock.unlock() }; return combiners.filter { $0() != nil }.count }
    }

    func testTheWorkerKeepsNoFinishedModel() throws {
        let trained = Trained()
        let worker = TrainingWorker(logger: logger) { r in
            let c = AveragingCombiner(modelCount: 2, classCount: 3)
            trained.add(c)
            return TrainingResult(horizon: r.horizon, horizonIndex: r.horizonIndex, requestSequence: r.sequence,
                                  applyFrom: r.applyFrom, rows: r.rows.count, decision: .fallback, reason: "test", combiner: c)
        }
        worker.start()
        defer { worker.join(timeout: 10) }
        for s in 1...3 {
            worker.submit(request(OutOfSampleRows(modelCount: 2, classCount: 3, featureCount: 1), sequence: s))
            XCTAssertTrue(worker.waitUntilIdle(timeout: 10))
            XCTAssertEqual(worker.takeResults().count, 1)   // handed over, then dropped here
        }
        XCTAssertEqual(worker.completedCount, 3)
        XCTAssertEqual(trained.combiners.count, 3)
        XCTAssertEqual(trained.alive, 0, "no finished model is kept by the worker")
    }

    func testTheWindowSnapshotIsReleasedWhenItsRetrainIsDone() throws {
        var window = OutOfSampleWindow(modelCount: 2, classCount: 3, featureCount: 1, maxRows: 100)
        let base = [Double](repeating: 1.0 / 3, count: 6), feature = [0.5], ensemble = [Double](repeating: 1.0 / 3, count: 3)
        func appendRows(_ n: Int) {
            for i in 0..<n {
                base.withUnsafeBufferPointer { b in feature.withUnsafeBufferPointer { f in ensemble.withUnsafeBufferPointer { e in
                    window.append(eventTime: Int64(window.count + i), exitTime: 0, symbol: 0, label: i % 3, forwardReturn: 0,
                                  basePredictions: b, features: f, ensemble: e, modelVersion: 0)
                } } }
            }
        }
        appendRows(50)
        let worker = TrainingWorker(logger: logger) { r in
            TrainingResult(horizon: r.horizon, horizonIndex: r.horizonIndex, requestSequence: r.sequence,
                           applyFrom: r.applyFrom, rows: r.rows.count, decision: .failed, reason: "test", combiner: nil)
        }
        worker.start()
        defer { worker.join(timeout: 10) }
        worker.submit(request(window.snapshot(), sequence: 1))
        XCTAssertTrue(worker.waitUntilIdle(timeout: 10))
        XCTAssertEqual(worker.takeResults().map(\.rows), [50])
        appendRows(10)
        XCTAssertEqual(window.snapshot().count, 60)
        XCTAssertEqual(window.sharedSnapshots, 0, "the retrain let go of its snapshot: the spare columns were free again")
    }

    func testTheRunnerSnapshotKeepsTheLatestRetrainsAndCountsEveryOne() {
        var s = RunnerSnapshot(horizonCount: 1)
        let decisions: [TrainingResult.Decision] = [.promote, .keep, .fallback, .failed]
        for i in 0..<200 {
            let r = TrainingResult(horizon: 5, horizonIndex: 0, requestSequence: i, applyFrom: Int64(i), rows: i,
                                   decision: decisions[i % 4], reason: "r\(i)", combiner: nil)
            s.recordTraining(TrainingSummary(r))
        }
        XCTAssertEqual(s.trainingResultsTotal, 200)
        XCTAssertEqual(s.trainingResults.count, RunnerSnapshot.recentTrainingCapacity)
        XCTAssertEqual(s.trainingResults.map(\.rows), Array((200 - RunnerSnapshot.recentTrainingCapacity)..<200), "the newest, oldest first")
        XCTAssertEqual(s.trainingResultsByDecision, ["promote": 50, "keep": 50, "fallback": 50, "failed": 50])
    }
}
