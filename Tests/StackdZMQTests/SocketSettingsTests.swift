import Foundation
import StackdZMQ
import XCTest

/// The socket factory applies every setting it is given (read back from libzmq), runs the
/// security hook after the options and before any subscription, and its subscriptions reach a
/// publisher.
final class SocketSettingsTests: ZMQTestCase {
    struct Refused: Error, Equatable {}

    func testEverySettingIsAppliedAndReadsBack() throws {
        let settings = ZMQSocketSettings(lingerMilliseconds: 7, sendHighWaterMark: 45, receiveHighWaterMark: 123,
                                         receiveTimeoutMilliseconds: 250, sendTimeoutMilliseconds: 350, maxMessageSize: 4096)
        let socket = try ZMQSocket.make(context: context, type: .sub, settings: settings)
        defer { socket.close() }
        XCTAssertEqual(try socket.option(.lingerMilliseconds), 7)
        XCTAssertEqual(try socket.option(.sendHighWaterMark), 45)
        XCTAssertEqual(try socket.option(.receiveHighWaterMark), 123)
        XCTAssertEqual(try socket.option(.receiveTimeoutMilliseconds), 250)
        XCTAssertEqual(try socket.option(.sendTimeoutMilliseconds), 350)
        XCTAssertEqual(try socket.option(.maxMessageSize), 4096)
    }

    func testUnsetSettingsKeepLibzmqDefaults() throws {
        let socket = try ZMQSocket.make(context: context, type: .pub, settings: ZMQSocketSettings(lingerMilliseconds: 0))
        defer { socket.close() }
        XCTAssertEqual(try socket.option(.lingerMilliseconds), 0)
        XCTAssertEqual(try socket.option(.sendHighWaterMark), 1000, "libzmq's default")
        XCTAssertEqual(try socket.option(.maxMessageSize), -1, "libzmq's default: no limit")
        XCTAssertEqual(try socket.option(.sendTimeoutMilliseconds), -1, "libzmq's default: wait forever")
    }

    func testSecurityRunsAfterTheOptionsAndItsFailureIsRethrown() throws {
        var lingerSeenBySecurity: Int32?
        let settings = ZMQSocketSettings(lingerMilliseconds: 3)
        let socket = try ZMQSocket.make(context: context, type: .xpub, settings: settings) {
            lingerSeenBySecurity = try $0.option(.lingerMilliseconds)
        }
        socket.close()
        XCTAssertEqual(lingerSeenBySecurity, 3)
        XCTAssertThrowsError(try ZMQSocket.make(context: context, type: .xpub, settings: settings) { _ in throw Refused() }) {
            XCTAssertEqual($0 as? Refused, Refused())
        }
    }

    func testSubscriptionsReachThePublisher() throws {
        let publisher = try ZMQSocket.make(context: context, type: .xpub,
                                           settings: ZMQSocketSettings(lingerMilliseconds: 0, xpubVerbose: true))
        defer { publisher.close() }
        try publisher.bind("inproc://socket-settings-\(UUID().uuidString)")
        let subscriber = try ZMQSocket.make(context: context, type: .sub,
                                            settings: ZMQSocketSettings(lingerMilliseconds: 0, subscriptions: ["ens."]))
        defer { subscriber.close() }
        try subscriber.connect(try publisher.lastEndpoint)
        let subscription = try publisher.waitForSubscriber(timeoutMilliseconds: Int(Self.timeoutMilliseconds))
        XCTAssertEqual(subscription, Array("ens.".utf8))
    }
}
