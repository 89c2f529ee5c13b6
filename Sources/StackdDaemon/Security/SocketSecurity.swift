import Foundation
import Logging
import StackdZMQ

/// How one process's sockets authenticate: plaintext, or CURVE with this process's key pair.
///
/// Roles follow who binds: a socket stackd binds is a CURVE server (its secret key; clients
/// must be in the allow-list, checked by the in-process `ZAPHandler`); a socket stackd connects
/// is a CURVE client and must be given the server's public key. The daemon binds its CURVE
/// sockets (`connect` endpoints are refused with CURVE on: see `schemas/curve-keys.md`);
/// `stackd record` connects as a client.
public final class SocketSecurity: @unchecked Sendable {
    package enum Role: Sendable {
        /// Accepts clients from the allow-list.
        case server
        /// Connects to a server holding the secret key of `serverPublicKey`.
        case client(serverPublicKey: [UInt8])
    }

    /// The ZAP domain stackd's server sockets set, so libzmq asks the handler about them.
    package static let zapDomain = "stackd"

    /// This process's key pair; nil for plaintext.
    package let keys: ZMQCurveKeyPair?
    /// The allow-list's ZAP handler, when this process has server sockets.
    package let handler: ZAPHandler?

    /// Whether sockets get CURVE.
    var isCurve: Bool { keys != nil }

    private init(keys: ZMQCurveKeyPair?, handler: ZAPHandler?) {
        self.keys = keys
        self.handler = handler
    }

    /// A set-up abandoned half-way (an owner whose initializer threw after creating this) still
    /// stops its ZAP thread, which would otherwise keep the context, and itself, alive.
    deinit { handler?.stop() }

    /// No authentication: `apply` leaves sockets as they are.
    public static func plaintext() -> SocketSecurity { SocketSecurity(keys: nil, handler: nil) }

    /// CURVE with the key pair in `secretKeyFile`. With `clientKeysDirectory`, an allow-list is
    /// loaded and a ZAP handler bound in `context` (sockets of `context` may then be servers);
    /// without it only the client role is possible.
    package init(context: ZMQContext, secretKeyFile: String, clientKeysDirectory: String?, logger: Logger) throws {
        guard ZMQCurve.isAvailable else {
            throw SecurityError("CURVE is on, but the loaded libzmq \(ZMQVersion.current) was built without it (needs libsodium)")
        }
        keys = try CurveKeyFile.readKeyPair(path: secretKeyFile)
        if let directory = clientKeysDirectory {
            let allowList = try ClientAllowList(directory: directory)
            let report = try allowList.loadReport()
            for problem in report.problems {
                logger.error("client key file skipped", metadata: ["file": "\(problem.path)", "problem": "\(problem.problem)"])
            }
            handler = try ZAPHandler(context: context, allowList: allowList, domain: Self.zapDomain, logger: logger)
            logger.notice("CURVE authentication on", metadata: [
                "server_public_key": "\(keys?.publicKeyText ?? "")", "client_keys": "\(directory)", "clients": "\(allowList.count)"])
        } else {
            handler = nil
        }
    }

    /// The daemon's security from `[security]`: plaintext, or CURVE servers with the allow-list.
    package static func make(_ configuration: SecurityConfiguration, context: ZMQContext, logger: Logger) throws -> SocketSecurity {
        guard configuration.curve else { return .plaintext() }
        guard let secretKeyFile = configuration.secretKeyFile, let directory = configuration.clientKeysDirectory else {
            throw SecurityError("security.curve = true needs security.secret_key_file and security.client_keys_directory")
        }
        return try SocketSecurity(context: context, secretKeyFile: secretKeyFile, clientKeysDirectory: directory, logger: logger)
    }

    /// Prepares one of the daemon's sockets before it binds: with CURVE, a server on every
    /// bound endpoint; connecting is refused (it would need each peer's server key).
    func applyToDaemonSocket(_ socket: ZMQSocket, connects: [String], label: String) throws {
        guard isCurve else { return }
        if let endpoint = connects.first {
            throw SecurityError("\(label).connect \(endpoint): with security.curve on, stackd binds its sockets and peers connect")
        }
        try apply(to: socket, role: .server, label: label)
    }

    /// Prepares `socket` for `role`; call before it binds or connects. Plaintext: nothing.
    /// `label` names the socket in refusal logs (e.g. "input").
    package func apply(to socket: ZMQSocket, role: Role, label: String) throws {
        guard let keys else { return }
        switch role {
        case .server:
            guard let handler else {
                throw SecurityError("the \(label) socket binds with CURVE, which needs a client key directory (allow-list)")
            }
            try handler.watch(socket, label: label)
            try socket.configureCurve(.server(keys: keys, zapDomain: Self.zapDomain))
        case .client(let serverKey):
            try socket.configureCurve(.client(keys: keys, serverPublicKey: serverKey))
        }
    }

    /// Re-reads the allow-list (SIGHUP); nil when there is none or the directory failed to read.
    @discardableResult
    package func reloadAllowList() -> Int? { handler?.reloadAllowList() }

    /// Counters for `/metrics` (all zero for plaintext).
    package func snapshot() -> AuthenticationSnapshot { handler?.snapshot() ?? AuthenticationSnapshot() }

    /// Stops the ZAP handler; its context can then terminate without waiting for it.
    package func stop() { handler?.stop() }
}

/// A security set-up that cannot work, said in one sentence.
package struct SecurityError: Error, CustomStringConvertible, Equatable {
    package var description: String
    package init(_ description: String) { self.description = description }
}
