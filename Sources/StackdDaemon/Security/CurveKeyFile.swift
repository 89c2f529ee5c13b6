import Foundation
import StackdZMQ

/// CURVE key files, in the ZeroMQ certificate format that CZMQ (`zcert`) and pyzmq
/// (`zmq.auth.create_certificates`, `zmq.auth.load_certificate`) read and write, so keys move
/// between stackd and Python models without conversion (format in `schemas/curve-keys.md`):
///
/// ```
/// #   ZeroMQ CURVE Public Certificate
/// metadata
/// curve
///     public-key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
/// ```
///
/// A secret key file adds `secret-key = "…"` and must be readable by its owner only. A file
/// holding just one bare 40-character Z85 key is accepted too, as whichever half the reader
/// expects. Names follow pyzmq: `NAME.key` (public), `NAME.key_secret` (secret).
package enum CurveKeyFile {
    /// The suffix of a public key file (what an allow-list directory holds).
    static let publicSuffix = ".key"
    /// The suffix of a secret key file.
    static let secretSuffix = ".key_secret"

    /// What a key file holds: the certificate lines, or one bare Z85 key whose half (public or
    /// secret) the reader decides.
    package struct Contents: Equatable {
        package var publicKey: [UInt8]?
        package var secretKey: [UInt8]?
        var bareKey: [UInt8]?
    }

    /// Parses a key file's text; `path` only names the file in errors.
    package static func parse(_ text: String, path: String) throws -> Contents {
        var publicText: String?
        var secretText: String?
        var bare: [String] = []
        for (number, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line == "metadata" || line == "curve" { continue }
            if let equals = line.firstIndex(of: "=") {
                let key = line[..<equals].trimmingCharacters(in: .whitespaces)
                let value = line[line.index(after: equals)...].trimmingCharacters(in: CharacterSet(charactersIn: " \t\"'"))
                switch key {
                case "public-key": publicText = value
                case "secret-key": secretText = value
                default: continue   // metadata entries (name = "…") are allowed and ignored
                }
            } else if raw.first?.isWhitespace == false {
                bare.append(line)
            } else {
                throw CurveKeyFileError(path: path, problem: "line \(number + 1) is neither `name = \"value\"` nor a key")
            }
        }
        if publicText == nil, secretText == nil {
            guard bare.count == 1 else {
                throw CurveKeyFileError(path: path, problem: bare.isEmpty
                    ? "no public-key = \"…\" line and no bare Z85 key"
                    : "\(bare.count) bare lines; expected one Z85 key")
            }
            return Contents(bareKey: try decode(bare[0], what: "key", path: path))
        }
        if let stray = bare.first {
            throw CurveKeyFileError(path: path, problem: "unexpected line \"\(stray.prefix(60))\"")
        }
        guard let publicText else {
            throw CurveKeyFileError(path: path, problem: "a secret-key without its public-key line")
        }
        let publicKey = try decode(publicText, what: "public-key", path: path)
        guard let secretText else { return Contents(publicKey: publicKey) }
        let secretKey = try decode(secretText, what: "secret-key", path: path)
        do {
            _ = try ZMQCurveKeyPair(publicKey: publicKey, secretKey: secretKey)
        } catch {
            throw CurveKeyFileError(path: path, problem: "the public-key does not belong to the secret-key")
        }
        return Contents(publicKey: publicKey, secretKey: secretKey)
    }

    /// Reads a public key: a public key file, a bare Z85 public key, or the public half of a
    /// secret key certificate.
    package static func readPublicKey(path: String) throws -> [UInt8] {
        let contents = try parse(read(path), path: path)
        guard let key = contents.publicKey ?? contents.bareKey else {
            throw CurveKeyFileError(path: path, problem: "no public key")
        }
        return key
    }

    /// Reads a secret key: a secret key certificate, or a bare Z85 secret key (its public half
    /// is derived). Refuses a file that group or others may read or write, as ssh does: a
    /// secret that others could have read is no longer an identity.
    package static func readKeyPair(path: String) throws -> ZMQCurveKeyPair {
        let contents = try parse(read(path), path: path)
        if contents.secretKey == nil, contents.bareKey == nil {
            throw CurveKeyFileError(path: path, problem: "no secret-key line: this is a public key file (give the .key_secret file)")
        }
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw CurveKeyFileError(path: path, problem: String(cString: strerror(errno)))
        }
        if info.st_mode & 0o077 != 0 {
            throw CurveKeyFileError(path: path, problem: String(format: "secret key file has mode %03o: others may read it (chmod 600 it)", info.st_mode & 0o777))
        }
        do {
            if let secret = contents.secretKey, let publicKey = contents.publicKey {
                return try ZMQCurveKeyPair(publicKey: publicKey, secretKey: secret)
            }
            if let secret = contents.bareKey { return try ZMQCurveKeyPair(secretKey: secret) }
        } catch {
            throw CurveKeyFileError(path: path, problem: "\(error)")
        }
        throw CurveKeyFileError(path: path, problem: "no secret-key line: this is a public key file (give the .key_secret file)")
    }

    /// The text of a public key file for `keys`.
    package static func publicText(_ keys: ZMQCurveKeyPair, comment: String) -> String {
        """
        #   ZeroMQ CURVE Public Certificate
        #   Exchange securely, or use a secure mechanism to verify the contents
        #   of this file after exchange. Store public certificates in your home
        #   directory, in the .curve subdirectory.
        #   \(comment)

        metadata
        curve
            public-key = "\(keys.publicKeyText)"

        """
    }

    /// The text of a secret key file for `keys`.
    package static func secretText(_ keys: ZMQCurveKeyPair, comment: String) -> String {
        """
        #   ZeroMQ CURVE **Secret** Certificate
        #   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.
        #   \(comment)

        metadata
        curve
            public-key = "\(keys.publicKeyText)"
            secret-key = "\(Z85.encode(keys.secretKey) ?? "")"

        """
    }

    /// Writes `DIRECTORY/NAME.key` (mode 0644) and `DIRECTORY/NAME.key_secret` (mode 0600,
    /// created with that mode, so it is never readable by others even for an instant); refuses
    /// if either exists. Returns the two paths.
    @discardableResult
    package static func write(_ keys: ZMQCurveKeyPair, directory: String, name: String, comment: String) throws -> (public: String, secret: String) {
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
            throw CurveKeyFileError(path: directory, problem: "key name \"\(name)\" must be a plain file name")
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let publicPath = (directory as NSString).appendingPathComponent(name + publicSuffix)
        let secretPath = (directory as NSString).appendingPathComponent(name + secretSuffix)
        for path in [publicPath, secretPath] where FileManager.default.fileExists(atPath: path) {
            throw CurveKeyFileError(path: path, problem: "already exists; refusing to overwrite a key")
        }
        try create(path: secretPath, mode: 0o600, text: secretText(keys, comment: comment))
        do {
            try create(path: publicPath, mode: 0o644, text: publicText(keys, comment: comment))
        } catch {
            unlink(secretPath)
            throw error
        }
        return (publicPath, secretPath)
    }

    private static func create(path: String, mode: mode_t, text: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw CurveKeyFileError(path: path, problem: String(cString: strerror(errno))) }
        defer { close(fd) }
        // The umask may have narrowed the mode; the public file should stay readable by all.
        fchmod(fd, mode)
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                let problem = String(cString: strerror(errno))
                unlink(path)
                throw CurveKeyFileError(path: path, problem: problem)
            }
            written += n
        }
        guard fsync(fd) == 0 else {
            let problem = String(cString: strerror(errno))
            unlink(path)
            throw CurveKeyFileError(path: path, problem: problem)
        }
    }

    private static func read(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CurveKeyFileError(path: path, problem: FileManager.default.fileExists(atPath: path) ? "cannot be read" : "does not exist")
        }
        guard data.count <= 64 * 1024 else { throw CurveKeyFileError(path: path, problem: "\(data.count) bytes: too large for a key file") }
        return String(decoding: data, as: UTF8.self)
    }

    private static func decode(_ text: String, what: String, path: String) throws -> [UInt8] {
        if let problem = Z85.keyProblem(text) { throw CurveKeyFileError(path: path, problem: "\(what): \(problem)") }
        guard let bytes = Z85.decode(text) else { throw CurveKeyFileError(path: path, problem: "\(what): not Z85") }
        return bytes
    }
}

/// A key file that cannot be used, with its path and what is wrong.
package struct CurveKeyFileError: Error, CustomStringConvertible, Equatable {
    package var path: String
    package var problem: String

    package var description: String { "\(path): \(problem)" }
}
