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
