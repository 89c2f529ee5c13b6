import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Collects a child's stderr on a background thread so it never blocks on a full pipe, and
/// keeps everything it read so later waits still see lines that arrived in one chunk with an
/// earlier match.
package final class OutputCollector: @unchecked Sendable {
    package let pipe = Pipe()
    private let condition = NSCondition()
    private var data = Data()

    package init() {
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let chunk = handle.availableData
            guard let self, !chunk.isEmpty else { return }
            self.condition.lock()
            self.data.append(chunk)
            self.condition.broadcast()
            self.condition.unlock()
        }
    }

    deinit { pipe.fileHandleForReading.readabilityHandler = nil }

    package var text: String {
        condition.lock()
        defer { condition.unlock() }
        return String(decoding: data, as: UTF8.self)
    }

    /// The first line containing `needle`, waiting for it up to `timeout`.
    package func waitFor(_ needle: String, timeout: TimeInterval = 20) -> String? {
        waitFor(timeout: timeout) { $0.contains(needle) }
    }

    /// The first line satisfying `matches`, waiting for it up to `timeout`.
    package func waitFor(timeout: TimeInterval = 20, _ matches: (Substring) -> Bool) -> String? {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while true {
            let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
            if let line = lines.first(where: matches) { return String(line) }
            if !condition.wait(until: deadline) { return nil }
        }
    }
}

/// A child process whose every wait is bounded: a test that fails half-way still kills it, and
/// never waits on it forever (a hung child fails the test instead of hanging the run).
package final class ChildProcess: @unchecked Sendable {
    package let process = Process()
    package let stderr = OutputCollector()
    private let exited = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var hasExited = false

    package init(executable: URL, arguments: [String], environment: [String: String]? = nil) throws {
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardError = stderr.pipe
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        process.terminationHandler = { [exited, lock] _ in
            lock.lock()
            exited.signal()
            lock.unlock()
        }
        try process.run()
    }

    package var processIdentifier: Int32 { process.processIdentifier }

    /// Waits up to `timeout` for the child to exit; false if it is still running.
    package func waitForExit(timeout: TimeInterval = 30) -> Bool {
        lock.lock()
        if hasExited { lock.unlock(); return true }
        lock.unlock()
        guard exited.wait(timeout: .now() + timeout) == .success else { return false }
        lock.lock()
        hasExited = true
        lock.unlock()
        return true
    }

    /// Sends `signal` and waits for the exit; escalates to SIGKILL when `timeout` passes.
    @discardableResult
    package func stop(signal: Int32 = SIGTERM, timeout: TimeInterval = 20) -> Bool {
        if process.isRunning { kill(process.processIdentifier, signal) }
        if waitForExit(timeout: timeout) { return true }
        kill(process.processIdentifier, SIGKILL)
        _ = waitForExit(timeout: 10)
        return false
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// A short-lived child run to completion: stdout and stderr are each read to the end on a thread
/// of their own (a full pipe can never block the child), and the wait is bounded — a child that
/// outlives `timeout` is killed and the result says so, instead of hanging the test run.
package final class CapturedProcess: @unchecked Sendable {
    package struct Finished: Sendable {
        package var status: Int32
        package var stdout: String
        package var stderr: String
        /// The child was still running at the timeout and was killed.
        package var timedOut: Bool
    }

    package let process = Process()
    private let exited = DispatchSemaphore(value: 0)
    private let readersDone = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var out = Data(), err = Data()

    package init(executable: URL, arguments: [String]) throws {
        process.executableURL = executable
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.terminationHandler = { [exited] _ in exited.signal() }
        try process.run()
        for (handle, isOut) in [(stdout.fileHandleForReading, true), (stderr.fileHandleForReading, false)] {
            Thread { [self] in
                let data = handle.readDataToEndOfFile()
                lock.lock()
                if isOut { out = data } else { err = data }
                lock.unlock()
                readersDone.signal()
            }.start()
        }
    }

    /// Waits for the exit (killing the child after `timeout`) and returns what it wrote.
    package func finish(timeout: TimeInterval = 120) -> Finished {
        var timedOut = false
        if exited.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            kill(process.processIdentifier, SIGKILL)
            _ = exited.wait(timeout: .now() + 10)
        }
        // Both pipes close when the child exits (unless it left a grandchild holding them).
        _ = readersDone.wait(timeout: .now() + 10)
        _ = readersDone.wait(timeout: .now() + 10)
        lock.lock()
        defer { lock.unlock() }
        return Finished(status: process.isRunning ? -1 : process.terminationStatus,
                        stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self),
                        timedOut: timedOut)
    }

    /// Runs `executable` with `arguments` to completion.
    package static func run(_ executable: URL, _ arguments: [String], timeout: TimeInterval = 120) throws -> Finished {
        try CapturedProcess(executable: executable, arguments: arguments).finish(timeout: timeout)
    }
}
