import Foundation
import Logging
@testable import StackdDaemon
import XCTest

/// Reload (SIGHUP) names every changed key by its class: a change to any key is reported,
/// never "no changes" (`[monitoring]`, `[features]`, `[record]`, `state.flush*` and `state.sync`
/// once were), and a change to models, classes, horizons or the state directory refuses the
/// whole reload.
final class ConfigurationReloadTests: XCTestCase {
    static let base: [(String, [(String, String)])] = [
        ("models", [("names", "[\"a\", \"b\"]")]),
        ("stream", [("horizons", "[5]")]),
        ("input", [("bind", "[\"tcp://127.0.0.1:1\"]")]),
        ("output", [("bind", "[\"tcp://127.0.0.1:2\"]")]),
    ]

    static func text(_ extra: [(String, String, String)]) -> String {
        var sections = base
        for (section, key, value) in extra {
            if let i = sections.firstIndex(where: { $0.0 == section }) {
                sections[i].1.removeAll { $0.0 == key }
                sections[i].1.append((key, value))
            } else {
                sections.append((section, [(key, value)]))
            }
        }
        return sections.map { s in "[\(s.0)]\n" + s.1.map { "\($0.0) = \($0.1)\n" }.joined() }.joined()
    }

    /// A valid value for `key` other than its default, with whatever other keys it needs.
    static func change(_ key: ConfigurationKey) -> [(String, String, String)] {
        let s = key.section, k = key.name
        switch key.path {
        case "models.names": return [(s, k, "[\"a\", \"c\"]")]
        case "stream.horizons": return [(s, k, "[5, 10]")]
        case "security.curve":
            return [(s, k, "true"), (s, "secret_key_file", "\"/k/s\""), (s, "client_keys_directory", "\"/k/c\"")]
        case "input.bind", "input.connect", "output.bind", "output.connect":
            return [(s, k, "[\"ipc:///tmp/stackd-reload-\(s)-\(k)\"]")]
        default: break
        }
        switch key.type {
        case .integer(let r):
            guard case .integer(let d) = key.defaultValue else { return [] }
            return [(s, k, "\(d < r.upperBound ? d + 1 : d - 1)")]
        case .number(let r), .duration(let r, _):
            guard case .number(let d) = key.defaultValue else { return [] }
            return [(s, k, "\(d == r.upperBound ? r.lowerBound : (d + r.upperBound) / 2)")]
        case .boolean:
            guard case .boolean(let d) = key.defaultValue else { return [] }
            return [(s, k, "\(!d)")]
        case .choice(let words):
            guard case .string(let d) = key.defaultValue, let other = words.first(where: { $0 != d && $0 != "all" }) else { return [] }
            return [(s, k, "\"\(other)\"")]
        case .string: return [(s, k, "\"\(key.path == "metrics.address" ? "127.0.0.1:9999" : "/tmp/stackd-reload")\"")]
        case .strings: return [(s, k, key.path == "learner.challengers" ? "[\"mlp\"]" : "[\"X\"]")]
        case .integers: return [(s, k, "[1]")]
        }
    }

    func testEveryKeyChangeIsReportedInItsClass() throws {
        let current = try ConfigurationLoader.parse(Self.text([]), source: "c.toml")
        for key in ConfigurationKeys.all {
            let new = try ConfigurationLoader.parse(Self.text(Self.change(key)), source: "n.toml")
            let plan = ConfigurationReload.plan(current: current, new: new)
            let also = key.path == "security.curve" ? ["security.secret_key_file", "security.client_keys_directory"] : []
            switch key.reload {
            case .live:
                XCTAssertEqual(plan.applied.map { $0.components(separatedBy: ":").first ?? "" }, [key.path])
                XCTAssertEqual(plan.needRestart, [], key.path)
                XCTAssertEqual(plan.refused, [], key.path)
                XCTAssertEqual(plan.effective, new, key.path)
            case .restart:
                XCTAssertEqual(Set(plan.needRestart), Set([key.path] + also), key.path)
                XCTAssertEqual(plan.applied, [], key.path)
                XCTAssertEqual(plan.refused, [], key.path)
                XCTAssertEqual(plan.effective, current, key.path)
            case .refused:
                XCTAssertEqual(plan.refused, [key.path])
                XCTAssertTrue(plan.isRefused)
                XCTAssertEqual(plan.effective, current, key.path)
            }
        }
    }

    func testTheKeysOnceMissedAreNamed() throws {
        let current = try ConfigurationLoader.parse(Self.text([]), source: "c.toml")
        let new = try ConfigurationLoader.parse(Self.text([
            ("monitoring", "enabled", "false"), ("features", "skill_window", "50"), ("record", "compress", "false"),
            ("state", "flush", "\"interval\""), ("state", "flush_interval_ms", "20"), ("state", "sync", "\"every_flush\""),
        ]), source: "n.toml")
        let plan = ConfigurationReload.plan(current: current, new: new)
        XCTAssertEqual(plan.needRestart, ["features.skill_window", "state.flush", "state.flush_interval_ms", "state.sync",
                                          "record.compress", "monitoring.enabled"])
        XCTAssertEqual(plan.applied, [])
    }

    func testARefusedKeyKeepsEvenTheLiveChangesOut() throws {
        let current = try ConfigurationLoader.parse(Self.text([]), source: "c.toml")
        let new = try ConfigurationLoader.parse(Self.text([("log", "level", "\"debug\""), ("stream", "horizons", "[5, 10]")]), source: "n.toml")
        let plan = ConfigurationReload.plan(current: current, new: new)
        XCTAssertEqual(plan.refused, ["stream.horizons"])
        XCTAssertEqual(plan.applied, [])
        XCTAssertEqual(plan.effective.logLevel, .info)
        XCTAssertEqual(plan.effective, current)
    }

    func testLiveChangesApplyAndAreWrittenOldToNew() throws {
        let current = try ConfigurationLoader.parse(Self.text([]), source: "c.toml")
        let new = try ConfigurationLoader.parse(Self.text([("log", "level", "\"debug\""), ("log", "rejects_per_second", "9"),
                                                           ("assembly", "deadline_ms", "20")]), source: "n.toml")
        let plan = ConfigurationReload.plan(current: current, new: new)
        XCTAssertEqual(plan.applied, ["log.level: info -> debug", "log.rejects_per_second: 5 -> 9"])
        XCTAssertEqual(plan.needRestart, ["assembly.deadline_ms"])
        XCTAssertEqual(plan.effective.logLevel, .debug)
        XCTAssertEqual(plan.effective.rejectLogPerSecond, 9)
        XCTAssertEqual(plan.effective.pipeline.deadlineNanoseconds, 50_000_000)
    }
}

/// The real binary: a SIGHUP that changes the horizons is refused and logged, the running
/// configuration kept (a later live change still applies).
final class ConfigurationReloadProcessTests: XCTestCase {
    var directory: URL!
    var child: ChildProcess?

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("stackd-reload-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        child?.stop(signal: SIGKILL, timeout: 10)
        try? FileManager.default.removeItem(at: directory)
    }

    func testARefusedReloadIsLoggedAndKeepsTheRunningConfiguration() throws {
        let binary = ConfigurationReferenceTests.repository.appendingPathComponent(".build/debug/stackd")
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: binary.path), "build first: swift build --build-tests")
        let path = directory.appendingPathComponent("c.toml").path
        func write(_ extra: [(String, String, String)]) throws {
            try ConfigurationReloadTests.text(extra + [
                ("input", "bind", "[\"ipc://\(directory.path)/in.sock\"]"), ("output", "bind", "[\"ipc://\(directory.path)/out.sock\"]"),
                ("metrics", "address", "\"127.0.0.1:0\""),
            ]).write(toFile: path, atomically: true, encoding: .utf8)
        }
        try write([])
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("STACKD_") && $0.key != "NOTIFY_SOCKET" }
        environment["OPENBLAS_NUM_THREADS"] = "1"
        let child = try ChildProcess(executable: binary, arguments: ["run", "--config", path], environment: environment)
        self.child = child
        XCTAssertNotNil(child.stderr.waitFor("metrics endpoint listening"), child.stderr.text)

        try write([("stream", "horizons", "[5, 10]"), ("log", "level", "\"debug\"")])
        kill(child.processIdentifier, SIGHUP)
        let refused = try XCTUnwrap(child.stderr.waitFor("reload refused"), child.stderr.text)
        XCTAssertTrue(refused.contains("stream.horizons"), refused)

        try write([("log", "rejects_per_second", "7")])
        kill(child.processIdentifier, SIGHUP)
        XCTAssertNotNil(child.stderr.waitFor("log.rejects_per_second: 5 -> 7"), child.stderr.text)
        XCTAssertFalse(child.stderr.text.contains("log.level: info -> debug"), "nothing of a refused reload applies")
        XCTAssertTrue(child.stop(signal: SIGTERM, timeout: 20))
    }
}
