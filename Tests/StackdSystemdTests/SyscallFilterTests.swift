import Foundation
import StackdTestSupport
import XCTest

/// Runs `systemd/check-syscalls.sh`: every system call stackd makes must pass the unit's
/// `SystemCallFilter=` as systemd's own tables expand it. A denied call returns EPERM under the
/// unit, and libzmq aborts on one of them (`sched_setscheduler`), so this is a start-up check.
final class SyscallFilterTests: XCTestCase {
    private static let skipExitCode: Int32 = 77
    static let repository = Repository.root
    static let script = repository.appendingPathComponent("systemd/check-syscalls.sh")

    func run(_ arguments: [String], unit: URL? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [Self.script.path] + arguments
        var environment = ProcessInfo.processInfo.environment
        if let unit { environment["UNIT"] = unit.path }
        environment["OPENBLAS_NUM_THREADS"] = "1"
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()   // before waiting: a full pipe would block
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        if process.terminationStatus == Self.skipExitCode { throw XCTSkip(text) }
        return (process.terminationStatus, text)
    }

    func testEveryRecordedSyscallIsAllowedByTheUnit() throws {
        let (status, output) = try run([])
        XCTAssertEqual(status, 0, output)
        XCTAssertTrue(output.contains("all allowed"), output)
    }

    /// The unit as it was before `sched_setscheduler` and `setpriority` were allowed back: the
    /// check names exactly those two (and so can fail).
    func testWithoutTheReallowLineTheCheckNamesWhatLibzmqAndTrainingNeed() throws {
        let unit = try String(contentsOf: Self.repository.appendingPathComponent("systemd/stackd.service"), encoding: .utf8)
        let line = "SystemCallFilter=sched_setscheduler setpriority\n"
        XCTAssertTrue(unit.contains(line), "the unit allows both calls back")
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("stackd-\(UUID().uuidString.prefix(8)).service")
        try unit.replacingOccurrences(of: line, with: "").write(to: copy, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: copy) }
        let (status, output) = try run([], unit: copy)
        XCTAssertEqual(status, 1, output)
        let denied = output.split(separator: "\n").filter { $0.hasPrefix("  ") }.map { $0.trimmingCharacters(in: .whitespaces) }
        XCTAssertEqual(denied, ["sched_setscheduler", "setpriority"], output)
    }

    /// The calls of a live run (ZeroMQ publisher, daemon with its training thread, consumer),
    /// traced with strace, all pass the filter.
    func testLiveDemoSyscallsAreAllowed() throws {
        let binary = Repository.stackdBinary
        guard FileManager.default.isExecutableFile(atPath: binary.path) else { throw XCTSkip("\(binary.path) not built") }
        let (status, output) = try run(["--trace", binary.path, "demo", "--seconds", "1", "--rate", "1000", "--built-in"])
        XCTAssertEqual(status, 0, output)
    }
}
