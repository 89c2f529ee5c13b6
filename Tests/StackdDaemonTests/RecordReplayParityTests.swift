import Foundation
import Logging
import StackdCore
import StackdDaemon
import StackdJournal
import StackdReplay
import StackdTestSupport
import StackdZMQ
import XCTest

/// A live run that records its input, replayed from the journal with the same configuration,
/// produces byte-identical outputs (equal digests) and the same counters; and two replays of a
/// journal agree with each other.
final class RecordReplayParityTests: XCTestCase {
    var temporary: URL!

    override func setUpWithError() throws {
        temporary = FileManager.default.temporaryDirectory.appendingPathComponent("stackd-parity-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: temporary) }

    func testLiveRunAndReplayOfItsRecordingHaveEqualDigests() throws {
        let journal = temporary.appendingPathComponent("journal").path
        var config = try ConfigurationLoader.parse("""
            [models]
            names = ["a", "b", "c"]
            [stream]
            horizons = [5, 10]
            [input]
            bind = ["ipc://\(temporary.path)/in.sock"]
            [output]
            bind = ["ipc://\(temporary.path)/out.sock"]
            [assembly]
            deadline_ms = 20
            min_models = 2
            [record]
            directory = "\(journal)"
            """, source: "test")
        config.rejectLogPerSecond = 0
        let runner = try LiveRunner(configuration: config, logger: Logger(label: "test"))
        runner.start()
        let context = try ZMQContext()
        let publisher = try ZMQSocket.make(context: context, type: .xpub,
                                           settings: ZMQSocketSettings(lingerMilliseconds: 1000, sendHighWaterMark: 0))
        try publisher.connect(runner.inputEndpoints[0])
        XCTAssertNotNil(try publisher.waitForSubscriber(timeoutMilliseconds: 10_000))

        var rng = SplitMix64(seed: 7)
        func uniform() -> Double { rng.uniform() }
        var sent = 0
        for t in 1...300 {
            for h in [5, 10] {
                // Every 7th row misses model c: it is emitted at its 20 ms deadline with two models.
                for m in ["a", "b", "c"] where !(m == "c" && t % 7 == 0) {
                    let w = (0..<3).map { _ in uniform() + 0.05 }
                    let p = w.map { $0 / w.reduce(0, +) }
                    try publisher.send(topic: "pred.SPX.\(h).\(m)", payload: WireEncoder.binaryPrediction(
                        model: m, symbol: "SPX", horizon: h, eventTime: Int64(t), sequence: UInt64(t), probabilities: p))
                    sent += 1
                }
                if t > h {
                    try publisher.send(topic: "label.SPX.\(h)", payload: WireEncoder.binaryLabel(
                        symbol: "SPX", horizon: h, eventTime: Int64(t - h), sequence: UInt64(t), classIndex: Int(uniform() * 3),
                        classCount: 3, forwardReturn: uniform() - 0.5, exitTime: Int64(t)))
                    sent += 1
                }
            }
            if t % 50 == 0 {
                try publisher.send(topic: "pred.SPX.5.a", payload: Array("garbage".utf8))
                try publisher.send(topic: "pred.SPX.5.a", payload: WireEncoder.binaryPrediction(
                    model: "a", symbol: "SPX", horizon: 5, eventTime: 1, sequence: 0, probabilities: [0.2, 0.3, 0.5]))  // late
                try publisher.send(Array("pred.SPX.5.a".utf8))   // one frame: framing
                sent += 3
            }
        }
        XCTAssertTrue(runner.wait(timeout: 30) { $0.messagesReceived == sent }, "the daemon received everything")
        runner.requestStop()
        XCTAssertTrue(runner.waitUntilFinished(timeout: 30))
        publisher.close()
        context.terminate()
        let live = runner.snapshot()
        XCTAssertGreaterThan(live.counters.rowsEmitted[Int(RowCompletion.deadline.rawValue)], 0, "some rows were emitted at their deadline")
        XCTAssertEqual(live.counters.rejected(.malformed), 6)
        XCTAssertEqual(live.counters.rejected(.framing), 6)

        var replayConfig = config
        replayConfig.recordDirectory = nil
        let replay = ReplayRunner(configuration: replayConfig, trainer: nil, logger: Logger(label: "replay"))
        let first = try replay.run(journal: JournalReader(directory: journal))
        XCTAssertEqual(first.digest.description, live.outputDigest, "replay of the recording equals the live run byte for byte")
        XCTAssertEqual(first.digest.count, live.published)
        XCTAssertEqual(first.counters.rejected, live.counters.rejected)
        XCTAssertEqual(first.counters.rowsEmitted, live.counters.rowsEmitted)
        XCTAssertEqual(first.counters.labelsMatched, live.counters.labelsMatched)
        let second = try replay.run(journal: JournalReader(directory: journal))
        XCTAssertEqual(second.digest, first.digest, "replays are deterministic")
    }
}
