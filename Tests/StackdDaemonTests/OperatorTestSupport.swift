import Foundation
import StackdCore
import StackdTestSupport
import StackdZMQ
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The real `stackd` binary under test, in a temporary directory of its own: configuration,
/// ipc endpoints, state and journals all live there and are removed afterwards.
final class OperatorHarness {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let binary = Repository.stackdBinary

    let directory: String
    /// Every daemon started; killed by `cleanUp` so a failing test leaves none behind.
    private(set) var daemons: [ChildProcess] = []

    init() throws {
        var template = Array("/tmp/stackd-ops-XXXXXX".utf8CString)
        guard let dir = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else { throw POSIXError(.EIO) }
        directory = String(cString: dir)
    }

    func cleanUp() {
        for d in daemons { d.stop(signal: SIGKILL, timeout: 10) }
        daemons.removeAll()
        try? FileManager.default.removeItem(atPath: directory)
    }

    var input: String { "ipc://\(directory)/in.sock" }
    var output: String { "ipc://\(directory)/out.sock" }

    /// A two-model, one-horizon configuration with `extra` TOML appended.
    func writeConfiguration(_ extra: String = "", name: String = "stackd.toml", input: String? = nil,
                            models: [String] = ["a", "b"]) throws -> String {
        let path = directory + "/" + name
        try """
            [models]
            names = [\(models.map { "\"\($0)\"" }.joined(separator: ", "))]
            [stream]
            horizons = [5]
            symbols = ["SPX"]
            [input]
            bind = ["\(input ?? self.input)"]
            [output]
            bind = ["\(output)"]
            [metrics]
            address = "127.0.0.1:0"
            [log]
            level = "info"
            \(extra)
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func requireBinary() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary.path) else {
            XCTFail("\(Self.binary.path) is missing: run `swift build --build-tests` first")
            throw CancellationError()
        }
    }

    /// Starts `stackd run --config path` and waits until it logs that it is running.
    func start(config: String) throws -> ChildProcess {
        try requireBinary()
        var environment = ProcessInfo.processInfo.environment
        for key in ["STACKD_LOG_LEVEL", "STACKD_METRICS_ADDRESS", "STACKD_STATE_DIRECTORY", "NOTIFY_SOCKET", "WATCHDOG_USEC"] {
            environment[key] = nil
        }
        let daemon = try ChildProcess(executable: Self.binary, arguments: ["run", "--config", config], environment: environment)
        daemons.append(daemon)
        guard daemon.stderr.waitFor("stackd is running", timeout: 60) != nil else {
            XCTFail("the daemon did not start:\n\(daemon.stderr.text)")
            throw CancellationError()
        }
        return daemon
    }

    /// The metrics port the daemon chose (from its log).
    func metricsPort(_ daemon: ChildProcess) throws -> UInt16 {
        let line = try XCTUnwrap(daemon.stderr.waitFor("metrics endpoint listening"))
        let range = try XCTUnwrap(line.range(of: #"127\.0\.0\.1:\d+"#, options: .regularExpression))
        return try XCTUnwrap(UInt16(line[range].split(separator: ":").last!))
    }

    /// The value of one sample line of `/metrics` (`name` with its labels, exactly).
    static func metric(port: UInt16, _ sample: String) throws -> Double? {
        let body = try HTTPTestClient.get(port: port, path: "/metrics").body
        for line in body.split(separator: "\n") where line.hasPrefix(sample + " ") {
            return Double(line.dropFirst(sample.count + 1))
        }
        return nil
    }

    /// Polls `/metrics` until `condition` holds for the sample's value (bounded).
    static func waitForMetric(port: UInt16, _ sample: String, timeout: TimeInterval = 30,
                              _ condition: (Double) -> Bool) throws -> Double? {
        let deadline = Date(timeIntervalSinceNow: timeout)
        var last: Double?
        while Date() < deadline {
            last = try metric(port: port, sample)
            if let last, condition(last) { return last }
            usleep(20_000)
        }
        return last
    }

    /// Resident set size of a process, in bytes (from /proc).
    static func residentBytes(_ pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kb = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else { return nil }
        return kb * 1024
    }
}

/// An XPUB that connects to the daemon's input and sends binary predictions and labels.
final class BinaryPublisher {
    let context: ZMQContext
    let socket: ZMQSocket
    private var sequence: UInt64 = 0
    let models: [String]

    init(endpoint: String, models: [String] = ["a", "b"], sendHighWaterMark: Int32 = 0) throws {
        self.models = models
        context = try ZMQContext()
        socket = try ZMQSocket.make(context: context, type: .xpub, settings: ZMQSocketSettings(
            lingerMilliseconds: 2000, sendHighWaterMark: sendHighWaterMark))
        try socket.connect(endpoint)
        guard try socket.waitForSubscriber(timeoutMilliseconds: 20_000) != nil else { throw POSIXError(.ETIMEDOUT) }
    }

    /// Every model's prediction for one event time (a complete row), and optionally its label.
    func row(_ ts: Int64, probabilities: [Double], label: Int? = nil) throws {
        try row(ts, probabilities: models.map { _ in probabilities }, label: label)
    }

    /// One probability vector per model for one event time, and optionally its label.
    func row(_ ts: Int64, probabilities: [[Double]], label: Int? = nil) throws {
        for (m, p) in zip(models, probabilities) {
            sequence += 1
            while !(try socket.send(topic: "pred.SPX.5.\(m)", payload: WireEncoder.binaryPrediction(
                model: m, symbol: "SPX", horizon: 5, eventTime: ts, sequence: sequence, probabilities: p))) {
                usleep(100)
            }
        }
        if let label {
            sequence += 1
            let payload = WireEncoder.binaryLabel(symbol: "SPX", horizon: 5, eventTime: ts, sequence: sequence,
                                                  classIndex: label, classCount: 3, forwardReturn: 0.01, exitTime: ts + 1)
            while !(try socket.send(topic: "label.SPX.5", payload: payload)) { usleep(100) }
        }
    }

    func close() {
        socket.close()
        context.terminate()
    }
}
