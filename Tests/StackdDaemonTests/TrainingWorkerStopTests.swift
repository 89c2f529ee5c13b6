import Foundation
import Logging
@testable import StackdCore
import StackdDaemon
import StackdLearning
import StackdTraining
import XCTest

/// `TrainingWorker.join`: a fit that checks the cancellation token ends at once on stop and
/// the thread is joined; a fit that never checks is waited for only as long as the bound, and
/// join says so.
final class TrainingWorkerStopTests: XCTestCase {
    let logger = Logger(label: "training-worker-test")

    func request() -> TrainingRequest {
        TrainingRequest(horizon: 5, horizonIndex: 0, triggerEventTime: 0, applyFrom: 0,
                        rows: OutOfSampleRows(modelCount: 2, classCount: 3, featureCount: 1),
                        champion: AveragingCombiner(modelCount: 2, classCount: 3), sequence: 1, driftReferenceBuilder: nil)
    }

    static func failed(_ r: TrainingRequest) -> TrainingResult {
        TrainingResult(horizon: r.horizon, horizonIndex: r.horizonIndex, requestSequence: r.sequence, applyFrom: r.applyFrom,
                       rows: 0, decision: .failed, reason: "test", combiner: nil)
    }

    func testCancellableFitEndsAtStopAndTheThreadIsJoined() {
        let started = DispatchSemaphore(value: 0)
        let worker = TrainingWorker(logger: logger) { r in
            started.signal()
            // A fit's iterations: each checks the token, as L-BFGS and the boosting loop do.
            while !TrainingCancellation.isCurrentCancelled { usleep(1_000) }
            return Self.failed(r)
        }
        worker.start()
        worker.submit(request())
        XCTAssertEqual(started.wait(timeout: .now() + 10), .success)
        XCTAssertTrue(worker.join(timeout: 10), "the fit saw the cancellation and the thread left its loop")
        XCTAssertTrue(worker.takeResults().isEmpty, "a fit cut short is not a result")
        XCTAssertTrue(worker.isIdle)
    }

    func testFitIgnoringCancellationIsWaitedForOnlyUpToTheBound() {
        let started = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        let worker = TrainingWorker(logger: logger) { r in
            started.signal()
            _ = release.wait(timeout: .now() + 30)   // a native call that never looks at the token
            return Self.failed(r)
        }
        worker.start()
        worker.submit(request())
        XCTAssertEqual(started.wait(timeout: .now() + 10), .success)
        XCTAssertFalse(worker.join(timeout: 0.2), "still inside the fit after the bound")
        release.signal()
        XCTAssertTrue(worker.join(timeout: 10), "joined once the fit returned")
    }

    func testJoinWithoutStartReturnsAtOnce() {
        let worker = TrainingWorker(logger: logger) { Self.failed($0) }
        XCTAssertTrue(worker.join(timeout: 0))
    }
}
