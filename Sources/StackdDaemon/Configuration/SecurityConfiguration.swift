/// ZeroMQ CURVE authentication and the plaintext policy (`[security]`).
///
/// A socket that binds or connects a non-loopback TCP endpoint carries predictions anyone on the
/// network could read or forge; the loader therefore refuses such an endpoint unless CURVE is on
/// or the operator says plaintext is intended (`allow_plaintext_remote`), so an exposure is
/// always a written decision, never a default.
package struct SecurityConfiguration: Sendable, Equatable {
    /// `security.curve`: CURVE on every stackd socket that binds or connects.
    package var curve: Bool
    /// `security.secret_key_file`: the server's Z85 secret key (40 characters) in a file.
    package var secretKeyFile: String?
    /// `security.client_keys_directory`: the allow-list, one Z85 public key per `*.key` file
    /// (its contents are re-read on reload; the key naming the directory needs a restart).
    package var clientKeysDirectory: String?
    /// `security.allow_plaintext_remote`: accept non-loopback TCP endpoints without CURVE.
    package var allowPlaintextRemote: Bool

    package init(curve: Bool = false, secretKeyFile: String? = nil, clientKeysDirectory: String? = nil,
                allowPlaintextRemote: Bool = false) {
        self.curve = curve
        self.secretKeyFile = secretKeyFile
        self.clientKeysDirectory = clientKeysDirectory
        self.allowPlaintextRemote = allowPlaintextRemote
    }
}
