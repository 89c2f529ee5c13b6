import Foundation
import Logging
import StackdCore
import StackdDaemon
import StackdZMQ
import XCTest

/// The online loop end to end over real ZeroMQ: labels arrive one bar after their rows, the
/// daemon retrains on its worker thread every 250 labels, and promotes a learned model only when
/// it beats averaging, the best single model and the champion.
final class OnlineLearningTests: XCTestCase {
    var temporary: URL!

    override func setUpWithError() throws {
        temporary = FileManager.default.temporaryDirectory.appendingPathComponent("stackd-online-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: temporary) }

    struct Run {
        var snapshot: RunnerSnapshot
        var mid: RunnerSnapshot
    }

    /// Streams `steps` bars; `probabilities(t, truth)` gives each model's vector.
    func configuration(models: [String], state: String? = nil) throws -> DaemonConfiguration {
        var config = try ConfigurationLoader.parse("""
            [models]
            names = [\(models.map { "\"\($0)\"" }.joined(separator: ", "))]
            [stream]
            horizons = [1]
            [input]
            bind = ["ipc://\(temporary.path)/in.sock"]
            [output]
            bind = ["ipc://\(temporary.path)/out.sock"]
            [retrain]
            every_labels = 250
            min_rows = 500
            window_rows = 3000
            [learner]
            kind = "logistic"
            metric = "log_loss"
            features = "extended"
            """, source: "test")
        config.rejectLogPerSecond = 0
        config.stateDirectory = state
        return config
    }

    func stream(steps: Int, seed: UInt64, models: [String], state: String? = nil,
                probabilities: (Int, Int, inout SplitMix64) -> [[Double]]) throws -> Run {
        let config = try configuration(models: models, state: state)
        let runner = try LiveRunner(configuration: config, logger: Logger(label: "online"))
        runner.start()
        defer { runner.requestStop(); runner.waitUntilFinished(timeout: 30) }
        let context = try ZMQContext()
        defer { context.terminate() }
        let publisher = try ZMQSocket.make(context: context, type: .xpub,
                                           settings: ZMQSocketSettings(lingerMilliseconds: 0, sendHighWaterMark: 0))
        defer { publisher.close() }
        try publisher.connect(runner.inputEndpoints[0])
        XCTAssertNotNil(try publisher.waitForSubscriber(timeoutMilliseconds: 10_000))
        var rng = SplitMix64(seed: seed)
        var sent = 0
        var truths: [Int] = []
        var mid = runner.snapshot()
        for t in 1...steps {
            let truth = Int(rng.nextUnitInterval() * 3)
            truths.append(truth)
            for (m, p) in zip(models, probabilities(t, truth, &rng)) {
                try publisher.send(topic: "pred.SPX.1.\(m)", payload: WireEncoder.binaryPrediction(
                    model: m, symbol: "SPX", horizon: 1, eventTime: Int64(t), sequence: UInt64(t), probabilities: p))
                sent += 1
            }
            if t > 1 {
                try publisher.send(topic: "label.SPX.1", payload: WireEncoder.binaryLabel(
                    symbol: "SPX", horizon: 1, eventTime: Int64(t - 1), sequence: UInt64(t), classIndex: truths[t - 2],
                    classCount: 3, forwardReturn: 0, exitTime: Int64(t)))
                sent += 1
            }
            // Every 50 bars, let the daemon and its trainer catch up, so that a model trained on
            // the rows so far is in place for the next ones (as it would be at a realistic pace).
            if t % 50 == 0 {
                let expected = sent
                XCTAssertTrue(runner.wait(timeout: 30) {
                    $0.messagesReceived == expected && $0.trainingResultsTotal == $0.counters.retrainsTriggered
                }, "daemon caught up at bar \(t)")
            }
            if t == steps / 2 { mid = runner.snapshot() }
        }
        return Run(snapshot: runner.snapshot(), mid: mid)
    }

    static func secondHalf(_ end: ScoreAccumulator, _ mid: ScoreAccumulator) -> Double {
        (end.logLossSum - mid.logLossSum) / Double(end.count - mid.count)
    }

    static func softmax(_ logits: [Double]) -> [Double] {
        let m = logits.max()!
        let e = logits.map { exp($0 - m) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }

    func testModelThatBecomesGoodIsLearnedAndStackingBeatsAveraging() throws {
        let state = temporary.appendingPathComponent("state").path
        let run = try stream(steps: 3000, seed: 11, models: ["a", "b", "c"], state: state) { t, truth, rng in
            (0..<3).map { m in
                var logits = (0..<3).map { _ in (rng.nextUnitInterval() - 0.5) * 1.0 }
                // From halfway, a learns to tell "long" from the rest and b "short" from the rest:
                // each alone is half blind, averaging blurs them, a stacker combines them.
                if t > 1500 && m == 0 { logits[2] += truth == 2 ? 1.5 : -1.5 }
                if t > 1500 && m == 1 { logits[0] += truth == 0 ? 1.5 : -1.5 }
                return Self.softmax(logits)
            }
        }
        let s = run.snapshot
        let promoted = s.trainingResults.filter { $0.decision == .promote }
        XCTAssertFalse(promoted.isEmpty, "a learned model was promoted: \(s.trainingResults.map { "\($0.decision.rawValue): \($0.reason)" })")
        XCTAssertTrue(promoted.allSatisfy { $0.version > 0 })
        XCTAssertGreaterThan(s.counters.modelInstalls, 0)
        let ensemble = Self.secondHalf(s.ensembleScores[0], run.mid.ensembleScores[0])
        let averaging = Self.secondHalf(s.averageScores[0], run.mid.averageScores[0])
        // Printed, not asserted: against the best single model the margin here is small and
        // depends on when the retrains land relative to the stream.
        let bestSingle = (0..<3).map { Self.secondHalf(s.modelScores[0][$0], run.mid.modelScores[0][$0]) }.min()!
        for r in s.trainingResults { print("retrain \(r.decision.rawValue) v\(r.version) rows \(r.rows) applyFrom \(r.applyFrom): \(r.reason)") }
        print("second half prequential log-loss: ensemble \(ensemble), averaging \(averaging), best single \(bestSingle)")
        XCTAssertLessThan(ensemble, averaging - 0.05, "stacking beats averaging over the second half")

        // A restart serves the last promoted model again and restores the window it learned from.
        let restarted = try LiveRunner(configuration: configuration(models: ["a", "b", "c"], state: state), logger: Logger(label: "restart"))
        restarted.start()
        defer { restarted.requestStop(); restarted.waitUntilFinished(timeout: 30) }
        XCTAssertTrue(restarted.wait(timeout: 10) { $0.refreshedAtNanoseconds > 0 })
        XCTAssertEqual(restarted.snapshot().activeModelVersions, [s.activeModelVersions[0]])
        XCTAssertGreaterThan(s.activeModelVersions[0], 0)
        XCTAssertEqual(restarted.restoredRows, [2999], "every labelled row persisted (flush every row)")
        XCTAssertEqual(restarted.snapshot().awaitingLabels, 1, "the last row, emitted but not yet labelled at the stop, awaits its label again")
        XCTAssertFalse(FileManager.default.fileExists(atPath: state + "/awaiting.bin"), "consumed at start")
    }

    func testWhenStackingCannotHelpTheBestFallbackServesAndSaysWhy() throws {
        let run = try stream(steps: 1500, seed: 12, models: ["a", "b", "c"]) { _, _, rng in
            (0..<3).map { _ in Self.softmax((0..<3).map { _ in (rng.nextUnitInterval() - 0.5) * 1.0 }) }
        }
        let s = run.snapshot
        XCTAssertGreaterThan(s.trainingResults.count, 0, "retrains ran")
        XCTAssertTrue(s.trainingResults.allSatisfy { $0.decision != .promote },
                      "nothing promoted: \(s.trainingResults.map { "\($0.decision.rawValue): \($0.reason)" })")
        XCTAssertTrue(s.trainingResults.allSatisfy { !$0.reason.isEmpty })
        // Noise models: averaging them is worse than the label frequencies, so what serves is the
        // fallback — the class prior or its blend with averaging — installed by fallbacks that say so.
        let installed = s.trainingResults.filter { $0.version > 0 }
        XCTAssertFalse(installed.isEmpty, "the prior fallback replaced averaging")
        XCTAssertTrue(installed.allSatisfy { $0.decision == .fallback && $0.reason.contains("serving") },
                      "\(installed.map(\.reason))")
        XCTAssertEqual(s.counters.modelInstalls, installed.count)
        XCTAssertEqual(s.activeModelVersions, [installed.last!.version])
    }
}
