import StackdCore
import StackdDaemon
import StackdZMQ

/// Watches a replay from the driving thread. All calls come from the thread running
/// `ReplayRunner.run`, never concurrently, and none of them can change what the replay computes.
public protocol ReplayObserver: AnyObject {
    /// Once, before the first message, with the pipeline's model names (sorted, as on the wire).
    func replayWillStart(modelNames: [String])
    /// Before each recorded message (or journal entry) is handed to the pipeline, with its
    /// driver time: where a paced replay sleeps.
    func willDeliver(at driverTime: Int64)
    /// Each ensemble output, after the replay's digest has taken it. Buffers are borrowed for
    /// the duration of the call.
    func emitted(_ emission: EnsembleEmission)
}

/// `stackd replay --publish`: publishes every ensemble output of a replay on a PUB/XPUB socket
/// exactly as the live daemon's `EnsemblePublisher` does — topic `ens.<symbol>.<horizon>`,
/// binary or JSON payload from `WireEncoder`, model names from the pipeline — optionally paced
/// in driver time by a `ReplayPacer`.
///
/// One difference from live: `latency_ns` is 0. The live value is the wall time from the
/// completing message's receipt to encoding, which a replay does not have (its driver time is a
/// recorded clock), and 0 keeps the published bytes a pure function of the recording.
public final class PacedPublisher: ReplayObserver {
    public let socket: ZMQSocket
    public var encoding: PayloadEncoding { encoder.encoding }
    public let pacer: ReplayPacer?
    public var modelNames: [String] { encoder.modelNames }
    /// Outputs handed to ZeroMQ; sends that failed (PUB never refuses; a closed socket would).
    public private(set) var published = 0
    public private(set) var sendFailures = 0
    private let encoder: EnsembleMessageEncoder

    /// - Parameters:
    ///   - socket: a bound (or connected) PUB or XPUB socket, owned by the calling thread.
    ///   - pacer: nil or an unpaced speed publishes as fast as the replay runs.
    public init(socket: ZMQSocket, encoding: PayloadEncoding, pacer: ReplayPacer? = nil) {
        self.socket = socket
        self.pacer = pacer
        encoder = EnsembleMessageEncoder(encoding: encoding)
    }

    /// Creates an XPUB socket for a replay's outputs in `context`, bound to `endpoint`:
    /// verbose (so every subscription is seen by `waitForSubscriptions`), with the given send
    /// high-water mark (0 = unlimited) and a linger long enough to flush the tail on close.
    /// With CURVE `security`, the socket is a CURVE server admitting its allow-list.
    public static func makeSocket(context: ZMQContext, endpoint: String, sendHighWaterMark: Int32,
                                  lingerMilliseconds: Int32 = 10_000, security: SocketSecurity = .plaintext()) throws -> ZMQSocket {
        let socket = try ZMQSocket.make(
            context: context, type: .xpub,
            settings: ZMQSocketSettings(lingerMilliseconds: lingerMilliseconds, sendHighWaterMark: sendHighWaterMark,
                                        xpubVerbose: true)) {
            try security.apply(to: $0, role: .server, label: "publish")
        }
        do {
            try socket.bind(endpoint)
        } catch {
            socket.close()
            throw error
        }
        return socket
    }

    /// Blocks until `count` subscriptions have reached the (XPUB) socket — readiness, not a
    /// sleep — so that consumers started before the replay miss nothing. Each subscribed topic
    /// prefix counts once per subscriber (a consumer subscribing to two prefixes counts twice).
    /// Returns the prefixes seen, or throws `PacedPublisherError.notEnoughSubscribers` when the
    /// timeout (ms, -1 = forever) passes first.
    @discardableResult
    public func waitForSubscriptions(_ count: Int, timeoutMilliseconds: Int = -1) throws -> [[UInt8]] {
        var seen: [[UInt8]] = []
        while seen.count < count {
            guard let prefix = try socket.waitForSubscriber(timeoutMilliseconds: timeoutMilliseconds) else {
                throw PacedPublisherError.notEnoughSubscribers(expected: count, seen: seen.count)
            }
            seen.append(prefix)
        }
        return seen
    }

    public func replayWillStart(modelNames: [String]) { encoder.modelNames = modelNames }

    public func willDeliver(at driverTime: Int64) { pacer?.pace(to: driverTime) }

    public func emitted(_ e: EnsembleEmission) {
        let ok = encoder.withMessage(e, latencyNanoseconds: 0) { topic, payload in
            (try? socket.send(topic: topic, payload: payload, dontWait: true)) ?? false
        }
        if ok { published += 1 } else { sendFailures += 1 }
    }
}

public enum PacedPublisherError: Error, CustomStringConvertible {
    case notEnoughSubscribers(expected: Int, seen: Int)

    public var description: String {
        switch self {
        case .notEnoughSubscribers(let expected, let seen):
            "timed out waiting for subscribers: \(seen) of \(expected) subscriptions arrived"
        }
    }
}
