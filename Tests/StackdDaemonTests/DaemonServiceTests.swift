import Foundation
import Logging
import StackdDaemon
import StackdSystemd
import StackdZMQ
import XCTest

/// `DaemonService` in-process with requests made by hand instead of signals: ready, a reload
/// that applies, a reload that is refused, a stop; and a start-up refusal as a typed error.
final class DaemonServiceTests: XCTestCase {
    var harness: OperatorHarness!

    override func setUpWithError() throws { harness = try OperatorHarness() }
    override func tearDown() { harness.cleanUp() }

    func makeService(config: String, signals: ManualSignalSource, levels: LogLevelControl) throws -> DaemonService {
        let configuration = try ConfigurationLoader.load(path: config)
        let logger = Logger(label: "stackd-test") { label in
            var base = StreamLogHandler.standardError(label: label)
            base.logLevel = .trace
            return ControlledLogHandler(base: base, control: levels)
        }
        return DaemonService(configurationPath: config, configuration: configuration, stopTimeout: 10, version: "test",
                             logger: logger, levels: levels, notifier: SystemdNotifier(), signals: signals)
    }

    func testReloadAppliesOrIsRefusedAndStopEndsTheRun() throws {
        let config = try harness.writeConfiguration()
        let signals = ManualSignalSource()
        let levels = LogLevelControl(.info)
        let service = try makeService(config: config, signals: signals, levels: levels)
        let finished = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var outcome: DaemonService.Outcome?
        nonisolated(unsafe) var failure: (any Error)?
        let thread = Thread {
            do { outcome = try service.run() } catch { failure = error }
            finished.signal()
        }
        thread.start()
        defer { if outcome == nil { signals.requestStop(); _ = finished.wait(timeout: .now() + 20) } }
        XCTAssertTrue(service.waitUntilReady(timeout: 30), "ready")
        XCTAssertTrue(service.readiness.isReady)

        let original = try String(contentsOfFile: config, encoding: .utf8)
        // A changed log level applies at once.
        try String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(of: "level = \"info\"", with: "level = \"debug\"")
            .write(toFile: config, atomically: true, encoding: .utf8)
        signals.requestReload()
        XCTAssertTrue(service.waitForReloads(1, timeout: 20))
        XCTAssertEqual(service.current.logLevel, .debug)
        XCTAssertEqual(levels.level, .debug)

        // A broken file is refused: the running configuration stays.
        try "[models]\nnames = 3\n".write(toFile: config, atomically: true, encoding: .utf8)
        signals.requestReload()
        XCTAssertTrue(service.waitForReloads(2, timeout: 20))
        XCTAssertEqual(service.current.logLevel, .debug)
        XCTAssertTrue(service.waitUntilReady(timeout: 20), "ready again after a refused reload")

        // A valid file whose models differ cannot apply to a running daemon (its window and models
        // are laid out for the old ones): the whole reload is refused, even its log-level change.
        let running = service.current
        let renamed = original.replacingOccurrences(of: "level = \"info\"", with: "level = \"error\"")
            .replacingOccurrences(of: running.pipeline.models[0], with: running.pipeline.models[0] + "x")
        XCTAssertNotEqual(renamed, original)
        try renamed.write(toFile: config, atomically: true, encoding: .utf8)
        signals.requestReload()
        XCTAssertTrue(service.waitForReloads(3, timeout: 20))
        XCTAssertEqual(service.current, running, "a refused reload keeps the running configuration whole")
        XCTAssertEqual(levels.level, .debug)

        signals.requestStop()
        XCTAssertEqual(finished.wait(timeout: .now() + 20), .success, "the run ends on a stop request")
        XCTAssertNil(failure)
        XCTAssertEqual(outcome, .stopped)
        XCTAssertEqual(outcome?.exitCode, 0)
        XCTAssertFalse(service.readiness.isReady)
        XCTAssertEqual(service.runner?.snapshot().running, false)
    }

    /// What the configuration check cannot see without binding (a port another process holds)
    /// surfaces at start as a typed error naming the key, the endpoint and the cause.
    func testUnbindableEndpointIsAStartupErrorNamingTheKey() throws {
        let context = try ZMQContext()
        let holder = try ZMQSocket(context: context, type: .pull)
        defer { holder.close(); context.terminate() }
        try holder.bind("tcp://127.0.0.1:*")
        let taken = try holder.lastEndpoint
        let config = try harness.writeConfiguration(input: taken)
        let service = try makeService(config: config, signals: ManualSignalSource(), levels: LogLevelControl(.info))
        XCTAssertThrowsError(try service.run()) { error in
            let startup = error as? StartupError
            XCTAssertEqual(startup?.exitCode, 78)
            XCTAssertEqual(startup?.message.hasPrefix("input.bind: cannot bind \(taken): "), true, "\(error)")
            XCTAssertEqual(startup?.message.contains("Address already in use"), true, "\(error)")
        }
    }
}
