import Foundation
import StackdZMQ
import XCTest

/// Base class giving each test a fresh context and guaranteed cleanup: every socket made through
/// `socket(_:)` is closed and the context terminated, so a failing test cannot leak I/O threads
/// or hang the next one.
class ZMQTestCase: XCTestCase {
    /// Upper bound for any blocking wait; generous because the point is to never hang, not to
    /// measure anything.
    static let timeoutMilliseconds: Int32 = 5000

    private(set) var context: ZMQContext!
    private var sockets: [ZMQSocket] = []
    private var temporaryDirectories: [URL] = []

    override func setUpWithError() throws {
        try super.setUpWithError()
        context = try ZMQContext()
    }

    override func tearDown() {
        sockets.forEach { $0.close() }
        sockets.removeAll()
        context?.terminate()
        context = nil
        for directory in temporaryDirectories {
            try? FileManager.default.removeItem(at: directory)
        }
        super.tearDown()
    }

    /// What every test socket starts from: it never lingers on close and never blocks longer
    /// than the test timeout.
    static var settings: ZMQSocketSettings {
        ZMQSocketSettings(lingerMilliseconds: 0, receiveTimeoutMilliseconds: timeoutMilliseconds,
                          sendTimeoutMilliseconds: timeoutMilliseconds)
    }

    /// A socket made by the socket factory with `settings` (``settings`` unless told), closed at
    /// tear-down.
    func socket(_ type: ZMQSocketType, settings: ZMQSocketSettings = ZMQTestCase.settings) throws -> ZMQSocket {
        let socket = try ZMQSocket.make(context: context, type: type, settings: settings)
        sockets.append(socket)
        return socket
    }

    /// A fresh directory for ipc socket files, short enough for the 107-byte sun_path limit.
    func temporaryDirectory() throws -> URL {
        let directory = URL(fileURLWithPath: "/tmp/stackd-zmq-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        temporaryDirectories.append(directory)
        return directory
    }

    /// Binds an XPUB publisher to `endpoint`, connects a SUB subscribed to `prefix`, and returns
    /// both once the subscription has reached the publisher, so the next publish is delivered.
    func connectedPubSub(endpoint: String, prefix: String) throws -> (pub: ZMQSocket, sub: ZMQSocket) {
        let pub = try socket(.xpub)
        try pub.bind(endpoint)
        let sub = try socket(.sub)
        try sub.connect(try pub.lastEndpoint)
        try sub.subscribe(prefix: prefix)
        let subscription = try pub.waitForSubscriber(timeoutMilliseconds: Int(Self.timeoutMilliseconds))
        XCTAssertEqual(subscription, Array(prefix.utf8))
        return (pub, sub)
    }
}
