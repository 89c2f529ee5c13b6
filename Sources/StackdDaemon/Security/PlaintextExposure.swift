/// The rule "binding a non-loopback tcp endpoint without CURVE is refused unless explicitly
/// allowed", for the commands that bind outside the configuration file (`stackd record --bind`,
/// `stackd replay --publish`); the configuration loader applies it to `[input]`/`[output]`.
package enum PlaintextExposure {
    /// Throws for the first endpoint that is malformed, or that reaches beyond this machine
    /// while `curve` is off and `allowed` is false. `hint` says how to turn CURVE on.
    package static func check(bound endpoints: [String], curve: Bool, allowed: Bool, hint: String) throws {
        for text in endpoints {
            switch ZMQEndpoint.parse(text) {
            case .failure(let error):
                throw SecurityError(error.message)
            case .success(let endpoint):
                if !endpoint.isLocal && !curve && !allowed {
                    throw SecurityError("binding \(text) would accept plaintext from beyond this machine: \(hint), or pass --allow-plaintext-remote")
                }
            }
        }
    }
}
