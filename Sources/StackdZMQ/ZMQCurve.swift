import CZeroMQ

/// CURVE (ZeroMQ RFC 26) key material: a Curve25519 key pair, 32 bytes each, as libzmq takes
/// them and as Z85 text (40 characters) for files, logs and other ZeroMQ bindings.
///
/// Only the public half ever leaves the process: the secret stays in memory, in this value, and
/// in the socket option it is set on.
public enum ZMQCurve {
    /// Bytes in a Curve25519 public or secret key.
    public static let keyByteCount = 32
    /// Characters in the Z85 text of a key.
    public static let keyTextCount = 40

    /// Whether the loaded libzmq was built with CURVE (Debian's is, through libsodium). A build
    /// without it accepts the socket options but fails every handshake, so callers check first.
    public static var isAvailable: Bool { zmq_has("curve") != 0 }

    /// The public key belonging to `secretKey` (`zmq_curve_public`), to check that the two
    /// halves of a key file belong together.
    public static func publicKey(forSecretKey secretKey: [UInt8]) throws -> [UInt8] {
        guard secretKey.count == keyByteCount, let secretText = Z85.encode(secretKey) else {
            throw ZMQError(code: EINVAL, operation: "derive a CURVE public key from a \(secretKey.count)-byte secret key")
        }
        var publicText = [CChar](repeating: 0, count: keyTextCount + 1)
        var secretC = Array(secretText.utf8CString)
        if zmq_curve_public(&publicText, &secretC) != 0 { throw ZMQError.last("zmq_curve_public") }
        // Wipe the Z85 copy of the secret: it is the one extra copy this function made.
        for i in secretC.indices { secretC[i] = 0 }
        let text = String(decoding: publicText.prefix(keyTextCount).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let bytes = Z85.decode(text) else {
            throw ZMQError(code: EINVAL, operation: "zmq_curve_public returned a key that is not Z85")
        }
        return bytes
    }
}

/// A CURVE key pair: the long-term identity of a server or a client.
public struct ZMQCurveKeyPair: Sendable, Equatable {
    /// The 32-byte public key (shareable).
    public let publicKey: [UInt8]
    /// The 32-byte secret key (never logged, never sent).
    public let secretKey: [UInt8]

    /// Pairs two halves, checking that `publicKey` is the one `secretKey` derives.
    public init(publicKey: [UInt8], secretKey: [UInt8]) throws {
        guard publicKey.count == ZMQCurve.keyByteCount else {
            throw ZMQError(code: EINVAL, operation: "CURVE public key of \(publicKey.count) bytes (needs 32)")
        }
        guard try ZMQCurve.publicKey(forSecretKey: secretKey) == publicKey else {
            throw ZMQError(code: EINVAL, operation: "CURVE key pair: the public key does not belong to the secret key")
        }
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// The pair belonging to `secretKey`.
    public init(secretKey: [UInt8]) throws {
        self.publicKey = try ZMQCurve.publicKey(forSecretKey: secretKey)
        self.secretKey = secretKey
    }

    /// A new random pair from libzmq (`zmq_curve_keypair`, libsodium's generator).
    public static func generate() throws -> ZMQCurveKeyPair {
        var publicText = [CChar](repeating: 0, count: ZMQCurve.keyTextCount + 1)
        var secretText = [CChar](repeating: 0, count: ZMQCurve.keyTextCount + 1)
        defer { for i in secretText.indices { secretText[i] = 0 } }
        if zmq_curve_keypair(&publicText, &secretText) != 0 { throw ZMQError.last("zmq_curve_keypair") }
        func bytes(_ text: [CChar]) throws -> [UInt8] {
            let string = String(decoding: text.prefix(ZMQCurve.keyTextCount).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard let decoded = Z85.decode(string) else {
                throw ZMQError(code: EINVAL, operation: "zmq_curve_keypair returned a key that is not Z85")
            }
            return decoded
        }
        return try ZMQCurveKeyPair(publicKey: bytes(publicText), secretKey: bytes(secretText))
    }

    /// The public key as Z85 text: what goes into an allow-list and into logs.
    public var publicKeyText: String { Z85.encode(publicKey) ?? "" }
}

/// Where a socket stands in a CURVE handshake.
public enum ZMQCurveRole {
    /// Accepts clients: holds its own secret key; clients must know its public key. Who may
    /// connect is decided by the ZAP handler of the socket's context, for the given domain.
    case server(keys: ZMQCurveKeyPair, zapDomain: String)
    /// Connects to a server whose public key it knows, proving its own identity with `keys`.
    case client(keys: ZMQCurveKeyPair, serverPublicKey: [UInt8])
}

extension ZMQSocket {
    /// Makes this socket use CURVE in `role`. Call before `bind`/`connect`: libzmq applies
    /// security options to connections made afterwards only.
    ///
    /// A server with a ZAP domain but no ZAP handler bound in its context accepts every client
    /// (libzmq's "Stonehouse" pattern), so start the handler first.
    public func configureCurve(_ role: ZMQCurveRole) throws {
        switch role {
        case .server(let keys, let domain):
            try setIntOption(ZMQ_CURVE_SERVER, 1, name: "curve server")
            try keys.secretKey.withUnsafeBytes { try setBytesOption(ZMQ_CURVE_SECRETKEY, $0, name: "set curve secret key") }
            try Array(domain.utf8).withUnsafeBytes { try setBytesOption(ZMQ_ZAP_DOMAIN, $0, name: "set zap domain \(domain)") }
        case .client(let keys, let serverKey):
            guard serverKey.count == ZMQCurve.keyByteCount else {
                throw ZMQError(code: EINVAL, operation: "CURVE server key of \(serverKey.count) bytes (needs 32)")
            }
            try serverKey.withUnsafeBytes { try setBytesOption(ZMQ_CURVE_SERVERKEY, $0, name: "set curve server key") }
            try keys.publicKey.withUnsafeBytes { try setBytesOption(ZMQ_CURVE_PUBLICKEY, $0, name: "set curve public key") }
            try keys.secretKey.withUnsafeBytes { try setBytesOption(ZMQ_CURVE_SECRETKEY, $0, name: "set curve secret key") }
        }
    }

    /// The security mechanism new connections use: `ZMQ_NULL` (plaintext), `ZMQ_PLAIN` or `ZMQ_CURVE`.
    public var securityMechanism: Int32 {
        get throws { try intOption(ZMQ_MECHANISM, name: "mechanism") }
    }

    /// Whether new connections of this socket use CURVE.
    public var usesCurve: Bool {
        get throws { try securityMechanism == ZMQ_CURVE }
    }
}
