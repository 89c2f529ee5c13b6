import Foundation
import Logging
import StackdCore
@testable import StackdDaemon
@testable import StackdReplay
@testable import StackdTraining
import XCTest

/// `learner.diverse_selection` reaches the daemon's retrains: off, nothing is applied; on, the
/// retrain's outcome carries the applied selection (computed on its meta-train rows) and its
/// `diversity_analysis.json` document says it was applied.
final class DiverseSelectionRetrainTests: XCTestCase {
    final class Captured: @unchecked Sendable {
        let lock = NSLock()
        var request: TrainingRequest?
        func keep(_ r: TrainingRequest) { lock.lock(); if request == nil { request = r }; lock.unlock() }
    }

    func testTheKeyReachesTheRetrain() throws {
        var (config, events, _) = try ClassCountReplayTests.stream(classes: 3)
        let captured = Captured()
        let real = try XCTUnwrap(DaemonTrainer.make(configuration: config))
        var logger = Logger(label: "test")
        logger.logLevel = .error
        _ = try ReplayRunner(configuration: config, trainer: { captured.keep($0); return real($0) }, logger: logger).run(events: events)
        let request = try XCTUnwrap(captured.request)

        let off = try XCTUnwrap(try XCTUnwrap(DaemonTrainer.make(configuration: config))(request).outcome)
        XCTAssertNil(off.appliedSelection)
        XCTAssertEqual(off.diversity?.selectionApplied, false)

        config.learner.diverseSelection = true
        let on = try XCTUnwrap(try XCTUnwrap(DaemonTrainer.make(configuration: config))(request).outcome)
        let applied = try XCTUnwrap(on.appliedSelection)
        XCTAssertEqual(applied.rows, on.trainRows, "computed on the meta-train rows")
        XCTAssertEqual(on.diversity?.selectionApplied, true)
        XCTAssertEqual(on.diversity?.appliedSelection, applied)
    }
}
