#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The hidden-layer non-linearity of ``MLPClassifier`` (scikit-learn's `activation` names).
///
/// Both are written so the backward pass needs only the activated value `a`, not the
/// pre-activation: ReLU′ = [a > 0], tanh′ = 1 − a². The objective therefore keeps one hidden
/// buffer per row block instead of two.
public enum MLPActivation: String, Sendable, Codable, Equatable, CaseIterable {
    /// max(0, z): scikit-learn's default. Not differentiable at 0 (the subgradient 0 is used there,
    /// as scikit-learn does).
    case relu
    /// tanh(z): smooth, which suits a quasi-Newton solver and makes reference comparisons exact.
    case tanh

    /// Applies the activation in place to `count` values.
    func apply(_ v: UnsafeMutablePointer<Double>, count: Int) {
        var i = 0
        switch self {
        // A select, not a branch: the compiler vectorises it (the branchy form was a third of an evaluation).
        case .relu: while i < count { let x = v[i]; v[i] = x > 0 ? x : 0; i += 1 }
        case .tanh: while i < count { v[i] = hyperbolicTangent(v[i]); i += 1 }
        }
    }

    /// Multiplies `delta` element-wise by the derivative, given the activated values `a`.
    func multiplyByDerivative(_ delta: UnsafeMutablePointer<Double>, activated a: UnsafePointer<Double>, count: Int) {
        var i = 0
        switch self {
        case .relu: while i < count { let d = delta[i]; delta[i] = a[i] > 0 ? d : 0; i += 1 }
        case .tanh: while i < count { delta[i] *= 1 - a[i] * a[i]; i += 1 }
        }
    }

    /// The factor of scikit-learn's Glorot-uniform bound √(factor / (fan_in + fan_out)): 6 for both
    /// (scikit-learn uses 2 only for the logistic activation, which is not offered here).
    var glorotFactor: Double { 6 }
}

/// libm's tanh, reachable inside ``MLPActivation`` (where `tanh` names the enum case).
@inline(__always) private func hyperbolicTangent(_ x: Double) -> Double { tanh(x) }
