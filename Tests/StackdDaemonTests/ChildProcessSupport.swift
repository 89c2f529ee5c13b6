import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Collects a child's stderr on a background thread so it never blocks on a full pipe, and
/// keeps everything it read so later waits still see lines that arrived in one chunk with an
/// earlier match.
final class OutputCollector: @unchecked Sendable {
    let pipe = Pipe()
    private let condition = NSCondition()
    private var data = Data()

    init() {
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

    var text: String {
        condition.lock()
        defer { condition.unlock() }
        return String(decoding: data, as: UTF8.self)
    }

    /// The first line containing `needle`, waiting for it up to `timeout`.
    func waitFor(_ needle: String, timeout: TimeInterval = 20) -> String? {
        waitFor(timeout: timeout) { $0.contains(needle) }
    }

    /// The first line satisfying `matches`, waiting for it up to `timeout`.
    func waitFor(timeout: TimeInterval = 20, _ matches: (Substring) -> Bool) -> String? {
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
final class ChildProcess: @unchecked Sendable {
    let process = Process()
    let stderr = OutputCollector()
    private let exited = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var hasExited = false

    init(executable: URL, arguments: [String], environment: [String: String]? = nil) throws {
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

    var processIdentifier: Int32 { process.processIdentifier }

    /// Waits up to `timeout` for the child to exit; false if it is still running.
    func waitForExit(timeout: TimeInterval = 30) -> Bool {
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
    func stop(signal: Int32 = SIGTERM, timeout: TimeInterval = 20) -> Bool {
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
