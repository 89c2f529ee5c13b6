import Foundation
import StackdTestSupport
import StackdZMQ
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// `stackd run` as systemd runs it: the built binary as a child process with `NOTIFY_SOCKET` on a
/// datagram socket this test owns and `WATCHDOG_USEC` set. Checks READY/WATCHDOG/STATUS, both
/// kinds of reload, and that SIGTERM drains a half-assembled row to a subscriber before exit 0.
/// Needs `swift build --build-tests` first (the binary at `.build/debug/stackd`).
final class ServiceLifecycleTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let binary = Repository.stackdBinary

    var directory: String!

    override func setUpWithError() throws {
        var template = Array("/tmp/stackd-svc-XXXXXX".utf8CString)
        guard let dir = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else { throw POSIXError(.EIO) }
        directory = String(cString: dir)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func configuration(level: String, extra: String = "") -> String {
        """
        [models]
        names = ["a", "b"]
        [stream]
        horizons = [5]
        symbols = ["SPX"]
        [input]
        bind = ["ipc://\(directory!)/in.sock"]
        [output]
        bind = ["ipc://\(directory!)/out.sock"]
        encoding = "json"
        [assembly]
        deadline_ms = 600000
        [metrics]
        address = "127.0.0.1:0"
        [log]
        level = "\(level)"
        \(extra)
        """
    }

    func testNotifySequenceReloadAndGracefulStop() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary.path) else {
            XCTFail("\(Self.binary.path) is missing: run `swift build --build-tests` first")
            return
        }
        let configPath = directory + "/stackd.toml"
        try configuration(level: "info").write(toFile: configPath, atomically: true, encoding: .utf8)
        let notify = try NotifyListener(path: directory + "/notify.sock")
        defer { notify.close() }

        let process = Process()
        process.executableURL = Self.binary
        process.arguments = ["run", "--config", configPath]
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = notify.path
        environment["WATCHDOG_USEC"] = "200000"
        environment["WATCHDOG_PID"] = nil
        environment["STACKD_LOG_LEVEL"] = nil
        environment["STACKD_METRICS_ADDRESS"] = nil
        process.environment = environment
        let stderr = OutputCollector()
        process.standardError = stderr.pipe
        process.standardOutput = FileHandle.nullDevice
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        defer {
            if process.isRunning { process.terminate(); _ = exited.wait(timeout: .now() + 20) }
        }

        // Startup: READY=1, then watchdog pings from the ingest loop and a status line.
        XCTAssertNotNil(notify.next("READY=1"), "READY=1; stderr:\n\(stderr.text)")
        XCTAssertNotNil(notify.next("WATCHDOG=1"))
        XCTAssertNotNil(notify.next("WATCHDOG=1"), "at least two watchdog pings")
        XCTAssertTrue(notify.all.contains { $0.hasPrefix("STATUS=") }, "a STATUS= line: \(notify.all)")
        XCTAssertFalse(notify.all.contains("STOPPING=1"))

        // The metrics port the daemon chose, from its log.
        let listening = try XCTUnwrap(stderr.waitFor("metrics endpoint listening"))
        let port = try XCTUnwrap(listening.range(of: #"address=127\.0\.0\.1:(\d+)"#, options: .regularExpression)
            .map { UInt16(listening[$0].split(separator: ":").last!)! })
        XCTAssertEqual(try HTTPTestClient.get(port: port, path: "/readyz").status, 200)

        // A subscriber on the output and a half-assembled row (only model "a").
        let context = try ZMQContext()
        defer { context.terminate() }
        let consumer = try ZMQSocket.make(context: context, type: .sub, settings: ZMQSocketSettings(
            lingerMilliseconds: 0, receiveTimeoutMilliseconds: 20_000, subscriptions: ["ens."]))
        defer { consumer.close() }
        try consumer.connect("ipc://\(directory!)/out.sock")
        XCTAssertTrue(try waitForMetric(port: port, "stackd_output_subscriptions 1"), "subscription reached the daemon")
        let publisher = try TestPublisher(endpoint: "ipc://\(directory!)/in.sock")
        defer { publisher.close() }
        try publisher.prediction(model: "a", horizon: 5, ts: 1000, probs: [0.2, 0.3, 0.5])
        XCTAssertTrue(try waitForMetric(port: port, "stackd_pending_rows 1"), "the row is pending")

        // Reload with a changed log level: RELOADING=1 (with MONOTONIC_USEC), READY=1, change logged.
        try configuration(level: "debug").write(toFile: configPath, atomically: true, encoding: .utf8)
        kill(process.processIdentifier, SIGHUP)
        let reloading = try XCTUnwrap(notify.next("RELOADING=1"))
        XCTAssertTrue(reloading.contains("MONOTONIC_USEC="), reloading)
        XCTAssertNotNil(notify.next("READY=1"), "READY=1 after the reload")
        XCTAssertNotNil(stderr.waitFor("log.level: info -> debug"), "the applied change is logged:\n\(stderr.text)")

        // Reload with a broken file: errors logged, old configuration kept, READY=1 again.
        try configuration(level: "loud", extra: "[assembly2]\nx = 1").write(toFile: configPath, atomically: true, encoding: .utf8)
        kill(process.processIdentifier, SIGHUP)
        XCTAssertNotNil(notify.next("RELOADING=1"))
        XCTAssertNotNil(notify.next("READY=1"), "READY=1 after a refused reload")
        XCTAssertNotNil(stderr.waitFor("reload refused"), stderr.text)
        XCTAssertNotNil(stderr.waitFor("log.level: must be one of"), stderr.text)
        XCTAssertNotNil(stderr.waitFor("unknown section [assembly2]"), stderr.text)
        XCTAssertEqual(try HTTPTestClient.get(port: port, path: "/readyz").status, 200)
        XCTAssertTrue(process.isRunning)

        // SIGTERM: STOPPING=1, the pending row drained to the subscriber, exit 0.
        process.terminate()
        XCTAssertNotNil(notify.next("STOPPING=1"))
        XCTAssertEqual(exited.wait(timeout: .now() + 20), .success, "exits within 20 s")
        XCTAssertEqual(process.terminationReason, .exit)
        XCTAssertEqual(process.terminationStatus, 0, stderr.text)
        let topic = ZMQMessage(), payload = ZMQMessage()
        XCTAssertTrue(try consumer.receive(into: topic), "the drained row arrived")
        XCTAssertEqual(topic.string, "ens.SPX.5")
        XCTAssertTrue(try consumer.receive(into: payload))
        let output = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(payload.bytes)) as? [String: Any])
        XCTAssertEqual(output["completion"] as? String, "drained")
        XCTAssertEqual(output["models"] as? [String], ["a"])
        XCTAssertEqual(output["ts"] as? Int, 1000)
        XCTAssertNotNil(stderr.waitFor("stopped cleanly"), stderr.text)
    }

    /// Polls /metrics until `line` is one of its lines (the condition, not a sleep, ends the wait).
    func waitForMetric(port: UInt16, _ line: String, timeout: TimeInterval = 20) throws -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while Date() < deadline {
            let body = try HTTPTestClient.get(port: port, path: "/metrics").body
            if body.split(separator: "\n").contains(Substring(line)) { return true }
            usleep(20_000)
        }
        return false
    }
}

/// The supervisor's end of `NOTIFY_SOCKET`: an AF_UNIX datagram socket, read with a timeout.
final class NotifyListener {
    let path: String
    let fd: Int32
    /// Every datagram received so far, in order.
    private(set) var all: [String] = []
    private var cursor = 0

    init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
            raw[path.utf8.count] = 0
        }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else { Glibc.close(fd); throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var timeout = timeval(tv_sec: 0, tv_usec: 250_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// The next message (after the previous match) containing `text`; nil after `timeout`.
    func next(_ text: String, timeout: TimeInterval = 20) -> String? {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while true {
            while cursor < all.count {
                let m = all[cursor]
                cursor += 1
                if m.split(separator: "\n").contains(Substring(text)) { return m }
            }
            if Date() >= deadline { return nil }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 { all.append(String(decoding: buffer[..<n], as: UTF8.self)) }
        }
    }

    func close() {
        Glibc.close(fd)
        unlink(path)
    }
}
