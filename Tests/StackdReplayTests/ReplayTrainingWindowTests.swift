import Logging
import StackdCore
@testable import StackdDaemon
@testable import StackdReplay
import XCTest

/// A replay keeps a training window exactly when something can train from it: a retrain schedule,
/// or (a journal) the on-demand retrains its control records re-enact. An event replay without a
/// schedule can never train, so its pipeline keeps no window (the rows would only be copied).
final class ReplayTrainingWindowTests: XCTestCase {
    private func runner(scheduled: Bool, trainer: Bool = true, everyLabels: Int = 100) -> ReplayRunner {
        var c = DaemonConfiguration(pipeline: .init(models: ["a", "b"], horizons: [5]))
        if scheduled { c.retrain.everyLabels = everyLabels }
        var logger = Logger(label: "test")
        logger.logLevel = .error
        return ReplayRunner(configuration: c, trainer: trainer ? DaemonTrainer.make(configuration: c) : nil, logger: logger)
    }

    func testAnEventReplayWithoutARetrainScheduleKeepsNoWindow() throws {
        XCTAssertFalse(try runner(scheduled: false).makePipeline(trainsOnDemand: false).keepsTrainingWindow)
    }

    func testAnEventReplayWithARetrainScheduleKeepsItsWindow() throws {
        XCTAssertTrue(try runner(scheduled: true).makePipeline(trainsOnDemand: false).keepsTrainingWindow)
    }

    func testAJournalReplayKeepsItsWindowForOnDemandRetrains() throws {
        XCTAssertTrue(try runner(scheduled: false).makePipeline().keepsTrainingWindow)
    }

    func testNoTrainerKeepsNoWindow() throws {
        XCTAssertFalse(try runner(scheduled: true, trainer: false).makePipeline().keepsTrainingWindow)
    }

    /// The window-less replay serves and scores exactly what the replay with a window does: the
    /// window only ever feeds a retrain, and none is scheduled.
    func testOutputsAreThoseOfAReplayThatKeepsTheWindow() throws {
        var events: [StreamEvent] = []
        for t in 0..<200 {
            let time = Int64(t) * 1_000
            for (i, model) in ["a", "b"].enumerated() {
                let p0 = 0.2 + 0.5 * Double((t * 7 + i * 3) % 10) / 10
                events.append(StreamEvent(symbol: "S", horizon: 5, eventTime: time,
                                          kind: .prediction(model: model, probabilities: [p0, (1 - p0) / 2, (1 - p0) / 2])))
            }
            events.append(StreamEvent(symbol: "S", horizon: 5, eventTime: time,
                                      kind: .label(classIndex: t % 3, forwardReturn: 0.001, exitTime: time + 500)))
        }
        let plain = try runner(scheduled: false).run(events: events)
        // A schedule that never fires in 200 labels: the window is kept, nothing trains.
        let kept = runner(scheduled: true, everyLabels: 1_000_000)
        XCTAssertTrue(try kept.makePipeline(trainsOnDemand: false).keepsTrainingWindow)
        let withWindow = try kept.run(events: events)
        XCTAssertTrue(plain.trainings.isEmpty)
        XCTAssertTrue(withWindow.trainings.isEmpty)
        XCTAssertEqual(plain.counters.labelsMatched, 200)
        XCTAssertEqual(plain.digest, withWindow.digest)
        XCTAssertEqual(plain.digest.count, 200)
        XCTAssertEqual(plain.labelled.map(\.ensemble), withWindow.labelled.map(\.ensemble))
        XCTAssertEqual(plain.labelled.map(\.labels), withWindow.labelled.map(\.labels))
    }
}
