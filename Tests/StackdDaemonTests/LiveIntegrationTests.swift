import Foundation
import Logging
import StackdCore
import StackdDaemon
import StackdTestSupport
import StackdZMQ
import XCTest

/// The live path end to end over real ZeroMQ: a Python pyzmq publisher (a client written from
/// `schemas/`) sends good rows, one bad message per reject reason and labels; this test
/// subscribes to the daemon's output and checks every ensemble output and every counter.
final class LiveIntegrationTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    var temporary: URL!

    override func setUpWithError() throws {
        temporary = FileManager.default.temporaryDirectory.appendingPathComponent("stackd-live-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: temporary)
    }

    func testPythonPublisherOverIPCWithBinaryOutput() throws {
        try runScenario(input: "ipc://\(temporary.path)/in.sock", output: "ipc://\(temporary.path)/out.sock", encoding: .binary)
    }

    func testPythonPublisherOverTCPWithJSONOutput() throws {
        try runScenario(input: "tcp://127.0.0.1:*", output: "tcp://127.0.0.1:*", encoding: .json)
    }

    struct Scenario: Decodable {
        struct Row: Decodable { var symbol: String; var horizon: Int; var ts: Int64; var probs: [String: [Double]] }
        var rows: [Row]
        var partial: Row
        var expected_rejects: [String: Int]
        var messages: Int
        var labels_matched: Int
        var labels_unmatched: Int
    }

    struct Output { var topic: String; var symbol: String; var horizon: Int; var ts: Int64; var probs: [Double]; var cls: Int; var completion: String; var models: [String]; var latency: UInt64 }

    func runScenario(input: String, output: String, encoding: PayloadEncoding) throws {
        var config = try ConfigurationLoader.parse("""
            [models]
            names = ["xgb", "mlp", "logreg", "lgbm"]
            [stream]
            horizons = [5, 10]
            symbols = ["SPX", "QQQ"]
            [input]
            bind = ["\(input)"]
            [output]
            bind = ["\(output)"]
            encoding = "\(encoding.rawValue)"
            [assembly]
            deadline_ms = 300
            min_models = 2
            """, source: "test")
        config.rejectLogPerSecond = 100
        let runner = try LiveRunner(configuration: config, logger: Logger(label: "test"))
        runner.start()
        defer {
            runner.requestStop()
            XCTAssertTrue(runner.waitUntilFinished(timeout: 10), "the daemon stops within 10 s")
        }
        let context = try ZMQContext()
        defer { context.terminate() }
        let consumer = try ZMQSocket.make(context: context, type: .sub, settings: ZMQSocketSettings(
            lingerMilliseconds: 0, receiveTimeoutMilliseconds: 10_000, subscriptions: ["ens."]))
        defer { consumer.close() }
        try consumer.connect(runner.outputEndpoints[0])
        XCTAssertTrue(runner.wait(timeout: 10) { $0.outputSubscriptions == 1 }, "consumer subscription reached the daemon")

        let scenario = try runPublisher(endpoint: runner.inputEndpoints[0])
        let expectedOutputs = scenario.rows.count + 1

        var outputs: [Output] = []
        let topic = ZMQMessage(), payload = ZMQMessage()
        while outputs.count < expectedOutputs {
            guard try consumer.receive(into: topic) else { XCTFail("only \(outputs.count) outputs arrived"); break }
            XCTAssertTrue(topic.hasMore)
            XCTAssertTrue(try consumer.receive(into: payload))
            outputs.append(try decode(topic: topic.string, payload: payload.bytes, encoding: encoding))
        }
        XCTAssertTrue(runner.wait(timeout: 10) { $0.messagesReceived == scenario.messages && $0.counters.labelsAccepted == 5 && $0.published == expectedOutputs && $0.pendingRows == 0 })
        let snapshot = runner.snapshot()
        // The emission-latency count and mean (the metrics' _count and _sum) are those of the
        // latency_ns the outputs carried, exactly.
        XCTAssertEqual(snapshot.latencyCount, UInt64(outputs.count))
        let latencyMean = Double(outputs.map(\.latency).reduce(0, +)) / Double(outputs.count)
        XCTAssertEqual(snapshot.latencyMeanNanoseconds, latencyMean, accuracy: latencyMean * 1e-12)

        // Every complete row: the average of exactly what Python sent, in the right topic.
        let models = ["lgbm", "logreg", "mlp", "xgb"]
        for row in scenario.rows {
            guard let o = outputs.first(where: { $0.symbol == row.symbol && $0.horizon == row.horizon && $0.ts == row.ts }) else {
                XCTFail("no output for \(row.symbol) h\(row.horizon) ts \(row.ts)"); continue
            }
            XCTAssertEqual(o.topic, "ens.\(row.symbol).\(row.horizon)")
            XCTAssertEqual(o.completion, "complete")
            XCTAssertEqual(o.models, models)
            for c in 0..<3 {
                let mean = models.map { row.probs[$0]![c] }.reduce(0, +) / 4
                XCTAssertEqual(o.probs[c], mean, accuracy: 1e-12)
            }
            XCTAssertEqual(o.cls, (0..<3).max(by: { o.probs[$0] < o.probs[$1] }))
        }
        // The partial row: emitted at its deadline with xgb missing; the duplicate's 0.9 never entered it.
        let partial = try XCTUnwrap(outputs.first { $0.ts == scenario.partial.ts })
        XCTAssertEqual(partial.completion, "deadline")
        XCTAssertEqual(partial.models, ["lgbm", "logreg", "mlp"])
        for c in 0..<3 {
            let mean = ["lgbm", "logreg", "mlp"].map { scenario.partial.probs[$0]![c] }.reduce(0, +) / 3
            XCTAssertEqual(partial.probs[c], mean, accuracy: 1e-12)
        }
        // Every reject counted under its reason, and nothing else rejected.
        for reason in RejectReason.allCases {
            XCTAssertEqual(snapshot.counters.rejected(reason), scenario.expected_rejects[reason.rawValue] ?? 0, "reject reason \(reason.rawValue)")
        }
        XCTAssertEqual(snapshot.counters.totalRejected, scenario.expected_rejects.values.reduce(0, +))
        XCTAssertEqual(snapshot.counters.labelsMatched, scenario.labels_matched)
        XCTAssertEqual(snapshot.counters.labelsUnmatched, scenario.labels_unmatched)
        XCTAssertEqual(snapshot.published, expectedOutputs)
        XCTAssertEqual(snapshot.pendingRows, 0)
    }

    func runPublisher(endpoint: String) throws -> Scenario {
        let python = Self.repository.appendingPathComponent(".venv/bin/python")
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            XCTFail("\(python.path) is missing: run scripts/install-deps.sh (the README's test command does)")
            throw CancellationError()
        }
        let r = try CapturedProcess.run(
            python, [Self.repository.appendingPathComponent("Tests/StackdDaemonTests/Clients/scenario_publisher.py").path, endpoint],
            timeout: 60)
        guard r.status == 0, !r.timedOut else {
            XCTFail("publisher failed\(r.timedOut ? " (killed after 60 s)" : ""): \(r.stderr)")
            throw CancellationError()
        }
        return try JSONDecoder().decode(Scenario.self, from: Data(r.stdout.utf8))
    }

    func decode(topic: String, payload: [UInt8], encoding: PayloadEncoding) throws -> Output {
        switch encoding {
        case .json:
            struct J: Decodable { var symbol: String; var horizon: Int; var ts: Int64; var probs: [Double]; var `class`: Int; var completion: String; var models: [String]; var v: Int; var type: String; var latency_ns: UInt64 }
            let j = try JSONDecoder().decode(J.self, from: Data(payload))
            XCTAssertEqual(j.v, 1)
            XCTAssertEqual(j.type, "ensemble")
            return Output(topic: topic, symbol: j.symbol, horizon: j.horizon, ts: j.ts, probs: j.probs, cls: j.class, completion: j.completion, models: j.models,
                          latency: j.latency_ns)
        case .binary:
            // Layout from schemas/wire.md, read here independently of the encoder.
            XCTAssertEqual(Array(payload[0..<4]), [0x53, 0x4B, 1, 3])
            func u64(_ o: Int) -> UInt64 { (0..<8).reduce(UInt64(0)) { $0 | UInt64(payload[o + $1]) << (8 * UInt64($1)) } }
            func u32(_ o: Int) -> UInt32 { (0..<4).reduce(UInt32(0)) { $0 | UInt32(payload[o + $1]) << (8 * UInt32($1)) } }
            let k = Int(payload[4])
            let probs = (0..<k).map { Double(bitPattern: u64(56 + 8 * $0)) }
            let symbol = String(decoding: payload[(56 + 8 * k)...], as: UTF8.self)
            let mask = u64(32)
            let names = ["lgbm", "logreg", "mlp", "xgb"].enumerated().filter { mask >> UInt64($0.offset) & 1 == 1 }.map(\.element)
            let completion = ["complete", "deadline", "evicted", "drained"][Int(payload[50])]
            XCTAssertEqual(Int(payload[48]), 4, "model_count")
            XCTAssertEqual(Int(payload[49]), names.count, "present_count")
            XCTAssertEqual(payload[7], 0, "method: average")
            return Output(topic: topic, symbol: symbol, horizon: Int(u32(8)), ts: Int64(bitPattern: u64(16)), probs: probs,
                          cls: Int(payload[5]), completion: completion, models: names, latency: u64(40))
        }
    }
}
