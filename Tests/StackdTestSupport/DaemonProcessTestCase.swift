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

    override open func tearDownWithError() throws {
        for daemon in daemons { daemon.stop(signal: SIGKILL, timeout: 10) }
        daemons.removeAll()
        if let temporary { try? FileManager.default.removeItem(at: temporary) }
        try super.tearDownWithError()
    }
}
