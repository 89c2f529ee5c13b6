import Foundation
import StackdCore
import StackdTestSupport
import StackdZMQ
import XCTest

/// `kill -9` under load: every labelled row the daemon had acknowledged (flush policy
/// "every_row": a row is acknowledged once processed, which the test learns from a sentinel
/// row's output arriving behind it) is restored on restart, and the window log stays valid.
final class CrashRecoveryTests: DaemonProcessTestCase {
    override var temporaryPrefix: String { "stackd-crash" }
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    func start(config: URL) throws -> ChildProcess {
        let binary = Repository.stackdBinary
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            XCTFail("\(binary.path) is missing: build with `swift build --build-tests` first (scripts/test.sh does)")
            throw CancellationError()
        }
        let daemon = try ChildProcess(executable: binary, arguments: ["run", "--config", config.path])
        daemons.append(daemon)
        return daemon
    }

    func testKillNineLosesNoAcknowledgedRow() throws {
        let input = "ipc://\(temporary.path)/in.sock", output = "ipc://\(temporary.path)/out.sock"
        let config = temporary.appendingPathComponent("stackd.toml")
        try """
            [models]
            names = ["a", "b"]
            [stream]
            horizons = [5]
            [input]
            bind = ["\(input)"]
            [output]
            bind = ["\(output)"]
            [state]
            directory = "\(temporary.path)/state"
            flush = "every_row"
            [log]
            level = "info"
            """.write(to: config, atomically: true, encoding: .utf8)

        var rng = SplitMix64(seed: 0x5EED_0002)
        func next() -> UInt64 { rng.next() >> 33 }
        var eventTime: Int64 = 1_000
        var acknowledged = 0
        var sentLabels = 0
        for round in 0..<3 {
            let daemon = try start(config: config)
            let restoredLine = try XCTUnwrap(daemon.stderr.waitFor("restored the out-of-sample window"), "round \(round): no restore line")
            let restored = Int(restoredLine.components(separatedBy: "rows=h5=").last!.prefix { $0.isNumber })!
            XCTAssertGreaterThanOrEqual(restored, acknowledged, "round \(round): every acknowledged row is back")
            XCTAssertLessThanOrEqual(restored, sentLabels, "round \(round): nothing invented")
            XCTAssertFalse(restoredLine.contains("corruption"))
            XCTAssertNotNil(daemon.stderr.waitFor("stackd is running"))
            acknowledged = restored

            let context = try ZMQContext()
            let publisher = try ZMQSocket.make(context: context, type: .xpub, settings: ZMQSocketSettings(lingerMilliseconds: 0))
            let consumer = try ZMQSocket.make(context: context, type: .sub,
                                              settings: ZMQSocketSettings(lingerMilliseconds: 0, subscriptions: ["ens."]))
            try consumer.connect(output)
            try publisher.connect(input)
            XCTAssertNotNil(try publisher.waitForSubscriber(timeoutMilliseconds: 10_000))
            // The consumer's subscription must reach the daemon before sentinels matter: poll with
            // a warm-up row until its output comes back.
            let message = ZMQMessage()
            func sendRow(_ t: Int64) throws {
                for m in ["a", "b"] {
                    try publisher.send(topic: "pred.SPX.5.\(m)", payload: WireEncoder.binaryPrediction(
                        model: m, symbol: "SPX", horizon: 5, eventTime: t, sequence: 0, probabilities: [0.2, 0.3, 0.5]))
                }
            }
            func awaitOutput(_ t: Int64, silenceMilliseconds: Int = 10_000) throws -> Bool {
                try consumer.awaitOutput(eventTime: t, into: message, silenceMilliseconds: silenceMilliseconds)
            }
            var warmed = false
            for _ in 0..<50 where !warmed {
                eventTime += 1
                try sendRow(eventTime)
                warmed = try awaitOutput(eventTime, silenceMilliseconds: 200)
            }
            XCTAssertTrue(warmed, "round \(round): output never reached the consumer")

            // Load: batches of 20 rows and the labels of the previous batch, each batch closed by a
            // sentinel whose output proves everything before it was processed (hence persisted).
            let batches = 3 + Int(next() % 6)
            var previous: [Int64] = []
            for b in 0..<batches {
                var rows: [Int64] = []
                for _ in 0..<20 { eventTime += 1; rows.append(eventTime); try sendRow(eventTime) }
                for t in previous {
                    try publisher.send(topic: "label.SPX.5", payload: WireEncoder.binaryLabel(
                        symbol: "SPX", horizon: 5, eventTime: t, sequence: 0, classIndex: Int(next() % 3), classCount: 3,
                        forwardReturn: 0.001, exitTime: eventTime))
                }
                sentLabels += previous.count
                let labelled = previous.count
                previous = rows
                eventTime += 1
                try sendRow(eventTime)
                if b == batches - 1 {
                    // Kill while the last batch may still be in flight.
                    break
                }
                XCTAssertTrue(try awaitOutput(eventTime), "round \(round): sentinel output")
                acknowledged += labelled
            }
            kill(daemon.processIdentifier, SIGKILL)
            XCTAssertTrue(daemon.waitForExit(), "round \(round): the daemon died")
            XCTAssertEqual(daemon.process.terminationReason, .uncaughtSignal)
            publisher.close()
            consumer.close()
            context.terminate()
        }
        // A last clean start: the log is still valid and holds at least everything acknowledged.
        let daemon = try start(config: config)
        let line = try XCTUnwrap(daemon.stderr.waitFor("restored the out-of-sample window"))
        let restored = Int(line.components(separatedBy: "rows=h5=").last!.prefix { $0.isNumber })!
        XCTAssertGreaterThanOrEqual(restored, acknowledged)
        XCTAssertGreaterThan(acknowledged, 0)
        XCTAssertTrue(daemon.stop(), "SIGTERM stops the daemon")
        XCTAssertEqual(daemon.process.terminationStatus, 0, "SIGTERM is a graceful stop")
    }
}
