import Foundation
import StackdCore
import StackdTestSupport
import StackdZMQ
import XCTest

/// Rows emitted and awaiting their label survive `kill -9` like window rows: the real binary
/// emits rows, is killed, restarts from the awaiting-rows log, and the labels sent afterwards
/// join those rows, which then reach the durable window (seen on the next start).
final class AwaitingRowsCrashTests: DaemonProcessTestCase {
    override var temporaryPrefix: String { "stackd-awaiting" }
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

    /// A publisher and a consumer connected to a running daemon, warmed up until outputs flow.
    final class Peer {
        let context: ZMQContext
        let publisher: ZMQSocket
        let consumer: ZMQSocket
        let message = ZMQMessage()

        init(input: String, output: String) throws {
            context = try ZMQContext()
            publisher = try ZMQSocket.make(context: context, type: .xpub, settings: ZMQSocketSettings(lingerMilliseconds: 0))
            consumer = try ZMQSocket.make(context: context, type: .sub,
                                          settings: ZMQSocketSettings(lingerMilliseconds: 0, subscriptions: ["ens."]))
            try consumer.connect(output)
            try publisher.connect(input)
            guard try publisher.waitForSubscriber(timeoutMilliseconds: 10_000) != nil else { throw CancellationError() }
        }

        func sendRow(_ t: Int64) throws {
            for m in ["a", "b"] {
                try publisher.send(topic: "pred.SPX.5.\(m)", payload: WireEncoder.binaryPrediction(
                    model: m, symbol: "SPX", horizon: 5, eventTime: t, sequence: 0, probabilities: [0.2, 0.3, 0.5]))
            }
        }

        func sendLabel(_ t: Int64, classIndex: Int) throws {
            try publisher.send(topic: "label.SPX.5", payload: WireEncoder.binaryLabel(
                symbol: "SPX", horizon: 5, eventTime: t, sequence: 0, classIndex: classIndex, classCount: 3,
                forwardReturn: 0.001, exitTime: t + 5))
        }

        /// Waits (until outputs stop coming for `timeoutMilliseconds`) for the output of the row at `t`.
        func awaitOutput(_ t: Int64, timeoutMilliseconds: Int = 10_000) throws -> Bool {
            try consumer.awaitOutput(eventTime: t, into: message, silenceMilliseconds: timeoutMilliseconds)
        }

        /// Sends rows until one's output comes back: the consumer's subscription has arrived.
        func warmUp(from eventTime: inout Int64) throws -> Bool {
            for _ in 0..<50 {
                eventTime += 1
                try sendRow(eventTime)
                if try awaitOutput(eventTime, timeoutMilliseconds: 200) { return true }
            }
            return false
        }

        func close() {
            publisher.close()
            consumer.close()
            context.terminate()
        }
    }

    func restoredWindowRows(_ daemon: ChildProcess) throws -> Int {
        let line = try XCTUnwrap(daemon.stderr.waitFor("restored the out-of-sample window"))
        return try XCTUnwrap(Int(line.components(separatedBy: "rows=h5=").last!.prefix { $0.isNumber }), line)
    }

    func testRowsAwaitingTheirLabelSurviveKillNine() throws {
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

        // Run 1: rows emitted, none labelled, then kill -9.
        var eventTime: Int64 = 1_000
        let first = try start(config: config)
        XCTAssertEqual(try restoredWindowRows(first), 0)
        XCTAssertNotNil(first.stderr.waitFor("stackd is running"))
        var peer = try Peer(input: input, output: output)
        XCTAssertTrue(try peer.warmUp(from: &eventTime), "outputs never reached the consumer")
        var rows: [Int64] = []
        for _ in 0..<10 { eventTime += 1; rows.append(eventTime); try peer.sendRow(eventTime) }
        // The sentinel's output proves every row before it was emitted, hence logged (every_row).
        eventTime += 1
        try peer.sendRow(eventTime)
        XCTAssertTrue(try peer.awaitOutput(eventTime), "sentinel output")
        kill(first.processIdentifier, SIGKILL)
        XCTAssertTrue(first.waitForExit())
        XCTAssertEqual(first.process.terminationReason, .uncaughtSignal)
        peer.close()
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(temporary.path)/state/awaiting.bin"), "no graceful stop wrote it")

        // Run 2: the rows come back from the awaiting-rows log; their labels arrive and join them.
        let second = try start(config: config)
        let line = try XCTUnwrap(second.stderr.waitFor("from the awaiting-rows log"), "no awaiting-rows restore line")
        let restored = try XCTUnwrap(Int(line.components(separatedBy: "rows=").last!.prefix { $0.isNumber }), line)
        XCTAssertGreaterThanOrEqual(restored, rows.count + 1, line)
        XCTAssertTrue(line.contains("already_labelled=0"), line)
        XCTAssertNotNil(second.stderr.waitFor("stackd is running"))
        peer = try Peer(input: input, output: output)
        XCTAssertTrue(try peer.warmUp(from: &eventTime))
        for (i, t) in rows.enumerated() { try peer.sendLabel(t, classIndex: i % 3) }
        eventTime += 1
        try peer.sendRow(eventTime)
        XCTAssertTrue(try peer.awaitOutput(eventTime), "sentinel output after the labels")
        XCTAssertTrue(second.stop(), "SIGTERM stops the daemon")
        peer.close()

        // Run 3: the labelled rows are in the durable window.
        let third = try start(config: config)
        XCTAssertEqual(try restoredWindowRows(third), rows.count, "every label joined a row restored after kill -9")
        XCTAssertTrue(third.stop())
    }
}
