import Foundation
import StackdTestSupport
import XCTest

/// Runs `systemd/check-unit.sh`, so the shipped unit cannot regress in syntax or hardening.
final class UnitFileTests: XCTestCase {
    private static let skipExitCode: Int32 = 77
    private static let maxExposure = 1.5

    func testCheckUnitScriptPassesWithinExposureLimit() throws {
        let repository = Repository.root
        let script = repository.appendingPathComponent("systemd/check-unit.sh")
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: script.path), script.path)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script.path]
        var environment = ProcessInfo.processInfo.environment
        environment["MAX_EXPOSURE"] = String(Self.maxExposure)
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        // Read before waiting: a full pipe would otherwise block the script forever.
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)

        if process.terminationStatus == Self.skipExitCode {
            throw XCTSkip("systemd-analyze unavailable: \(text)")
        }
        XCTAssertEqual(process.terminationStatus, 0, text)

        let pattern = try NSRegularExpression(pattern: #"stackd\.service: exposure ([0-9]+(?:\.[0-9]+)?) \(limit"#)
        let range = NSRange(text.startIndex..., in: text)
        let match = try XCTUnwrap(pattern.firstMatch(in: text, range: range), text)
        let score = try XCTUnwrap(Double(text[Range(match.range(at: 1), in: text)!]), text)
        XCTAssertLessThanOrEqual(score, Self.maxExposure, text)
        XCTAssertGreaterThanOrEqual(score, 0)
    }
}
