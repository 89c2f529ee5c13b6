import Synchronization

/// Whether the daemon should be reported ready (`/readyz`): set after startup, cleared while
/// reloading and once stopping. Thread-safe; read by the metrics thread.
package final class ReadinessFlag: Sendable {
    private let value = Atomic<Bool>(false)

    package init(_ ready: Bool = false) { value.store(ready, ordering: .releasing) }

    package var isReady: Bool {
        get { value.load(ordering: .acquiring) }
        set { value.store(newValue, ordering: .releasing) }
    }
}
