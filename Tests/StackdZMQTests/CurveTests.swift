import Foundation
import StackdZMQ
import XCTest

/// Z85 against RFC 32's vector and CURVE keys against the pair published in libzmq's
/// `zmq_curve` manual (checked independently with pyzmq's `curve_public`).
final class CurveTests: ZMQTestCase {
    /// From zmq_curve(7): the example server key pair.
    static let manualPublicText = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID"
    static let manualSecretText = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs"
    static let manualPublicBytes: [UInt8] = [
        0xbb, 0x88, 0x47, 0x1d, 0x65, 0xe2, 0x65, 0x9b, 0x30, 0xc5, 0x5a, 0x53, 0x21, 0xce, 0xbb, 0x5a,
        0xab, 0x2b, 0x70, 0xa3, 0x98, 0x64, 0x5c, 0x26, 0xdc, 0xa2, 0xb2, 0xfc, 0xb4, 0x3f, 0xc5, 0x18]

    func testZ85MatchesTheRFCVector() {
        let bytes: [UInt8] = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B]
        XCTAssertEqual(Z85.encode(bytes), "HelloWorld")
        XCTAssertEqual(Z85.decode("HelloWorld"), bytes)
        XCTAssertEqual(Z85.decode(Self.manualPublicText), Self.manualPublicBytes)
        XCTAssertEqual(Z85.encode(Self.manualPublicBytes), Self.manualPublicText)
    }

    func testZ85RefusesWhatIsNotZ85() {
        XCTAssertNil(Z85.encode([1, 2, 3]), "not a multiple of 4 bytes")
        XCTAssertNil(Z85.decode("Hello"+"Wor"), "not a multiple of 5 characters")
        XCTAssertNil(Z85.decode("Hello Worl"), "space is not in the alphabet")
        XCTAssertNil(Z85.decode("%%%%%"), "85^5 - 1 exceeds 32 bits")
        XCTAssertEqual(Z85.decode("#####"), nil)
        XCTAssertEqual(Z85.decode(""), [])
        XCTAssertEqual(Z85.keyProblem("HelloWorld"), "a CURVE key is 40 Z85 characters, this one has 10")
        XCTAssertEqual(Z85.keyProblem(String(Self.manualPublicText.dropLast()) + "\""), "character 40 ('\"') is not a Z85 character")
        XCTAssertNil(Z85.keyProblem(Self.manualPublicText))
    }

    func testPublicKeyIsDerivedFromTheSecretKey() throws {
        let secret = try XCTUnwrap(Z85.decode(Self.manualSecretText))
        XCTAssertEqual(try ZMQCurve.publicKey(forSecretKey: secret), Self.manualPublicBytes)
        let pair = try ZMQCurveKeyPair(secretKey: secret)
        XCTAssertEqual(pair.publicKeyText, Self.manualPublicText)
        var wrong = Self.manualPublicBytes
        wrong[0] ^= 1
        XCTAssertThrowsError(try ZMQCurveKeyPair(publicKey: wrong, secretKey: secret))
        XCTAssertThrowsError(try ZMQCurve.publicKey(forSecretKey: [1, 2, 3]))
    }

    func testGeneratedPairsAreConsistentAndDistinct() throws {
        XCTAssertTrue(ZMQCurve.isAvailable)
        let a = try ZMQCurveKeyPair.generate(), b = try ZMQCurveKeyPair.generate()
        XCTAssertEqual(try ZMQCurve.publicKey(forSecretKey: a.secretKey), a.publicKey)
        XCTAssertNotEqual(a.secretKey, b.secretKey)
        XCTAssertEqual(a.publicKey.count, 32)
    }

    /// Without a ZAP handler a CURVE server accepts any client that knows its key (libzmq's
    /// "Stonehouse"); a client with the wrong server key fails the handshake, which the
    /// server's monitor reports as a cryptographic protocol error.
    func testCurveClientReachesServerOnlyWithTheRightServerKey() throws {
        let server = try ZMQCurveKeyPair.generate(), client = try ZMQCurveKeyPair.generate()
        let pull = try socket(.pull)
        try pull.configureCurve(.server(keys: server, zapDomain: "test"))
        XCTAssertTrue(try pull.usesCurve)
        try pull.startMonitor(endpoint: "inproc://curve-test-monitor", events: [.handshakeFailedProtocol, .handshakeSucceeded])
        let monitor = try socket(.pair)
        try monitor.connect("inproc://curve-test-monitor")
        try pull.bind("tcp://127.0.0.1:*")
        let endpoint = try pull.lastEndpoint

        let wrong = try socket(.push)
        try wrong.configureCurve(.client(keys: client, serverPublicKey: try ZMQCurveKeyPair.generate().publicKey))
        try wrong.connect(endpoint)
        let message = ZMQMessage()
        let failure = try XCTUnwrap(try monitor.receiveMonitorEvent(into: message, dontWait: false))
        XCTAssertEqual(failure.event, .handshakeFailedProtocol)
        XCTAssertEqual(failure.value, ZMQMonitorEvent.cryptographicFailure)
        XCTAssertEqual(failure.endpoint, endpoint)
        wrong.close()

        let push = try socket(.push)
        try push.configureCurve(.client(keys: client, serverPublicKey: server.publicKey))
        try push.connect(endpoint)
        XCTAssertTrue(try push.send("hello"))
        XCTAssertTrue(try pull.receive(into: message))
        XCTAssertEqual(message.string, "hello")
        // The wrong client may have failed again before it was closed: skip to the success.
        var succeeded = false
        while let event = try monitor.receiveMonitorEvent(into: message, dontWait: false) {
            if event.event == .handshakeSucceeded { succeeded = true; break }
        }
        XCTAssertTrue(succeeded, "the monitor reported the right client's handshake")
    }
}
