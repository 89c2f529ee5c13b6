import Foundation
import StackdCore
import StackdZMQ
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Losses at the edges of the daemon are counted where they happen: outputs a stalled
/// subscriber cannot take (`stackd_send_failures_total{reason="hwm"}`), and peers disconnected
/// for an oversize frame (`stackd_input_disconnects_total`) — the frame never buffered whole.
final class OutputDropAndOversizeTests: XCTestCase {
    var harness: OperatorHarness!

    override func setUpWithError() throws { harness = try OperatorHarness() }
    override func tearDown() { harness.cleanUp() }

    /// A subscriber that stops reading and a flood of complete rows: every output is either
    /// published or counted as refused at the high-water mark, some are refused, ingest went on
    /// (every message received) and memory stayed bounded.
    func testStalledSubscriberLossesAreCountedAndIngestGoesOn() throws {
        let config = try harness.writeConfiguration("""
            [monitoring]
            enabled = false
            """)
        // A small send high-water mark, so the stalled subscriber's queue fills quickly.
        try String(contentsOfFile: config, encoding: .utf8)
            .replacingOccurrences(of: "bind = [\"\(harness.output)\"]", with: "bind = [\"\(harness.output)\"]\nsend_hwm = 100")
            .write(toFile: config, atomically: true, encoding: .utf8)
        let daemon = try harness.start(config: config)
        let port = try harness.metricsPort(daemon)
        // The consumer subscribes, then never reads: its queue and the daemon's fill up.
        let context = try ZMQContext()
        defer { context.terminate() }
        let stalled = try ZMQSocket.make(context: context, type: .sub, settings: ZMQSocketSettings(
            lingerMilliseconds: 0, receiveHighWaterMark: 100, subscriptions: ["ens."]))
        defer { stalled.close() }
        try stalled.connect(harness.output)
        XCTAssertNotNil(try OperatorHarness.waitForMetric(port: port, "stackd_output_subscriptions") { $0 == 1 })

        let publisher = try BinaryPublisher(endpoint: harness.input)
        defer { publisher.close() }
        let rows = 20_000
        for i in 0..<rows { try publisher.row(Int64(1_000 + i), probabilities: [0.2, 0.3, 0.5]) }
        XCTAssertNotNil(try OperatorHarness.waitForMetric(port: port, "stackd_messages_received_total", timeout: 60) { $0 >= Double(2 * rows) },
                        "ingest never waited for the stalled subscriber")
        XCTAssertNotNil(try OperatorHarness.waitForMetric(port: port, "stackd_outputs_total{horizon=\"5\"}") { $0 >= Double(rows) })
        let outputs = try XCTUnwrap(try OperatorHarness.metric(port: port, "stackd_outputs_total{horizon=\"5\"}"))
        let published = try XCTUnwrap(try OperatorHarness.metric(port: port, "stackd_published_total"))
        let hwm = try XCTUnwrap(try OperatorHarness.metric(port: port, "stackd_send_failures_total{reason=\"hwm\"}"))
        let error = try XCTUnwrap(try OperatorHarness.metric(port: port, "stackd_send_failures_total{reason=\"error\"}"))
        XCTAssertEqual(outputs, Double(rows))
        XCTAssertEqual(published + hwm + error, outputs, "every output published or counted")
        XCTAssertGreaterThan(hwm, 0, "the stalled subscriber's losses are counted")
        XCTAssertEqual(error, 0)
        let rss = try XCTUnwrap(OperatorHarness.residentBytes(daemon.processIdentifier))
        XCTAssertLessThan(rss, 512 << 20, "memory bounded by the high-water marks")
    }

    /// A peer sending a frame far above `input.max_payload_bytes` is disconnected by libzmq as
    /// soon as the frame's length is read: the daemon's peak memory does not grow by the frame,
    /// the disconnect is counted, and other publishers are still served.
    func testOversizeFrameDisconnectsThePeerBeforeBuffering() throws {
        let daemon = try harness.start(config: try harness.writeConfiguration())
        let port = try harness.metricsPort(daemon)
        let context = try ZMQContext()
        defer { context.terminate() }
        let bad = try ZMQSocket.make(context: context, type: .xpub,
                                     settings: ZMQSocketSettings(lingerMilliseconds: 0, xpubVerbose: true))
        defer { bad.close() }
        try bad.connect(harness.input)
        XCTAssertNotNil(try bad.waitForSubscriber(timeoutMilliseconds: 20_000))
        let peakBefore = try XCTUnwrap(Self.peakResidentBytes(daemon.processIdentifier))

        // 1 MiB, then 64 MiB: each is refused at its length prefix and the connection dropped.
        for (i, size) in [1 << 20, 64 << 20].enumerated() {
            if i > 0 { XCTAssertNotNil(try bad.waitForSubscriber(timeoutMilliseconds: 20_000), "the peer reconnected") }
            let frame = [UInt8](repeating: 0x41, count: size)
            XCTAssertTrue(try bad.send(topic: "pred.SPX.5.a", payload: frame))
            XCTAssertNotNil(try OperatorHarness.waitForMetric(port: port, "stackd_input_disconnects_total") { $0 >= Double(i + 1) },
                            "frame of \(size) bytes: the peer is disconnected and counted")
        }
        let peakAfter = try XCTUnwrap(Self.peakResidentBytes(daemon.processIdentifier))
        XCTAssertLessThan(peakAfter - peakBefore, 16 << 20, "the 64 MiB frame was never held in memory")
        XCTAssertEqual(try OperatorHarness.metric(port: port, "stackd_messages_received_total"), 0, "nothing oversize was delivered")

        let good = try BinaryPublisher(endpoint: harness.input)
        defer { good.close() }
        try good.row(1_000, probabilities: [0.2, 0.3, 0.5])
        XCTAssertNotNil(try OperatorHarness.waitForMetric(port: port, "stackd_outputs_total{horizon=\"5\"}") { $0 == 1 },
                        "another publisher is still served")
        XCTAssertTrue(daemon.process.isRunning)
    }

    /// Peak resident set size (VmHWM), in bytes.
    static func peakResidentBytes(_ pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else { return nil }
        return kb * 1024
    }
}
