import Foundation
import Logging
import StackdCore
import StackdDaemon
import StackdZMQ
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The metrics endpoint against a real LiveRunner: predictions and a bad message over ZeroMQ,
/// then `/metrics`, `/healthz`, `/readyz` over HTTP on an ephemeral port.
final class MetricsEndpointTests: XCTestCase {
    var temporary: URL!

    override func setUpWithError() throws {
        temporary = FileManager.default.temporaryDirectory.appendingPathComponent("stackd-metrics-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: temporary)
    }

    func testMetricsHealthAndReadinessOfALiveRunner() throws {
        let config = try ConfigurationLoader.parse("""
            [models]
            names = ["a", "b"]
            [stream]
            horizons = [5, 10]
            symbols = ["SPX"]
            [input]
            bind = ["ipc://\(temporary.path)/in.sock"]
            [output]
            bind = ["ipc://\(temporary.path)/out.sock"]
            [assembly]
            deadline_ms = 600000
            [metrics]
            address = "127.0.0.1:0"
            """, source: "test")
        XCTAssertEqual(config.metricsAddress, "127.0.0.1:0")
        let runner = try LiveRunner(configuration: config, logger: Logger(label: "test"))
        let readiness = ReadinessFlag(true)
        let server = try MetricsServer(address: config.metricsAddress, version: "9.9.9", logger: Logger(label: "test"),
                                       snapshot: { runner.snapshot() }, ready: { readiness.isReady })
        server.start()
        defer { server.stop() }
        XCTAssertNotEqual(server.port, 0, "the kernel chose a port")

        // Before start: the loop is not turning, so neither healthy nor ready.
        XCTAssertEqual(try HTTPTestClient.get(port: server.port, path: "/readyz").status, 503)
        XCTAssertEqual(try HTTPTestClient.get(port: server.port, path: "/healthz").status, 503)

        runner.start()
        defer {
            runner.requestStop()
            XCTAssertTrue(runner.waitUntilFinished(timeout: 10))
        }
        XCTAssertTrue(runner.wait(timeout: 10) { $0.refreshedAtNanoseconds != 0 })
        XCTAssertEqual(try HTTPTestClient.get(port: server.port, path: "/readyz").status, 200)
        XCTAssertEqual(try HTTPTestClient.get(port: server.port, path: "/healthz").status, 200)
        readiness.isReady = false   // e.g. reloading or stopping
        XCTAssertEqual(try HTTPTestClient.get(port: server.port, path: "/readyz").status, 503)
        XCTAssertEqual(try HTTPTestClient.get(port: server.port, path: "/healthz").status, 200)
        readiness.isReady = true
        XCTAssertEqual(try HTTPTestClient.get(port: server.port, path: "/nope").status, 404)

        // Two complete rows (h5, h10), one partial row (h5, only "a"), and one bad_sum.
        let publisher = try TestPublisher(endpoint: runner.inputEndpoints[0])
        defer { publisher.close() }
        try publisher.prediction(model: "a", horizon: 5, ts: 1000, probs: [0.2, 0.3, 0.5])
        try publisher.prediction(model: "b", horizon: 5, ts: 1000, probs: [0.1, 0.3, 0.6])
        try publisher.prediction(model: "a", horizon: 10, ts: 1000, probs: [0.2, 0.3, 0.5])
        try publisher.prediction(model: "b", horizon: 10, ts: 1000, probs: [0.2, 0.2, 0.6])
        try publisher.prediction(model: "a", horizon: 5, ts: 2000, probs: [0.4, 0.3, 0.3])
        try publisher.prediction(model: "b", horizon: 5, ts: 3000, probs: [0.3, 0.3, 0.3])   // bad_sum
        XCTAssertTrue(runner.wait(timeout: 10) { $0.messagesReceived == 6 && $0.pendingRows == 1 })

        let response = try HTTPTestClient.get(port: server.port, path: "/metrics")
        XCTAssertEqual(response.status, 200)
        XCTAssertTrue(response.headers.contains("Content-Type: text/plain; version=0.0.4"))
        let text = response.body
        for line in [
            "stackd_build_info{version=\"9.9.9\"} 1",
            "stackd_messages_received_total 6",
            "stackd_rejected_messages_total{reason=\"bad_sum\"} 1",
            "stackd_rejected_messages_total{reason=\"malformed\"} 0",
            "stackd_predictions_accepted_total 5",
            "stackd_rows_emitted_total{completion=\"complete\"} 2",
            "stackd_rows_emitted_total{completion=\"drained\"} 0",
            "stackd_outputs_total{horizon=\"5\"} 1",
            "stackd_outputs_total{horizon=\"10\"} 1",
            "stackd_pending_rows 1",
            "stackd_awaiting_labels 2",
            "stackd_published_total 2",
            "stackd_send_failures_total{reason=\"hwm\"} 0",
            "stackd_send_failures_total{reason=\"error\"} 0",
            "stackd_input_disconnects_total 0",
            "stackd_emission_latency_seconds_count 2",
            "stackd_active_model_version{horizon=\"5\"} 0",
            "stackd_retrains_total{decision=\"promote\"} 0",
            "stackd_sequence_gaps_total 0",
            "stackd_up 1",
            "# TYPE stackd_emission_latency_seconds summary",
            "# TYPE stackd_rejected_messages_total counter",
            "# TYPE stackd_prequential_log_loss gauge",
        ] {
            XCTAssertTrue(text.split(separator: "\n").contains(Substring(line)), "missing line: \(line)")
        }
        XCTAssertTrue(text.contains("stackd_emission_latency_seconds{quantile=\"0.999\"} "))
        // Every sample line is `name{labels} value` with a parseable value.
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let value = line.split(separator: " ").last.map(String.init) ?? ""
            XCTAssertNotNil(Double(value), "bad sample line: \(line)")
        }

        // A label scores the h5 row: prequential gauges appear for ensemble, averaging and each model.
        try publisher.label(horizon: 5, ts: 1000, label: 2)
        XCTAssertTrue(runner.wait(timeout: 10) { $0.counters.labelsMatched == 1 })
        let scored = try HTTPTestClient.get(port: server.port, path: "/metrics").body
        XCTAssertTrue(scored.contains("stackd_labels_matched_total 1\n"))
        XCTAssertTrue(scored.contains("stackd_prequential_scored_rows_total{horizon=\"5\",predictor=\"ensemble\"} 1\n"))
        XCTAssertTrue(scored.contains("stackd_prequential_accuracy_ratio{horizon=\"5\",predictor=\"b\"} 1\n"))
        XCTAssertTrue(scored.contains("stackd_prequential_log_loss{horizon=\"5\",predictor=\"averaging\"} "))
        // The label-only baselines: the first row was emitted before any label, so the prior was uniform.
        XCTAssertTrue(scored.contains("stackd_prequential_log_loss{horizon=\"5\",predictor=\"class_prior\"} \(-log(1.0 / 3))\n"), scored)
        XCTAssertTrue(scored.contains("stackd_prequential_accuracy_ratio{horizon=\"5\",predictor=\"always_majority\"} 0\n"), scored)
        XCTAssertFalse(scored.contains("stackd_prequential_log_loss{horizon=\"10\""), "no score before a label")

        // For the Python format test (tests/python/test_metrics_format.py), when asked.
        if let out = ProcessInfo.processInfo.environment["STACKD_METRICS_SAMPLE_OUT"] {
            try scored.write(toFile: out, atomically: true, encoding: .utf8)
        }
    }

    func testConfigurationKeysAndEnvironmentOverrides() throws {
        let base = """
            [models]
            names = ["a"]
            [stream]
            horizons = [5]
            [input]
            bind = ["inproc://in"]
            [output]
            bind = ["inproc://out"]
            """
        XCTAssertEqual(try ConfigurationLoader.parse(base, source: "t").metricsAddress, "127.0.0.1:9464")
        XCTAssertEqual(try ConfigurationLoader.parse(base + "\n[metrics]\naddress = \"\"\n", source: "t").metricsAddress, "")
        XCTAssertEqual(try ConfigurationLoader.parse(base + "\n[metrics]\naddress = \"[::1]:9000\"\n", source: "t").metricsAddress, "[::1]:9000")
        XCTAssertThrowsError(try ConfigurationLoader.parse(base + "\n[metrics]\naddress = \"example.com:80\"\n", source: "t")) { error in
            XCTAssertTrue("\(error)".contains("t:10: metrics.address"), "\(error)")
        }
        var config = try ConfigurationLoader.parse(base, source: "t")
        try ConfigurationLoader.applyEnvironment(
            ["STACKD_STATE_DIRECTORY": "/var/lib/x", "STACKD_METRICS_ADDRESS": "", "STACKD_LOG_LEVEL": "debug"], to: &config)
        XCTAssertEqual(config.stateDirectory, "/var/lib/x")
        XCTAssertEqual(config.metricsAddress, "")
        XCTAssertEqual(config.logLevel, .debug)
        XCTAssertThrowsError(try ConfigurationLoader.applyEnvironment(["STACKD_LOG_LEVEL": "loud"], to: &config)) { error in
            XCTAssertTrue("\(error)".contains("STACKD_LOG_LEVEL"))
        }
        XCTAssertEqual(config.logLevel, .debug)

        let plan = ConfigurationReload.plan(current: config, new: {
            var c = config
            c.logLevel = .warning
            c.pipeline.minModels = 1
            c.pipeline.deadlineNanoseconds += 1
            return c
        }())
        XCTAssertEqual(plan.applied, ["log.level: debug -> warning"])
        XCTAssertEqual(plan.needRestart, ["assembly.deadline_ms"])
        XCTAssertEqual(plan.effective.logLevel, .warning)
        XCTAssertEqual(plan.effective.pipeline, config.pipeline)
    }
}

/// A publisher for tests: an XPUB that waits for the daemon's subscriptions before sending.
final class TestPublisher {
    let context: ZMQContext
    let socket: ZMQSocket
    var sequence: [String: Int] = [:]

    init(endpoint: String, subscriptions: Int = 2) throws {
        context = try ZMQContext()
        socket = try ZMQSocket.make(context: context, type: .xpub,
                                    settings: ZMQSocketSettings(lingerMilliseconds: 1000, xpubVerbose: true))
        try socket.connect(endpoint)
        for _ in 0..<subscriptions {
            guard try socket.waitForSubscriber(timeoutMilliseconds: 10_000) != nil else {
                throw POSIXError(.ETIMEDOUT)
            }
        }
    }

    func prediction(model: String, symbol: String = "SPX", horizon: Int, ts: Int64, probs: [Double]) throws {
        let seq = sequence[model, default: 0] + 1
        sequence[model] = seq
        let json = "{\"v\":1,\"type\":\"prediction\",\"model\":\"\(model)\",\"symbol\":\"\(symbol)\",\"horizon\":\(horizon),\"ts\":\(ts),\"seq\":\(seq),\"probs\":[\(probs.map { "\($0)" }.joined(separator: ","))]}"
        XCTAssertTrue(try socket.send(topic: "pred.\(symbol).\(horizon).\(model)", payload: Array(json.utf8)))
    }

    func label(symbol: String = "SPX", horizon: Int, ts: Int64, label: Int) throws {
        let json = "{\"v\":1,\"type\":\"label\",\"symbol\":\"\(symbol)\",\"horizon\":\(horizon),\"ts\":\(ts),\"seq\":1,\"class\":\(label),\"fwd_return\":0.01,\"exit_ts\":\(ts + 1)}"
        XCTAssertTrue(try socket.send(topic: "label.\(symbol).\(horizon)", payload: Array(json.utf8)))
    }

    func close() {
        socket.close()
        context.terminate()
    }
}

/// A blocking HTTP/1.1 GET over a POSIX socket, enough to probe the metrics endpoint.
enum HTTPTestClient {
    struct Response { var status: Int; var headers: String; var body: String }

    static func get(port: UInt16, path: String) throws -> Response {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            data += buffer[..<n]
        }
        let text = String(decoding: data, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw POSIXError(.EBADMSG) }
        let head = String(text[..<split.lowerBound])
        let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
        return Response(status: status, headers: head, body: String(text[split.upperBound...]))
    }
}
