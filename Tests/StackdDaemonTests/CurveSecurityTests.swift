import Foundation
import Logging
import StackdDaemon
import StackdZMQ
import XCTest

/// Key files, the allow-list directory and the in-process ZAP handler, with real libzmq
/// handshakes on loopback: a known key gets through, an unknown key and a plaintext client are
/// refused and counted under their reasons, and a reload admits a new key.
final class CurveSecurityTests: XCTestCase {
    var temporary: URL!

    override func setUpWithError() throws {
        temporary = FileManager.default.temporaryDirectory.appendingPathComponent("stackd-curve-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: temporary)
    }

    func path(_ name: String) -> String { temporary.appendingPathComponent(name).path }

    func write(_ text: String, to name: String, mode: Int = 0o644) throws {
        try Data(text.utf8).write(to: temporary.appendingPathComponent(name))
        XCTAssertEqual(chmod(path(name), mode_t(mode)), 0)
    }

    func mode(_ name: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path(name))[.posixPermissions] as? Int) ?? -1
    }

    func testKeyFilesRoundTripWithSecretOwnerOnlyAndRefuseOverwriting() throws {
        let keys = try ZMQCurveKeyPair.generate()
        let paths = try CurveKeyFile.write(keys, directory: path("keys"), name: "lgbm", comment: "test")
        XCTAssertEqual(paths.public, path("keys/lgbm.key"))
        XCTAssertEqual(paths.secret, path("keys/lgbm.key_secret"))
        XCTAssertEqual(try mode("keys/lgbm.key_secret"), 0o600)
        XCTAssertEqual(try mode("keys/lgbm.key"), 0o644)
        XCTAssertEqual(try CurveKeyFile.readKeyPair(path: paths.secret), keys)
        XCTAssertEqual(try CurveKeyFile.readPublicKey(path: paths.public), keys.publicKey)
        XCTAssertEqual(try CurveKeyFile.readPublicKey(path: paths.secret), keys.publicKey, "a secret file also names its public key")
        XCTAssertThrowsError(try CurveKeyFile.readKeyPair(path: paths.public), "a public file holds no secret") {
            XCTAssertTrue("\($0)".contains("no secret-key line"), "\($0)")
        }
        XCTAssertThrowsError(try CurveKeyFile.write(try ZMQCurveKeyPair.generate(), directory: path("keys"), name: "lgbm", comment: "")) {
            XCTAssertTrue("\($0)".contains("refusing to overwrite"), "\($0)")
        }
        XCTAssertEqual(try CurveKeyFile.readKeyPair(path: paths.secret), keys, "the first pair is untouched")
    }

    /// The certificate text pyzmq's `zmq.auth.create_certificates` writes, with the key pair of
    /// libzmq's zmq_curve(7) manual.
    func testReadsPyzmqCertificatesAndBareKeys() throws {
        try write("""
            #   ****  Generated on 2026-12-03 21:30:00.000000 by pyzmq  ****
            #   ZeroMQ CURVE **Secret** Certificate
            #   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.

            metadata
            curve
                public-key = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID"
                secret-key = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs"

            """, to: "server.key_secret", mode: 0o600)
        let pair = try CurveKeyFile.readKeyPair(path: path("server.key_secret"))
        XCTAssertEqual(pair.publicKeyText, "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID")
        try write("D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs\n", to: "bare.key_secret", mode: 0o600)
        XCTAssertEqual(try CurveKeyFile.readKeyPair(path: path("bare.key_secret")), pair, "a bare secret key derives its public half")
        try write("Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID\n", to: "bare.key")
        XCTAssertEqual(try CurveKeyFile.readPublicKey(path: path("bare.key")), pair.publicKey)
    }

    func testBadKeyFilesAreRefusedWithWhatIsWrong() throws {
        let cases: [(String, String)] = [
            ("", "no public-key"),
            ("Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hI\n", "40 Z85 characters, this one has 39"),
            ("curve\n    public-key = \"Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{h D\"\n", "public-key: character 39 (' ')"),
            ("curve\n    secret-key = \"D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs\"\n", "without its public-key"),
            ("curve\n    public-key = \"0000000000000000000000000000000000000000\"\n    secret-key = \"D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs\"\n",
             "does not belong"),
            ("one\ntwo\n", "2 bare lines"),
            ("curve\n    just words\n", "line 2 is neither"),
        ]
        for (index, (text, expected)) in cases.enumerated() {
            try write(text, to: "bad\(index).key_secret", mode: 0o600)
            XCTAssertThrowsError(try CurveKeyFile.readKeyPair(path: path("bad\(index).key_secret")), "case \(index)") {
                XCTAssertTrue("\($0)".contains(expected), "case \(index): \($0)")
                XCTAssertTrue("\($0)".hasPrefix(self.path("bad\(index).key_secret")), "the error names the file: \($0)")
            }
        }
        try write("D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs\n", to: "open.key_secret", mode: 0o640)
        XCTAssertThrowsError(try CurveKeyFile.readKeyPair(path: path("open.key_secret"))) {
            XCTAssertTrue("\($0)".contains("mode 640"), "\($0)")
        }
        XCTAssertThrowsError(try CurveKeyFile.readKeyPair(path: path("absent.key_secret")))
    }

    func testAllowListReadsPublicKeyFilesOnlyAndReportsBadOnes() throws {
        let a = try ZMQCurveKeyPair.generate(), b = try ZMQCurveKeyPair.generate()
        try CurveKeyFile.write(a, directory: path("clients"), name: "a", comment: "")
        try CurveKeyFile.write(b, directory: path("elsewhere"), name: "b", comment: "")
        try write("not a key\n", to: "clients/broken.key")
        try write(b.publicKeyText, to: "clients/b.txt")   // not *.key: ignored
        let list = try ClientAllowList(directory: path("clients"))
        XCTAssertEqual(list.count, 1, "a.key only: a.key_secret, broken.key and b.txt are not entries")
        XCTAssertEqual(a.publicKey.withUnsafeBytes { list.name(of: $0) }, "a")
        XCTAssertNil(b.publicKey.withUnsafeBytes { list.name(of: $0) })
        let report = try list.loadReport()
        XCTAssertEqual(report.problems.map(\.path), [path("clients/broken.key")])

        try FileManager.default.copyItem(atPath: path("elsewhere/b.key"), toPath: path("clients/b.key"))
        XCTAssertEqual(try list.reload().allowed, 2)
        XCTAssertEqual(b.publicKey.withUnsafeBytes { list.name(of: $0) }, "b")
        try FileManager.default.removeItem(atPath: path("clients"))
        XCTAssertThrowsError(try list.reload(), "a directory that vanished is an error")
        XCTAssertEqual(list.count, 2, "and the running list is kept")
        XCTAssertThrowsError(try ClientAllowList(directory: path("missing")))
    }

    /// A SUB server with the daemon's security and three PUB clients: the known key's message
    /// arrives; the unknown key and the plaintext client are refused and counted; after the
    /// unknown key is added and the list reloaded, a new connection with it gets through.
    func testZAPHandlerAdmitsKnownKeysAndCountsRefusals() throws {
        let server = try ZMQCurveKeyPair.generate(), known = try ZMQCurveKeyPair.generate(), unknown = try ZMQCurveKeyPair.generate()
        try CurveKeyFile.write(server, directory: path("server"), name: "server", comment: "")
        try CurveKeyFile.write(known, directory: path("clients"), name: "known", comment: "")
        try CurveKeyFile.write(unknown, directory: path("other"), name: "unknown", comment: "")

        let context = try ZMQContext()
        let security = try SocketSecurity(context: context, secretKeyFile: path("server/server.key_secret"),
                                          clientKeysDirectory: path("clients"), logger: Logger(label: "test"))
        var sockets: [ZMQSocket] = []
        defer {
            sockets.forEach { $0.close() }
            security.stop()
            context.terminate()
        }
        let sub = try ZMQSocket.make(context: context, type: .sub, settings: ZMQSocketSettings(
            lingerMilliseconds: 0, receiveTimeoutMilliseconds: 10_000, subscriptions: [""])) {
            try security.apply(to: $0, role: .server, label: "input")
        }
        sockets.append(sub)
        try sub.bind("tcp://127.0.0.1:*")
        let endpoint = try sub.lastEndpoint
        XCTAssertEqual(security.snapshot().clientsAllowed, 1)

        // Each publisher has its own context, as a separate process would.
        let clientContext = try ZMQContext()
        defer { clientContext.terminate() }
        func publisher(_ keys: ZMQCurveKeyPair?) throws -> ZMQSocket {
            let pub = try ZMQSocket.make(context: clientContext, type: .xpub, settings: ZMQSocketSettings(lingerMilliseconds: 0)) {
                if let keys { try $0.configureCurve(.client(keys: keys, serverPublicKey: server.publicKey)) }
            }
            try pub.connect(endpoint)
            return pub
        }
        // libzmq processes a new connection's commands (attach, the SUB's subscriptions,
        // handshake outcomes) only inside a call on the SUB socket, as the daemon's ingest loop
        // makes all the time: keep calling it while waiting.
        let message = ZMQMessage()
        func waitFor(_ what: String, _ condition: (AuthenticationSnapshot) -> Bool) {
            let deadline = Date(timeIntervalSinceNow: 10)
            while !condition(security.snapshot()), Date() < deadline {
                _ = try? sub.receive(into: message, dontWait: true)
                usleep(5_000)
            }
            XCTAssertTrue(condition(security.snapshot()), "\(what): \(security.snapshot())")
        }
        func subscriptionArrives(at pub: ZMQSocket) throws -> Bool {
            let deadline = Date(timeIntervalSinceNow: 10)
            while Date() < deadline {
                if try pub.waitForSubscriber(timeoutMilliseconds: 20) != nil { return true }
                _ = try sub.receive(into: message, dontWait: true)
            }
            return false
        }

        let stranger = try publisher(unknown)
        defer { stranger.close() }
        waitFor("unknown key refused") { $0.failures(.unknownKey) >= 1 }
        XCTAssertFalse(try { let d = Date(timeIntervalSinceNow: 0.3); while Date() < d {
            if try stranger.waitForSubscriber(timeoutMilliseconds: 20) != nil { return true }
            _ = try sub.receive(into: message, dontWait: true) }; return false }(), "a refused publisher never sees the subscription")

        let plain = try publisher(nil)
        defer { plain.close() }
        // Whichever side sees the mechanism mismatch first: the server (no_curve), or the client,
        // which hangs up mid-handshake (incomplete).
        waitFor("plaintext refused") { $0.failures(.noCurve) + $0.failures(.incomplete) >= 1 }

        let good = try publisher(known)
        defer { good.close() }
        XCTAssertTrue(try subscriptionArrives(at: good), "the known key's handshake completes")
        try good.send(topic: "pred.x", payload: Array("from known".utf8))
        XCTAssertTrue(try sub.receive(into: message))
        XCTAssertEqual(message.string, "pred.x")
        XCTAssertTrue(try sub.receive(into: message))
        XCTAssertEqual(message.string, "from known")
        XCTAssertEqual(security.snapshot().accepted, 1)
        XCTAssertEqual(security.snapshot().failures(.handshake), 0)

        // Reload: the stranger's key is admitted; a new connection with it gets through.
        try FileManager.default.copyItem(atPath: path("other/unknown.key"), toPath: path("clients/unknown.key"))
        XCTAssertEqual(security.reloadAllowList(), 2)
        XCTAssertEqual(security.snapshot().clientsAllowed, 2)
        let admitted = try publisher(unknown)
        defer { admitted.close() }
        XCTAssertTrue(try subscriptionArrives(at: admitted), "the reloaded list admits the new key")
    }
}

extension CurveSecurityTests {
    /// With CURVE, stackd binds and peers connect: a `connect` endpoint is refused at its line.
    func testCurveConfigurationRefusesConnectEndpoints() {
        let text = """
            [models]
            names = ["a", "b"]
            [stream]
            horizons = [5]
            [input]
            connect = ["tcp://127.0.0.1:5555"]
            [output]
            bind = ["tcp://127.0.0.1:5556"]
            [security]
            curve = true
            secret_key_file = "/nonexistent/server.key_secret"
            client_keys_directory = "/nonexistent/clients"
            """
        XCTAssertThrowsError(try ConfigurationLoader.parse(text, source: "t.toml")) { error in
            let problems = (error as? ConfigurationFileError)?.problems ?? []
            XCTAssertTrue(problems.contains { $0.hasPrefix("t.toml:6: input.connect: is not possible with security.curve = true") }, "\(problems)")
        }
    }
}

extension CurveSecurityTests {
    /// `stackd check-config` (and `run` before any socket) refuses a secret key file others can
    /// read, at the key's line, and accepts it once it is 0600.
    func testHostCheckRefusesASecretKeyFileOthersCanRead() throws {
        try CurveKeyFile.write(try ZMQCurveKeyPair.generate(), directory: path("keys"), name: "stackd", comment: "")
        try FileManager.default.createDirectory(atPath: path("clients"), withIntermediateDirectories: true)
        XCTAssertEqual(chmod(path("keys/stackd.key_secret"), 0o644), 0)
        try write("""
            [models]
            names = ["a", "b"]
            [stream]
            horizons = [5]
            [input]
            bind = ["ipc://\(path("in.sock"))"]
            [output]
            bind = ["ipc://\(path("out.sock"))"]
            [security]
            curve = true
            secret_key_file = "\(path("keys/stackd.key_secret"))"
            client_keys_directory = "\(path("clients"))"
            """, to: "stackd.toml")
        XCTAssertThrowsError(try ConfigurationLoader.load(path: path("stackd.toml"))) { error in
            let problems = (error as? ConfigurationFileError)?.problems ?? []
            XCTAssertTrue(problems.contains { $0.contains("security.secret_key_file") && $0.contains("has mode 644") }, "\(problems)")
        }
        XCTAssertEqual(chmod(path("keys/stackd.key_secret"), 0o600), 0)
        XCTAssertNoThrow(try ConfigurationLoader.load(path: path("stackd.toml")))
    }
}
