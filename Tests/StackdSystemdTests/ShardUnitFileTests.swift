import Foundation
import XCTest

/// The units of a sharded deployment (`systemd/stackd@.service`, `systemd/stackd-proxy.service`):
/// they keep `stackd.service`'s hardening line for line, give every shard instance its own
/// directories, pass `systemd-analyze verify`, and score no worse offline than the 1.5 limit of
/// `check-unit.sh`.
final class ShardUnitFileTests: XCTestCase {
    static let maxExposure = 1.5
    let systemd = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("systemd")

    func unit(_ name: String) throws -> String {
        try String(contentsOf: systemd.appendingPathComponent(name), encoding: .utf8)
    }

    /// Everything from the filesystem section on: the hardening the issue says to keep.
    func hardening(_ text: String) throws -> Substring {
        let start = try XCTUnwrap(text.range(of: "# --- Filesystem"))
        return text[start.lowerBound...]
    }

    func testShardAndProxyUnitsKeepTheHardeningOfStackdService() throws {
        let reference = try hardening(try unit("stackd.service"))
        XCTAssertEqual(try hardening(try unit("stackd@.service")), reference)
        XCTAssertEqual(try hardening(try unit("stackd-proxy.service")), reference)
    }

    func testEachShardInstanceHasItsOwnConfigurationAndDirectories() throws {
        let lines = Set(try unit("stackd@.service").split(separator: "\n").map(String.init))
        for expected in [
            "ExecStart=/usr/local/bin/stackd run --config /etc/stackd/shard-%i.toml",
            "StateDirectory=stackd-shard-%i", "RuntimeDirectory=stackd-shard-%i", "LogsDirectory=stackd-shard-%i",
            "Environment=STACKD_STATE_DIRECTORY=/var/lib/stackd-shard-%i", "Type=notify", "WatchdogSec=10",
        ] {
            XCTAssertTrue(lines.contains(expected), expected)
        }
        let proxy = Set(try unit("stackd-proxy.service").split(separator: "\n").map(String.init))
        XCTAssertTrue(proxy.contains("ExecStart=/usr/local/bin/stackd proxy $STACKD_PROXY_ARGS"))
        XCTAssertTrue(proxy.contains("Type=notify"))
        XCTAssertFalse(proxy.contains { $0.hasPrefix("WatchdogSec=") }, "zmq_proxy cannot ping a watchdog")
    }

    func testUnitsVerifyAndScoreWithinTheExposureLimit() throws {
        guard let analyze = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].first(where: {
            FileManager.default.isExecutableFile(atPath: $0)
        }) else { throw XCTSkip("systemd-analyze unavailable") }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("shard-units-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        // As check-unit.sh does: the binary is not installed here, so ExecStart runs /bin/true.
        for (source, instance) in [("stackd@.service", "stackd@0.service"), ("stackd-proxy.service", "stackd-proxy.service")] {
            let text = try unit(source).replacingOccurrences(of: "ExecStart=/usr/local/bin/stackd ", with: "ExecStart=/bin/true ")
            try text.write(to: work.appendingPathComponent(source), atomically: true, encoding: .utf8)
            if source != instance { try text.write(to: work.appendingPathComponent(instance), atomically: true, encoding: .utf8) }
            let path = work.appendingPathComponent(instance).path

            let verify = try run(analyze, ["verify", "--man=no", path], in: work)
            XCTAssertEqual(verify.status, 0, verify.output)
            XCTAssertFalse(verify.output.contains("stackd"), verify.output)

            let security = try run(analyze, ["security", "--offline=yes", "--no-pager", path], in: work)
            XCTAssertEqual(security.status, 0, security.output)
            let pattern = try NSRegularExpression(pattern: #"Overall exposure level for [^:]+: ([0-9]+(?:\.[0-9]+)?)"#)
            let report = security.output
            let match = try XCTUnwrap(pattern.firstMatch(in: report, range: NSRange(report.startIndex..., in: report)), report)
            let range = try XCTUnwrap(Range(match.range(at: 1), in: report))
            let score = try XCTUnwrap(Double(report[range]))
            XCTAssertLessThanOrEqual(score, Self.maxExposure, "\(instance): \(report)")
        }
    }

    private func run(_ executable: String, _ arguments: [String], in directory: URL) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()   // before waiting: a full pipe blocks
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
