import ArgumentParser
import Foundation
import StackdDaemon
import StackdZMQ

/// `stackd keygen`: a new CURVE key pair in the certificate format pyzmq and CZMQ read
/// (`schemas/curve-keys.md`), so the same files serve the daemon and Python models.
struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a new CURVE key pair: DIR/NAME.key (public) and DIR/NAME.key_secret (secret, mode 0600).",
        discussion: "The public file goes into the peer's allow-list (security.client_keys_directory) or is given to clients as the server key; the secret file stays with its owner. Refuses to overwrite either file. Prints the public key in Z85.")

    @Option(help: ArgumentHelp("Directory to write into (created if needed).", valueName: "dir"))
    var out: String

    @Option(help: ArgumentHelp("Key name: the files are NAME.key and NAME.key_secret (e.g. stackd, lgbm).", valueName: "name"))
    var name: String = "stackd"

    func run() throws {
        do {
            guard ZMQCurve.isAvailable else {
                throw SecurityError("the loaded libzmq \(ZMQVersion.current) was built without CURVE (needs libsodium)")
            }
            let keys = try ZMQCurveKeyPair.generate()
            let paths = try CurveKeyFile.write(keys, directory: out, name: name,
                                               comment: "written by stackd keygen \(StackdVersion.string)")
            print("public key \(keys.publicKeyText)")
            print("wrote \(paths.public) (public) and \(paths.secret) (secret, mode 0600)")
        } catch {
            FileHandle.standardError.write(Data("stackd keygen: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
