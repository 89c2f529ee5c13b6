import StackdSignals
import Synchronization

/// What the daemon's control loop asks of its signals, so the loop can run in-process under a
/// test with requests made by hand (``ManualSignalSource``) exactly as with real signals
/// (``SignalEvents``).
package protocol DaemonSignalSource: AnyObject, Sendable {
    /// A stop was requested (sticky).
    var stopRequested: Bool { get }
    /// The signal that requested the stop, 0 if none or requested in-process.
    var stopSignal: Int32 { get }
    /// Whether a reload is pending; clears it.
    func consumeReloadRequest() -> Bool
    /// Whether an on-demand retrain is pending; clears it.
    func consumeRetrainRequest() -> Bool
    /// Signals received and ignored since the last call.
    func consumeIgnoredSignals() -> [Int32]
}

extension SignalEvents: DaemonSignalSource {}

/// A signal source driven by calls: for tests and for embedding the daemon in another process.
package final class ManualSignalSource: DaemonSignalSource {
    private let stop = Atomic<Bool>(false)
    private let reload = Atomic<Bool>(false)
    private let retrain = Atomic<Bool>(false)

    package init() {}

    package var stopRequested: Bool { stop.load(ordering: .acquiring) }
    package var stopSignal: Int32 { 0 }
    package func consumeReloadRequest() -> Bool { reload.exchange(false, ordering: .acquiringAndReleasing) }
    package func consumeRetrainRequest() -> Bool { retrain.exchange(false, ordering: .acquiringAndReleasing) }
    package func consumeIgnoredSignals() -> [Int32] { [] }

    /// As SIGTERM.
    package func requestStop() { stop.store(true, ordering: .releasing) }
    /// As SIGHUP.
    package func requestReload() { reload.store(true, ordering: .releasing) }
    /// As SIGUSR1.
    func requestRetrain() { retrain.store(true, ordering: .releasing) }
}
