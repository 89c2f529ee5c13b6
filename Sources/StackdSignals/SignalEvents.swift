import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Turns SIGHUP into "reload requested", SIGTERM/SIGINT into "stop requested" and SIGUSR1 into
/// "retrain requested"; ignores (and notes) the signals that would otherwise kill the daemon
/// without a drain (``ignoredSignals``, SIGPIPE).
///
/// The ZeroMQ ingest loop blocks in receives on its own thread and cannot run a signal handler's
/// work safely, so signals are only recorded here: the loop polls ``stopRequested`` and
/// ``consumeReloadRequest()`` between receives. That only works if every receive is bounded
/// (`ZMQ_RCVTIMEO` or a `zmq_poll` timeout well under the watchdog interval); a loop that must wake
/// at once can use the `handler` to interrupt it (e.g. `zmq_ctx_shutdown`).
///
/// Delivery uses `DispatchSource` signal sources (a `signalfd` read by libdispatch's manager
/// thread), so nothing runs in signal-handler context and the flags are plain atomics. A signal
/// still at its default action is set to `SIG_IGN` first, so one arriving before the source is
/// registered is dropped instead of killing the process; `init` returns only once the sources are
/// registered (or after ``registrationTimeout``, if libdispatch cannot register them). Repeated SIGHUPs before the loop looks coalesce into one reload, which is what a
/// reload wants.
public final class SignalEvents: @unchecked Sendable {
    /// What a signal asks the daemon to do.
    public enum Request: Sendable, Hashable {
        /// SIGHUP (`systemctl reload`): re-read configuration and models.
        case reload
        /// SIGTERM (`systemctl stop`) or SIGINT (Ctrl-C): drain and exit.
        case stop
        /// SIGUSR1 (`systemctl kill -s USR1 stackd`): retrain every horizon now.
        case retrain
        /// A signal whose default action would end the process without a drain and that means
        /// nothing to stackd (SIGUSR2, SIGALRM, …): noted (``consumeIgnoredSignals()``) and ignored.
        case ignored
    }

    /// Signals caught only to be ignored: each would otherwise terminate the daemon on the spot
    /// (no drain, no journal close). SIGPIPE is ignored outright (``init``): a write to a closed
    /// socket then fails with EPIPE where it happens, which the writer already handles.
    /// SIGQUIT keeps its default (a core dump an operator asks for on purpose).
    public static let ignoredSignals: [Int32] = [SIGUSR2, SIGALRM, SIGVTALRM, SIGIO, SIGPWR, SIGXFSZ, SIGSTKFLT]

    /// Upper bound on how long `init` waits for the sources to be registered.
    public static let registrationTimeout: DispatchTimeInterval = .seconds(5)

    /// Called, on the chosen queue, after the flags are set.
    public typealias Handler = @Sendable (_ request: Request, _ signal: Int32) -> Void

    private let reloadFlag = Atomic<Bool>(false)
    private let retrainFlag = Atomic<Bool>(false)
    private let stopFlag = Atomic<Bool>(false)
    private let lastStop = Atomic<Int32>(0)
    /// Bit n set: signal n was received and ignored since the last ``consumeIgnoredSignals()``.
    private let ignoredMask = Atomic<UInt64>(0)
    // Immutable after init; DispatchSource is internally synchronised. This is why the class can
    // be @unchecked Sendable.
    private let sources: [any DispatchSourceSignal]

    /// Starts watching SIGHUP, SIGTERM, SIGINT, SIGUSR1 and ``ignoredSignals``; ignores SIGPIPE.
    ///
    /// - Parameters:
    ///   - queue: where `handler` runs; `nil` runs it on the internal serial signal queue, so it
    ///     must return quickly. The flags are set before it is called.
    ///   - handler: optional callback for each signal, e.g. to log or to wake a blocked loop.
    public init(queue: DispatchQueue? = nil, handler: Handler? = nil) {
        // A private serial queue for the sources: waiting for registration below cannot deadlock
        // on a caller's queue, and flags are set even if the caller's queue is busy.
        let sourceQueue = DispatchQueue(label: "stackd.signal-events")
        let registered = DispatchGroup()
        Self.ignoreIfDefault(SIGPIPE)
        let watched: [(Int32, Request)] = [(SIGHUP, .reload), (SIGTERM, .stop), (SIGINT, .stop), (SIGUSR1, .retrain)]
            + Self.ignoredSignals.map { ($0, .ignored) }
        var made: [any DispatchSourceSignal] = []
        for (signo, _) in watched {
            Self.ignoreIfDefault(signo)
            made.append(DispatchSource.makeSignalSource(signal: signo, queue: sourceQueue))
        }
        sources = made
        for ((signo, request), source) in zip(watched, sources) {
            registered.enter()
            source.setRegistrationHandler { registered.leave() }
            source.setEventHandler { [weak self] in
                self?.record(request, signal: signo, queue: queue, handler: handler)
            }
            source.resume()
        }
        _ = registered.wait(timeout: .now() + Self.registrationTimeout)
    }

    deinit { cancel() }

    /// Stop was requested (sticky: never cleared, a stop is not taken back).
    public var stopRequested: Bool { stopFlag.load(ordering: .acquiring) }

    /// The signal that requested the stop (SIGTERM or SIGINT), or 0 if none (or ``requestStop()``).
    public var stopSignal: Int32 { lastStop.load(ordering: .acquiring) }

    /// A reload is pending; peek only, see ``consumeReloadRequest()``.
    public var reloadRequested: Bool { reloadFlag.load(ordering: .acquiring) }

    /// Returns whether a reload is pending and clears it, so each SIGHUP (or burst) reloads once.
    public func consumeReloadRequest() -> Bool {
        reloadFlag.exchange(false, ordering: .acquiringAndReleasing)
    }

    /// Returns whether an on-demand retrain (SIGUSR1) is pending and clears it.
    public func consumeRetrainRequest() -> Bool {
        retrainFlag.exchange(false, ordering: .acquiringAndReleasing)
    }

    /// The ignored signals received since the last call (each once, in signal-number order), so
    /// the daemon can log that it saw and ignored them.
    public func consumeIgnoredSignals() -> [Int32] {
        let mask = ignoredMask.exchange(0, ordering: .acquiringAndReleasing)
        return (1..<64).filter { mask & (1 << UInt64($0)) != 0 }.map { Int32($0) }
    }

    /// Requests a stop from inside the process (a fatal error, the end of a demo run), so shutdown
    /// takes the same path as SIGTERM.
    public func requestStop() { stopFlag.store(true, ordering: .releasing) }

    /// Requests a reload from inside the process, as SIGHUP would.
    public func requestReload() { reloadFlag.store(true, ordering: .releasing) }

    /// Stops watching. The signals stay caught-and-dropped afterwards rather than returning to
    /// their default action, so a late SIGTERM cannot kill the process mid-drain.
    public func cancel() {
        for source in sources where !source.isCancelled { source.cancel() }
    }

    private func record(_ request: Request, signal signo: Int32, queue: DispatchQueue?, handler: Handler?) {
        switch request {
        case .reload:
            reloadFlag.store(true, ordering: .releasing)
        case .retrain:
            retrainFlag.store(true, ordering: .releasing)
        case .stop:
            lastStop.store(signo, ordering: .releasing)
            stopFlag.store(true, ordering: .releasing)
        case .ignored:
            if signo > 0 && signo < 64 { ignoredMask.bitwiseOr(1 << UInt64(signo), ordering: .acquiringAndReleasing) }
        }
        guard let handler else { return }
        if let queue { queue.async { handler(request, signo) } } else { handler(request, signo) }
    }

    /// Only a default disposition is replaced: another handler (libdispatch's own, installed for an
    /// earlier instance, and which it never reinstalls) must be kept or delivery breaks.
    private static func ignoreIfDefault(_ signo: Int32) {
        var current = sigaction()
        guard sigaction(signo, nil, &current) == 0 else { return }
        if current.__sigaction_handler.sa_handler == nil {  // SIG_DFL is the null handler.
            signal(signo, SIG_IGN)
        }
    }
}
