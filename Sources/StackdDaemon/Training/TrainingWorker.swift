import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import StackdCore
import StackdLearning
import StackdClock
import StackdTraining

/// Runs retrains on their own thread so that ingest never waits for training.
///
/// Requests are coalesced per horizon (a newer request replaces a queued older one: its window
/// is a superset). Results wait in an outbox the ingest thread drains between events, so a new
/// model is handed to the pipeline on the ingest thread, never swapped under it.
package final class TrainingWorker: @unchecked Sendable {
    private let train: TrainingFunction
    private let logger: Logger
    /// Where promoted models (and fallbacks) are persisted, on this thread: the fsyncs stay off
    /// the ingest thread.
    private let modelStore: ModelStore?
    private let condition = NSCondition()
    private var queue: [TrainingRequest] = []
    private var outbox: [TrainingResult] = []
    private var stopping = false
    private var busy = false
    private var thread: Thread?
    /// Set once the training thread has returned from its loop: nothing of this worker runs
    /// inside OpenBLAS or libxgboost any more.
    private var exited = false
    /// Retrains finished so far. Only a count: a finished result (with its trained model) leaves
    /// this worker through ``takeResults()`` and is not kept here.
    package private(set) var completedCount = 0

    package init(logger: Logger, modelStore: ModelStore? = nil, train: @escaping TrainingFunction) {
        self.logger = logger
        self.modelStore = modelStore
        self.train = train
    }

    package func start() {
        condition.lock()
        exited = false
        condition.unlock()
        let t = Thread { [self] in self.loop() }
        t.name = "stackd-training"
        thread = t
        t.start()
    }

    /// Queues a request (called on the ingest thread: O(queue) with a short lock, no training).
    package func submit(_ request: TrainingRequest) {
        condition.lock()
        queue.removeAll { $0.horizonIndex == request.horizonIndex }
        queue.append(request)
        condition.signal()
        condition.unlock()
    }

    /// Results finished since the last call (ingest thread).
    package func takeResults() -> [TrainingResult] {
        condition.lock()
        defer { condition.unlock() }
        guard !outbox.isEmpty else { return [] }
        let out = outbox
        outbox.removeAll(keepingCapacity: true)
        return out
    }

    /// True while a request is queued or training.
    package var isIdle: Bool {
        condition.lock()
        defer { condition.unlock() }
        return queue.isEmpty && !busy
    }

    /// Waits until idle; false on timeout. For tests and graceful stop.
    package func waitUntilIdle(timeout: TimeInterval) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while !(queue.isEmpty && !busy) {
            if !condition.wait(until: deadline) { return queue.isEmpty && !busy }
        }
        return true
    }

    /// Asks the training thread to finish: queued requests are dropped and the fit in progress
    /// ends at its next cancellation point (an L-BFGS iteration or a boosting round) without a
    /// result. Does not wait; see ``join(timeout:)``.
    package func stop() {
        condition.lock()
        stopping = true
        queue.removeAll()
        condition.broadcast()
        condition.unlock()
        cancellation.cancel()
    }

    /// Stops the worker and waits until its thread has left its loop. Why: a process that exits
    /// while a thread is still inside OpenBLAS or libxgboost can crash in their global
    /// destructors, after everything else stopped cleanly. False if the thread was still
    /// training after `timeout` seconds (then the caller must not run exit-time destructors).
    @discardableResult
    package func join(timeout: TimeInterval) -> Bool {
        stop()
        let deadline = Date(timeIntervalSinceNow: max(0, min(timeout, 1e9)))
        condition.lock()
        defer { condition.unlock() }
        guard thread != nil else { return true }
        while !exited {
            if !condition.wait(until: deadline) { return exited }
        }
        return true
    }

    /// What the fit in progress checks between iterations to end early at ``stop()``.
    package let cancellation = TrainingCancellation()

    private func loop() {
        // Training yields to ingest: on a 2-core machine a fit competes with the ingest thread and
        // libzmq's I/O threads (bench/RESULTS.md, retrain latency). Linux applies nice per thread.
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)   // who = 0: this thread on Linux
        while true {
            condition.lock()
            while queue.isEmpty && !stopping { condition.wait() }
            if stopping {
                exited = true
                condition.broadcast()
                condition.unlock()
                return
            }
            var next: TrainingRequest? = queue.removeFirst()
            busy = true
            condition.unlock()
            // The request (its window snapshot) and the result leave this thread's hands inside
            // `process`: once idle, the worker holds neither, so the window's spare columns are
            // free again and a finished model lives only where it was installed.
            if let request = next.take() { process(request) }
            condition.lock()
            busy = false
            condition.broadcast()
            condition.unlock()
        }
    }

    /// Trains one request, persists what it installs and puts the result in the outbox.
    private func process(_ request: consuming TrainingRequest) {
        logger.info("retrain started", metadata: ["horizon": "\(request.horizon)", "rows": "\(request.rows.count)"])
        let start = MonotonicClock.nanoseconds()
        let horizon = request.horizon
        var result = cancellation.withCurrent { [request] in train(request) }
        _ = consume request
        if cancellation.isCancelled {
            // Stopping: a fit cut short is not a result; nothing is persisted or installed.
            logger.notice("retrain abandoned: stopping", metadata: ["horizon": "\(horizon)"])
            return
        }
        result.durationNanoseconds = MonotonicClock.nanoseconds() - start
        if let store = modelStore, let combiner = result.combiner, result.decision == .promote || result.decision == .fallback {
            do {
                let saved = try store.save(combiner: combiner, horizon: result.horizon, version: combiner.version,
                                           reason: result.reason, outcome: result.outcome)
                logger.info("model persisted", metadata: ["horizon": "\(result.horizon)", "version": "\(saved)"])
            } catch {
                logger.error("model not persisted (still served)", metadata: ["horizon": "\(result.horizon)", "error": "\(error)"])
            }
        }
        logger.notice("retrain finished", metadata: [
            "horizon": "\(result.horizon)", "rows": "\(result.rows)", "decision": "\(result.decision.rawValue)",
            "reason": "\(result.reason)", "seconds": "\(Double(result.durationNanoseconds) / 1e9)",
            "version": "\(result.combiner?.version ?? 0)",
        ])
        condition.lock()
        outbox.append(result)
        completedCount += 1
        condition.unlock()
    }
}
