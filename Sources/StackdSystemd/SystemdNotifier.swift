import CSystemd
import StackdClock

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The daemon's side of the `sd_notify` protocol (`Type=notify`, `WatchdogSec=`).
///
/// The environment is read once, at init: outside systemd (`NOTIFY_SOCKET` unset) every call is a
/// cheap no-op returning `false`, so the daemon runs unchanged from a shell or a test. The value is
/// immutable and `Sendable`; `sd_notify` opens its own socket per call, so concurrent use is safe.
/// Sending is best effort: a failure is reported by the return value, never thrown, because the
/// daemon must keep running if the supervisor goes away.
public struct SystemdNotifier: Sendable {
    /// Whether `NOTIFY_SOCKET` was set when this notifier was made.
    public let isEnabled: Bool
    /// The full `WATCHDOG_USEC` timeout when the watchdog is on for this process, else `nil`.
    public let watchdogTimeoutMicroseconds: UInt64?

    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` from the process environment.
    public init() {
        isEnabled = getenv("NOTIFY_SOCKET").map { $0.pointee != 0 } ?? false
        var usec: UInt64 = 0
        // > 0: enabled for this PID; 0: not requested; < 0: malformed or zero WATCHDOG_USEC.
        watchdogTimeoutMicroseconds = sd_watchdog_enabled(0, &usec) > 0 && usec > 0 ? usec : nil
    }

    /// How often to ping: half of `WATCHDOG_USEC`, the margin `sd_watchdog_enabled(3)`
    /// recommends; `nil` when the watchdog is disabled.
    public var watchdogInterval: Duration? {
        watchdogTimeoutMicroseconds.map { .microseconds(Int64(clamping: $0 / 2)) }
    }

    /// A pacer for ``watchdogInterval``; it never fires when the watchdog is disabled.
    public func makeWatchdogPacer() -> WatchdogPacer {
        WatchdogPacer(intervalNanoseconds: watchdogTimeoutMicroseconds.map { ($0 / 2) &* 1_000 })
    }

    /// Sends one message. Returns `true` when it reached the notify socket.
    @discardableResult
    public func send(_ message: NotifyMessage) -> Bool {
        guard isEnabled else { return false }
        return message.payload.withCString { sd_notify(0, $0) } > 0
    }

    /// `READY=1`: call once sockets are connected and models loaded, and again after a reload.
    @discardableResult public func ready() -> Bool { send(.ready) }

    /// `RELOADING=1` with the current `MONOTONIC_USEC=`; follow with ``ready()`` when done.
    @discardableResult public func reloading() -> Bool {
        send(.reloading(monotonicMicroseconds: MonotonicClock.microseconds()))
    }

    /// `STOPPING=1`: call as soon as a stop is requested, before draining.
    @discardableResult public func stopping() -> Bool { send(.stopping) }

    /// `STATUS=…`, newlines replaced by spaces so the text cannot inject assignments.
    @discardableResult public func status(_ text: String) -> Bool { send(.status(text)) }

    /// `WATCHDOG=1`; pace it with ``makeWatchdogPacer()``.
    @discardableResult public func watchdog() -> Bool { send(.watchdog) }

    /// `EXTEND_TIMEOUT_USEC=…`: more time for a slow start (large model load) or drain.
    @discardableResult public func extendTimeout(usec: UInt64) -> Bool {
        send(.extendTimeout(microseconds: usec))
    }

    /// `MAINPID=…`: only needed if the supervised process is not the one systemd started.
    @discardableResult public func mainPID(_ pid: Int32 = getpid()) -> Bool { send(.mainPID(pid)) }
}
