import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// A test case that starts real `stackd` processes: each test gets its own temporary directory,
/// and every daemon it registered in `daemons` is killed (SIGKILL) and the directory removed after
/// the test, whatever the test did — so a failing test never leaves a process or files behind.
open class DaemonProcessTestCase: XCTestCase {
    /// This test's directory (under the system's temporary directory), created in `setUp`.
    package var temporary: URL!
    /// Daemons started by the test: killed in `tearDown`.
    package var daemons: [ChildProcess] = []

    /// The start of the temporary directory's name, e.g. `stackd-crash`.
    open var temporaryPrefix: String { "stackd-test" }

    override open func setUpWithError() throws {
        try super.setUpWithError()
        temporary = FileManager.default.temporaryDirectory.appendingPathComponent("\(temporaryPrefix)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
    }

    /// Starts `binary run --config config` (registered in `daemons`), waits (bounded) until it is
    /// running, and returns it with the metrics port it chose (`[metrics] address = "127.0.0.1:0"`),
    /// read from its log.
    package func startDaemon(config: URL, binary: URL = Repository.stackdBinary,
                             file: StaticString = #filePath, line: UInt = #line) throws -> (daemon: ChildProcess, metricsPort: UInt16) {
        let daemon = try ChildProcess(executable: binary, arguments: ["run", "--config", config.path])
        daemons.append(daemon)
        XCTAssertNotNil(daemon.stderr.waitFor("stackd is running", timeout: 30), daemon.stderr.text, file: file, line: line)
        let listening = try XCTUnwrap(daemon.stderr.waitFor("metrics endpoint listening"), daemon.stderr.text, file: file, line: line)
        let port = try XCTUnwrap(listening.range(of: #"address=127\.0\.0\.1:(\d+)"#, options: .regularExpression)
            .flatMap { UInt16(listening[$0].split(separator: ":").last ?? "") }, listening, file: file, line: line)
        return (daemon, port)
    }

    override open func tearDownWithError() throws {
        for daemon in daemons { daemon.stop(signal: SIGKILL, timeout: 10) }
        daemons.removeAll()
        if let temporary { try? FileManager.default.removeItem(at: temporary) }
        try super.tearDownWithError()
    }
}
