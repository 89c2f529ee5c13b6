import Foundation
import StackdTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Regimes live, end to end: the real `stackd` binary with `regimes.names`, a pyzmq peer
/// (`Clients/regime_publisher.py`, written from `schemas/` through the Python client) publishing
/// regimes, uninformative predictions and labels that only the regime explains. The daemon joins
/// the regimes into its rows, retrains on its worker thread (promotion "always", features
/// "extended", which with regimes is ext+regime), and its learned model's outputs then follow
/// the regime: evidence that the regime column reached the live meta-learner.
final class RegimeLiveTests: DaemonProcessTestCase {
    override var temporaryPrefix: String { "stackd-regime" }

    func testLearnedModelFollowsTheRegimeFedOverZeroMQ() throws {
        let binary = Repository.stackdBinary
        let python = Repository.python
        guard FileManager.default.isExecutableFile(atPath: binary.path), FileManager.default.isExecutableFile(atPath: python.path) else {
            XCTFail("needs .build/debug/stackd (swift build --build-tests) and .venv (scripts/install-deps.sh)")
            return
        }
        let input = "ipc://\(temporary.path)/in.sock", output = "ipc://\(temporary.path)/out.sock"
        let config = temporary.appendingPathComponent("stackd.toml")
        try """
            [models]
            names = ["a", "b"]
            [stream]
            horizons = [1]
            symbols = ["SPX"]
            [regimes]
            names = ["vol_regime"]
            [input]
            bind = ["\(input)"]
            [output]
            bind = ["\(output)"]
            encoding = "json"
            [assembly]
            deadline_ms = 2000
            [retrain]
            every_labels = 100
            min_rows = 100
            [learner]
            kind = "logistic"
            features = "extended"
            promotion = "always"
            [monitoring]
            enabled = false
            [metrics]
            address = "127.0.0.1:0"
            """.write(to: config, atomically: true, encoding: .utf8)
        let (daemon, port) = try startDaemon(config: config, binary: binary)

        let peer = try CapturedProcess.run(
            python, [Repository.root.appendingPathComponent("Tests/StackdDaemonTests/Clients/regime_publisher.py").path, input, output],
            timeout: 120)
        XCTAssertEqual(peer.status, 0, peer.stderr)
        XCTAssertFalse(peer.timedOut)
        struct Summary: Decodable {
            var waited_bars: Int, checked: Int, agree: Int, missing_outputs: Int, bars: Int
            var methods: [String], completions: [String]
            var model_version: Int?
        }
        let summary = try JSONDecoder().decode(Summary.self, from: Data(peer.stdout.utf8))
        XCTAssertEqual(summary.checked, 20, "the learned model never served: \(peer.stdout)\n\(daemon.stderr.text.suffix(3000))")
        XCTAssertEqual(summary.agree, 20, "outputs follow the regime, which only the regime column can explain")
        XCTAssertEqual(Set(summary.completions), ["complete"], "every row completed with its regime, none at the deadline")
        XCTAssertEqual(summary.missing_outputs, 0)
        XCTAssertGreaterThan(summary.model_version ?? 0, 0)
        // Every regime was joined: one per bar, none unused, no row without its regime.
        // The endpoint serves the ingest loop's periodic snapshot: wait (bounded) until it has
        // caught up with the last bar.
        var metrics = ""
        let deadline = Date(timeIntervalSinceNow: 15)
        repeat {
            metrics = try HTTPTestClient.get(port: port, path: "/metrics").body
            if metrics.contains("stackd_regimes_accepted_total \(summary.bars)\n") { break }
            Thread.sleep(forTimeInterval: 0.05)
        } while Date() < deadline
        func value(_ name: String) -> Double? {
            metrics.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ")[1]) }
        }
        XCTAssertEqual(value("stackd_regimes_accepted_total"), Double(summary.bars))
        XCTAssertEqual(value("stackd_rows_without_regime_total"), 0)
        XCTAssertEqual(value("stackd_regimes_unused_total"), 0)
        XCTAssertEqual(value("stackd_input_regimes_missed_total"), 0)
        XCTAssertEqual(value("stackd_rejected_messages_total{reason=\"late\"}"), 0)
        XCTAssertTrue(daemon.stop(signal: SIGTERM, timeout: 30))
        XCTAssertEqual(daemon.process.terminationStatus, 0, daemon.stderr.text.suffix(2000).description)
    }
}
