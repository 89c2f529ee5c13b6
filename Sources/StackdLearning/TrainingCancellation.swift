import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Lets a fit in progress end early when the daemon stops.
///
/// Why: a process that exits while a thread is still inside OpenBLAS or libxgboost can crash in
/// their exit-time destructors, so shutdown must wait for the training thread; a flag checked
/// between L-BFGS iterations and boosting rounds keeps that wait short. The token is made
/// current for one thread (``withCurrent(_:)``) so the solvers can check it without every fit
/// signature carrying it; a thread with no current token is never cancelled.
public final class TrainingCancellation: Sendable {
    private let flag = Atomic<Bool>(false)

    public init() {}

    /// Asks every fit running under this token to stop at its next check.
    public func cancel() { flag.store(true, ordering: .releasing) }

    public var isCancelled: Bool { flag.load(ordering: .acquiring) }

    /// Runs `body` with this token current on the calling thread.
    public func withCurrent<T>(_ body: () throws -> T) rethrows -> T {
        let previous = pthread_getspecific(Self.key)
        pthread_setspecific(Self.key, Unmanaged.passUnretained(self).toOpaque())
        defer { pthread_setspecific(Self.key, previous) }
        return try body()
    }

    /// Whether the calling thread's current token (if any) was cancelled; checked once per
    /// solver iteration (one thread-local read and one atomic load).
    public static var isCurrentCancelled: Bool {
        guard let raw = pthread_getspecific(key) else { return false }
        return Unmanaged<TrainingCancellation>.fromOpaque(raw).takeUnretainedValue().isCancelled
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()
}
