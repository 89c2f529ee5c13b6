/// A smooth function the L-BFGS minimiser can query.
///
/// The objective writes its gradient into a caller-owned buffer so that an optimiser iteration
/// allocates nothing: the buffers live as long as the optimisation run.
public protocol DifferentiableObjective {
    /// Number of parameters.
    var dimension: Int { get }
    /// Returns f(x) and writes ∇f(x) into `gradient` (both of length `dimension`).
    mutating func evaluate(_ x: UnsafeBufferPointer<Double>, gradient: UnsafeMutableBufferPointer<Double>) -> Double
}

extension DifferentiableObjective {
    /// Turns an objective summed over rows (and its gradient, in place) into the per-row mean the
    /// optimiser minimises: the same minimiser, with tolerances that do not depend on N.
    @inline(__always)
    static func mean(ofSum sum: Double, rows: Int, gradient: UnsafeMutableBufferPointer<Double>) -> Double {
        let scale = 1 / Double(rows)
        var i = 0
        while i < gradient.count { gradient[i] *= scale; i += 1 }
        return sum * scale
    }
}
