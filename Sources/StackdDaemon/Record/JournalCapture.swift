import Foundation
import Logging
import StackdClock
import StackdJournal
import StackdZMQ

/// What to record and when to stop: the options of `stackd record`.
package struct JournalCaptureOptions: Sendable {
    /// Endpoints to subscribe through.
    package var endpoints: [String]
    /// Bind the endpoints (publishers connect to us) instead of connecting to them.
    package var bind: Bool
    /// Topic prefixes to subscribe to; `[""]` records everything.
    package var topics: [String]
    /// The new journal's directory.
    package var directory: String
    /// Stored in the manifest.
    package var note: String
    /// Stop after this many messages (nil: no limit).
    package var maxMessages: Int?
    /// Stop after this many seconds (nil: no limit).
    package var maxSeconds: Double?
    /// Messages libzmq may queue before dropping for this subscriber: generous, because a
    /// recorder that drops during a burst records a stream that never existed.
    package var receiveHighWaterMark: Int32
    /// Rotation and flushing.
    package var configuration: JournalConfiguration
    /// CURVE: this recorder's secret key file; nil records in plaintext.
    package var curveSecretKeyFile: String?
    /// CURVE when connecting: the publisher's public key file.
    package var curveServerKeyFile: String?
    /// CURVE when binding: the directory of allowed publishers' public keys.
    package var clientKeysDirectory: String?
    /// Bind a non-loopback tcp endpoint without CURVE (refused otherwise).
    package var allowPlaintextRemote = false

    /// Creates options; only the endpoints and the directory are required.
    package init(endpoints: [String], directory: String, bind: Bool = false, topics: [String] = [""], note: String = "",
                maxMessages: Int? = nil, maxSeconds: Double? = nil, receiveHighWaterMark: Int32 = 4_000_000,
                configuration: JournalConfiguration = JournalConfiguration()) {
        self.endpoints = endpoints
        self.directory = directory
        self.bind = bind
        self.topics = topics.isEmpty ? [""] : topics
        self.note = note
        self.maxMessages = maxMessages
        self.maxSeconds = maxSeconds
        self.receiveHighWaterMark = receiveHighWaterMark
        self.configuration = configuration
    }
}

/// What a capture recorded.
package struct JournalCaptureSummary: Sendable, Equatable, CustomStringConvertible {
    /// Messages recorded.
    package var messages: Int
    /// Frame bytes received (topics and payloads).
    package var frameBytes: Int
    /// Bytes of segment files on disk (compressed).
    var storedBytes: Int
    /// Segment files written.
    package var segments: Int
    /// Frames beyond the 255 a record can hold, not stored.
    package var droppedFrames: Int
    /// From the first poll to the last message written.
    package var seconds: Double
    /// Why the capture ended.
    package var stopReason: String

    /// Messages per second over `seconds`.
    package var rate: Double { seconds > 0 ? Double(messages) / seconds : 0 }

    /// One line for humans.
    package var description: String {
        var line = "recorded \(messages) messages (\(frameBytes) bytes, \(storedBytes) on disk) in \(segments) segments"
            + " over \(String(format: "%.3f", seconds)) s (\(Int(rate.rounded())) msg/s); stopped: \(stopReason)"
        if droppedFrames > 0 { line += "; \(droppedFrames) frames beyond 255 per message not stored" }
        return line
    }
}

/// Records a set of ZeroMQ endpoints into a journal on the calling thread: the body of
/// `stackd record`, kept here so it can be tested in-process.
///
/// Built for bursts of about a million messages per second: frames are received zero-copy into
/// one reused `ZMQMessage` and encoded straight into the writer's buffer, up to 8192 messages
/// are drained per poll, and blocks are written by the writer's interval policy, never per
/// message.
package enum JournalCapture {
    /// Records until `stopRequested()` (checked at least every 100 ms), `maxMessages` or
    /// `maxSeconds`; the journal is closed (flushed and fsynced) before returning.
    ///
    /// Run it on a dedicated thread: it blocks in `zmq_poll`.
    package static func run(_ options: JournalCaptureOptions, logger: Logger = Logger(label: "stackd.record"),
                           stopRequested: () -> Bool) throws -> JournalCaptureSummary {
        try PlaintextExposure.check(bound: options.bind ? options.endpoints : [], curve: options.curveSecretKeyFile != nil,
                                    allowed: options.allowPlaintextRemote, hint: "give --curve-secret-key and --client-keys")
        let context = try ZMQContext()
        defer { context.terminate() }
        let security = try makeSecurity(options, context: context, logger: logger)
        defer { security.stop() }
        // Subscriptions before the first connection, so they travel with the handshake.
        let socket = try ZMQSocket.make(
            context: context, type: .sub,
            settings: ZMQSocketSettings(lingerMilliseconds: 0, receiveHighWaterMark: options.receiveHighWaterMark,
                                        subscriptions: options.topics)) { socket in
            if options.bind {
                try security.apply(to: socket, role: .server, label: "record")
            } else if let serverKeyFile = options.curveServerKeyFile {
                try security.apply(to: socket, role: .client(serverPublicKey: try CurveKeyFile.readPublicKey(path: serverKeyFile)),
                                   label: "record")
            }
        }
        defer { socket.close() }
        for endpoint in options.endpoints {
            if options.bind { try socket.bind(endpoint) } else { try socket.connect(endpoint) }
        }
        let manifest = JournalManifest(endpoints: options.endpoints, bind: options.bind, topics: options.topics,
                                       note: options.note,
                                       monotonicToUnixOffsetNanoseconds: JournalManifest.currentClockOffset())
        let writer = try JournalWriter(directory: options.directory, manifest: manifest, configuration: options.configuration)
        let frame = ZMQMessage()
        var items = [ZMQPollItem(socket: socket)]
        let start = Int64(bitPattern: MonotonicClock.nanoseconds())
        let deadline = options.maxSeconds.map { start + Int64($0 * 1e9) }
        let limit = options.maxMessages ?? Int.max
        var end = start
        var reason = "signal"
        loop: while true {
            let now = Int64(bitPattern: MonotonicClock.nanoseconds())
            if writer.messageCount >= limit { reason = "max messages"; break }
            if let deadline, now >= deadline { reason = "max seconds"; break }
            if stopRequested() { break }
            var timeout = 100
            if let deadline { timeout = max(0, min(timeout, Int((deadline - now + 999_999) / 1_000_000))) }
            do {
                try ZMQSocket.poll(&items, timeoutMilliseconds: timeout)
            } catch let error as ZMQError where error.isInterrupted {
                continue
            }
            if items[0].isReadable {
                var batch = 0
                while batch < 8192, writer.messageCount < limit {
                    guard try socket.receive(into: frame, dontWait: true) else { break }
                    let receivedAt = Int64(bitPattern: MonotonicClock.nanoseconds())
                    writer.beginMessage()
                    frame.withUnsafeBytes { writer.addFrame($0) }
                    // The rest of a multi-frame message is already queued: libzmq delivers
                    // messages atomically.
                    while frame.hasMore {
                        guard try socket.receive(into: frame) else { break }
                        frame.withUnsafeBytes { writer.addFrame($0) }
                    }
                    try writer.endMessage(receivedAt: receivedAt)
                    end = receivedAt
                    batch += 1
                }
            }
            try writer.tick(now: Int64(bitPattern: MonotonicClock.nanoseconds()))
        }
        try writer.close()
        let stored = (try? JournalReader(directory: options.directory).segments.reduce(0) { $0 + $1.byteSize }) ?? 0
        if writer.messageCount == 0 { end = Int64(bitPattern: MonotonicClock.nanoseconds()) }
        return JournalCaptureSummary(
            messages: writer.messageCount, frameBytes: writer.frameBytes, storedBytes: stored,
            segments: writer.segmentCount, droppedFrames: writer.droppedFrames,
            seconds: Double(end - start) / 1e9, stopReason: reason)
    }

    /// Plaintext, or CURVE in the role the endpoints imply: a client of the publisher when
    /// connecting (its public key needed), a server with an allow-list when binding.
    static func makeSecurity(_ options: JournalCaptureOptions, context: ZMQContext, logger: Logger) throws -> SocketSecurity {
        guard let secret = options.curveSecretKeyFile else {
            if options.curveServerKeyFile != nil || options.clientKeysDirectory != nil {
                throw SecurityError("--curve-server-key and --client-keys need --curve-secret-key (this recorder's key)")
            }
            return .plaintext()
        }
        if options.bind {
            guard let directory = options.clientKeysDirectory else {
                throw SecurityError("--bind with --curve-secret-key needs --client-keys DIR (the publishers allowed to connect)")
            }
            return try SocketSecurity(context: context, secretKeyFile: secret, clientKeysDirectory: directory, logger: logger)
        }
        guard options.curveServerKeyFile != nil else {
            throw SecurityError("connecting with --curve-secret-key needs --curve-server-key FILE (the publisher's public key)")
        }
        return try SocketSecurity(context: context, secretKeyFile: secret, clientKeysDirectory: nil, logger: logger)
    }
}
