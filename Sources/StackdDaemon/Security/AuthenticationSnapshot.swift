/// Why a peer was refused at the security handshake: the `reason` label of
/// `stackd_auth_failures_total`.
package enum AuthenticationFailure: String, CaseIterable, Sendable {
    /// A CURVE client whose public key is not in the allow-list (the ZAP handler said 400).
    case unknownKey = "unknown_key"
    /// A peer that does not speak CURVE at all: a plaintext client (no key), or another mechanism.
    case noCurve = "no_curve"
    /// A CURVE handshake that failed before the key could be checked: the client used another
    /// server public key, or sent malformed handshake commands.
    case handshake
    /// The connection closed before the handshake completed. A plaintext client sometimes
    /// notices the mechanism mismatch first and hangs up, so libzmq reports no detail; port
    /// probes land here too.
    case incomplete
}

/// The authentication state a snapshot carries to `/metrics`: taken from the ZAP handler's
/// counters, which only its own thread writes.
public struct AuthenticationSnapshot: Sendable, Equatable {
    /// Whether CURVE is on (otherwise the counters stay 0).
    package var curve = false
    /// Refused handshakes since start, indexed like `AuthenticationFailure.allCases`.
    package var failures = [Int](repeating: 0, count: AuthenticationFailure.allCases.count)
    /// Keys currently in the allow-list.
    package var clientsAllowed = 0
    /// Handshakes accepted since start.
    package var accepted = 0

    package init() {}

    /// Refusals counted under `reason`.
    package func failures(_ reason: AuthenticationFailure) -> Int {
        failures[AuthenticationFailure.allCases.firstIndex(of: reason) ?? 0]
    }

    /// Refusals of every reason.
    var totalFailures: Int { failures.reduce(0, +) }
}
