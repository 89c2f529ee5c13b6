import StackdLearning
import XCTest

/// L-BFGS ends at its next iteration once the thread's current cancellation token is cancelled,
/// and runs to convergence when no token is current.
final class TrainingCancellationTests: XCTestCase {
    /// f(x) = Σ (x_i − i)², minimum at x_i = i; cancels `token` after `cancelAfter` evaluations.
    struct Bowl: DifferentiableObjective {
        var dimension: Int
        var evaluations = 0
        var cancelAfter = Int.max
        var token: TrainingCancellation?
        mutating func evaluate(_ x: UnsafeBufferPointer<Double>, gradient: UnsafeMutableBufferPointer<Double>) -> Double {
            evaluations += 1
            if evaluations >= cancelAfter { token?.cancel() }
            var f = 0.0
            for i in 0..<dimension {
                let d = x[i] - Double(i)
                f += d * d
                gradient[i] = 2 * d
            }
            return f
        }
    }

    func testWithoutATokenTheSolverConverges() {
        var bowl = Bowl(dimension: 4)
        var x = [Double](repeating: 0, count: 4)
        let result = LBFGS().minimize(&bowl, x: &x)
        XCTAssertNotEqual(result.termination, .cancelled)
        for i in 0..<4 { XCTAssertEqual(x[i], Double(i), accuracy: 1e-6) }
        XCTAssertFalse(TrainingCancellation.isCurrentCancelled)
    }

    func testACancelledTokenEndsTheRunAtTheNextIteration() {
        let token = TrainingCancellation()
        var bowl = Bowl(dimension: 4, cancelAfter: 1, token: token)
        var x = [Double](repeating: 0, count: 4)
        let result = token.withCurrent { LBFGS().minimize(&bowl, x: &x) }
        XCTAssertEqual(result.termination, .cancelled)
        XCTAssertEqual(result.iterations, 0, "cancelled during the first evaluation: no step taken")
        XCTAssertEqual(bowl.evaluations, 1)
        XCTAssertTrue(token.isCancelled)
        XCTAssertFalse(TrainingCancellation.isCurrentCancelled, "the token is current only inside withCurrent")
    }

    func testAnotherThreadsTokenDoesNotCancelThisThread() {
        let token = TrainingCancellation()
        token.cancel()
        var bowl = Bowl(dimension: 3)
        var x = [Double](repeating: 0, count: 3)
        let result = LBFGS().minimize(&bowl, x: &x)
        XCTAssertNotEqual(result.termination, .cancelled)
        XCTAssertEqual(x[2], 2, accuracy: 1e-6)
    }
}
