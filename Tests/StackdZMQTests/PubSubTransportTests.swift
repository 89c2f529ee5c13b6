import Foundation
import StackdZMQ
import XCTest

/// PUB→SUB delivery over each transport the daemon may be configured with.
final class PubSubTransportTests: ZMQTestCase {
    func testInproc() throws {
        try assertDelivers(endpoint: "inproc://pubsub-\(UUID().uuidString)")
    }

    func testIpc() throws {
        let path = try temporaryDirectory().appendingPathComponent("pub.sock").path
        try assertDelivers(endpoint: "ipc://\(path)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: path), "bound ipc endpoint creates its file")
    }

    func testTcpLoopbackOnEphemeralPort() throws {
        let (pub, _) = try assertDelivers(endpoint: "tcp://127.0.0.1:*")
        let endpoint = try pub.lastEndpoint
        XCTAssertTrue(endpoint.hasPrefix("tcp://127.0.0.1:"), endpoint)
        let port = Int(endpoint.split(separator: ":").last ?? "")
        XCTAssertNotNil(port, "wildcard resolved to a numeric port: \(endpoint)")
        XCTAssertGreaterThan(port ?? 0, 0)
    }

    @discardableResult
    private func assertDelivers(endpoint: String) throws -> (pub: ZMQSocket, sub: ZMQSocket) {
        let (pub, sub) = try connectedPubSub(endpoint: endpoint, prefix: "model.")
        XCTAssertTrue(try pub.send(topic: "model.lgbm", payload: [0.25, 0.75].flatMap(bytes(of:))))

        let message = ZMQMessage()
        XCTAssertTrue(try sub.receive(into: message))
        XCTAssertEqual(message.string, "model.lgbm")
        XCTAssertTrue(try sub.receive(into: message))
        XCTAssertEqual(message.bytes, [0.25, 0.75].flatMap(bytes(of:)))
        return (pub, sub)
    }

    private func bytes(of value: Double) -> [UInt8] {
        withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) }
    }
}
