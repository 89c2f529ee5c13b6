import Foundation
import Logging
import StackdCore
import StackdDaemon
import StackdReplay
import StackdTestSupport
import StackdZMQ
import XCTest

/// `stackd replay --publish --speed`: a paced replay publishes exactly the outputs it counted, in
/// order, byte-identical to the live encoding, without changing the digest; and the pacing
/// arithmetic (due wall time per driver time, anchored, drift-free) against an injected clock.
/// Nothing here measures time: readiness is awaited, and the clock tests use a fake clock.
final class PacedReplayTests: XCTestCase {
    // MARK: Publishing

    func testPacedBinaryPublishingDeliversEveryOutputInOrderAndKeepsTheDigest() throws {
        try checkPublishing(encoding: .binary)
    }

    func testPacedJSONPublishingUsesTheConfiguredModelNames() throws {
        try checkPublishing(encoding: .json)
    }

    private func checkPublishing(encoding: PayloadEncoding, file: StaticString = #filePath, line: UInt = #line) throws {
        let (config, events) = try Self.syntheticReplay()
        var logger = Logger(label: "test")
        logger.logLevel = .error

        // Reference: an unpaced replay with no observer, and one that records every emission.
        let plain = try ReplayRunner(configuration: config, trainer: nil, logger: logger).run(events: events)
        let recorder = EmissionRecorder()
        var recorded = ReplayRunner(configuration: config, trainer: nil, logger: logger)
        recorded.observer = recorder
        XCTAssertEqual(try recorded.run(events: events).digest, plain.digest, "observing changes nothing", file: file, line: line)
        let outputs = plain.counters.outputsPerHorizon.reduce(0, +)
        XCTAssertEqual(recorder.emissions.count, outputs, file: file, line: line)
        XCTAssertGreaterThan(outputs, 100, file: file, line: line)
        XCTAssertEqual(recorder.modelNames, ["a", "b", "c"], file: file, line: line)
        XCTAssertTrue(Set(recorder.emissions.map(\.completion)).isSuperset(of: [.complete, .deadline]),
                      "the stream exercises deadline emissions too", file: file, line: line)

        // Paced publish to a subscriber that is connected before the replay starts.
        let context = try ZMQContext()
        defer { context.terminate() }
        let pub = try PacedPublisher.makeSocket(context: context, endpoint: "inproc://paced-\(encoding.rawValue)",
                                                sendHighWaterMark: 0, lingerMilliseconds: 0)
        defer { pub.close() }
        let sub = try ZMQSocket.make(context: context, type: .sub, settings: ZMQSocketSettings(
            lingerMilliseconds: 0, receiveHighWaterMark: 0, receiveTimeoutMilliseconds: 5000, subscriptions: ["ens."]))
        defer { sub.close() }
        try sub.connect(try pub.lastEndpoint)

        // Driver times are 10 ms apart: ×1e6 paces for real (sleeps of ~10 ns) yet finishes at once.
        let pacer = ReplayPacer(speed: ReplaySpeed(factor: 1e6))
        let publisher = PacedPublisher(socket: pub, encoding: encoding, pacer: pacer)
        XCTAssertEqual(try publisher.waitForSubscriptions(1, timeoutMilliseconds: 5000), [Array("ens.".utf8)], file: file, line: line)
        var paced = ReplayRunner(configuration: config, trainer: nil, logger: logger)
        paced.observer = publisher
        let result = try paced.run(events: events)

        XCTAssertEqual(result.digest, plain.digest, "pacing and publishing do not change the outputs", file: file, line: line)
        XCTAssertEqual(result.counters.outputsPerHorizon, plain.counters.outputsPerHorizon, file: file, line: line)
        XCTAssertEqual(publisher.published, outputs, file: file, line: line)
        XCTAssertEqual(publisher.sendFailures, 0, file: file, line: line)
        XCTAssertEqual(publisher.modelNames, ["a", "b", "c"], file: file, line: line)
        XCTAssertEqual(pacer.anchor?.driver, events.first.map { $0.eventTime }, "the first message anchors pacing", file: file, line: line)

        let message = ZMQMessage()
        for (i, expected) in recorder.emissions.enumerated() {
            XCTAssertTrue(try sub.receive(into: message), "output \(i) arrived", file: file, line: line)
            XCTAssertEqual(message.string, "ens.\(expected.symbol).\(expected.horizon)", file: file, line: line)
            XCTAssertTrue(message.hasMore, file: file, line: line)
            XCTAssertTrue(try sub.receive(into: message), file: file, line: line)
            XCTAssertFalse(message.hasMore, file: file, line: line)
            switch encoding {
            case .binary:
                XCTAssertEqual(message.bytes, expected.binary, "output \(i): bytes of the live encoding", file: file, line: line)
                // Independently of the encoder: the fields the schema puts at fixed offsets.
                let b = message.bytes
                XCTAssertEqual(Array(b[0..<4]), [UInt8(ascii: "S"), UInt8(ascii: "K"), 1, 3], file: file, line: line)
                XCTAssertEqual(Self.u32(b, 8), UInt32(expected.horizon), file: file, line: line)
                XCTAssertEqual(Int64(bitPattern: Self.u64(b, 16)), expected.eventTime, file: file, line: line)
                XCTAssertEqual(Self.u64(b, 24), expected.sequence, file: file, line: line)
                XCTAssertEqual(Self.u64(b, 32), expected.presentMask, file: file, line: line)
                XCTAssertEqual(Self.u64(b, 40), 0, "latency_ns is 0 in a replay", file: file, line: line)
                XCTAssertEqual((0..<expected.probabilities.count).map { Double(bitPattern: Self.u64(b, 56 + 8 * $0)) },
                               expected.probabilities, file: file, line: line)
            case .json:
                XCTAssertEqual(message.string, expected.json, "output \(i): the live JSON", file: file, line: line)
                let object = try JSONSerialization.jsonObject(with: Data(message.bytes)) as? [String: Any]
                XCTAssertEqual(object?["seq"] as? Int, Int(expected.sequence), file: file, line: line)
                XCTAssertEqual(object?["latency_ns"] as? Int, 0, file: file, line: line)
                XCTAssertEqual((object?["models"] as? [String]).map(Set.init)?.isSubset(of: ["a", "b", "c"]), true, file: file, line: line)
            }
        }
        XCTAssertFalse(try sub.receive(into: message, dontWait: true), "nothing beyond the counted outputs", file: file, line: line)
    }

    /// Three models, horizons 5 and 10, one symbol; predictions 10 ms apart in driver time (the
    /// demo configuration's deadline is 50 ms), model c missing every 7th row so those rows are
    /// emitted at their deadline, labels delivered at exit.
    static func syntheticReplay() throws -> (DaemonConfiguration, [StreamEvent]) {
        var config = try ConfigurationLoader.parse(EmbeddedConfiguration.demo, source: "<demo>")
        config.pipeline.models = ["a", "b", "c"]   // sorted, as the loader leaves them
        config.pipeline.horizons = [5, 10]
        var rng = SplitMix64(seed: 11)
        func uniform() -> Double { rng.uniform() }
        let step: Int64 = 10_000_000
        let base: Int64 = 1_700_000_000_000_000_000
        var events: [StreamEvent] = []
        for t in 1...200 {
            let time = base + Int64(t) * step
            for h in [5, 10] {
                for m in ["a", "b", "c"] where !(m == "c" && t % 7 == 0) {
                    let w = (0..<3).map { _ in uniform() + 0.05 }
                    events.append(StreamEvent(symbol: "SPX", horizon: h, eventTime: time,
                                              kind: .prediction(model: m, probabilities: w.map { $0 / w.reduce(0, +) })))
                }
                if t > h {
                    events.append(StreamEvent(symbol: "SPX", horizon: h, eventTime: time - Int64(h) * step,
                                              kind: .label(classIndex: Int(uniform() * 3), forwardReturn: uniform() - 0.5,
                                                           exitTime: time)))
                }
            }
        }
        return (config, events)
    }

    static func u32(_ b: [UInt8], _ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(b[at + $1]) << (8 * $1) } }
    static func u64(_ b: [UInt8], _ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(b[at + $1]) << (8 * $1) } }

    // MARK: Pacing arithmetic (no real time)

    func testDueWallTimeIsAnchorPlusDriverElapsedOverFactor() {
        let epoch: Int64 = 1_700_000_000_000_000_000   // epoch ns: beyond Double's exact integers
        let day: Int64 = 86_400_000_000_000
        XCTAssertEqual(ReplayPacer.dueWallTime(driverTime: epoch + day, driverAnchor: epoch, wallAnchor: 42, factor: 86_400),
                       42 + 1_000_000_000, "one day at 1d/1s is due one second after the anchor")
        XCTAssertEqual(ReplayPacer.dueWallTime(driverTime: epoch + day, driverAnchor: epoch, wallAnchor: 42, factor: 8_640_000),
                       42 + 10_000_000, "1d/10ms")
        XCTAssertEqual(ReplayPacer.dueWallTime(driverTime: epoch + 3 * day, driverAnchor: epoch, wallAnchor: 0, factor: 1),
                       UInt64(3 * day), "real time")
        XCTAssertEqual(ReplayPacer.dueWallTime(driverTime: epoch, driverAnchor: epoch, wallAnchor: 7, factor: 2), 7)
        XCTAssertEqual(ReplayPacer.dueWallTime(driverTime: epoch - day, driverAnchor: epoch, wallAnchor: 7, factor: 2), 7,
                       "a driver time before the anchor is due at once")
        XCTAssertEqual(ReplayPacer.dueWallTime(driverTime: .max, driverAnchor: .min, wallAnchor: 7, factor: 1e-9), .max,
                       "saturates instead of overflowing")
    }

    func testPacerSleepsUntilEachDueTimeFromOneAnchor() {
        let clock = FakeClock(now: 5_000)
        let pacer = ReplayPacer(speed: ReplaySpeed(factor: 2), clock: clock)
        pacer.pace(to: 100)                 // anchor: driver 100 ↔ wall 5000
        XCTAssertEqual(clock.sleeps, [])
        pacer.pace(to: 100)                 // same driver time: due now
        pacer.pace(to: 300)                 // +200 driver → +100 wall
        pacer.pace(to: 1_100)               // +1000 driver → +500 wall
        XCTAssertEqual(clock.sleeps, [5_100, 5_500])
        XCTAssertEqual(pacer.sleeps, 2)
        XCTAssertEqual(pacer.sleptNanoseconds, 500)
    }

    func testWorkBetweenMessagesDoesNotAccumulateDrift() {
        // Each message costs 30 ns of processing: sleeps shrink to absorb it, and the due times
        // stay on the anchor's schedule (cumulative sleeps would drift by 30 ns per message).
        let clock = FakeClock(now: 0)
        let pacer = ReplayPacer(speed: ReplaySpeed(factor: 1), clock: clock)
        for t in stride(from: Int64(1_000), through: 1_500, by: 100) {
            pacer.pace(to: t)
            clock.time += 30
        }
        XCTAssertEqual(clock.sleeps, [100, 200, 300, 400, 500])
        XCTAssertEqual(pacer.sleptNanoseconds, 5 * 70)
    }

    func testALateMessageGoesAtOnceAndTheScheduleHolds() {
        let clock = FakeClock(now: 0)
        let pacer = ReplayPacer(speed: ReplaySpeed(factor: 10), clock: clock)
        pacer.pace(to: 0)
        clock.time = 5_000                   // e.g. an inline retrain took 5 µs
        pacer.pace(to: 10_000)              // due at 1000: already late, no sleep
        pacer.pace(to: 60_000)              // due at 6000 on the original schedule
        pacer.pace(to: 70_000)
        XCTAssertEqual(clock.sleeps, [6_000, 7_000])
    }

    func testUnpacedNeverReadsTheClock() {
        let clock = FakeClock(now: 0)
        let pacer = ReplayPacer(speed: .unpaced, clock: clock)
        for t in [Int64(0), 1_000_000_000, 2_000_000_000] { pacer.pace(to: t) }
        XCTAssertEqual(clock.reads, 0)
        XCTAssertEqual(clock.sleeps, [])
        XCTAssertNil(pacer.anchor)
    }

    func testSpeedParsing() throws {
        XCTAssertEqual(try ReplaySpeed.parse("0"), .unpaced)
        XCTAssertEqual(try ReplaySpeed.parse("1").factor, 1)
        XCTAssertEqual(try ReplaySpeed.parse("8640000").factor, 8_640_000)
        XCTAssertEqual(try ReplaySpeed.parse("1d/1s").factor, 86_400)
        XCTAssertEqual(try ReplaySpeed.parse("1d/10ms").factor, 8_640_000)
        XCTAssertEqual(try ReplaySpeed.parse("1h/1s").factor, 3_600)
        XCTAssertEqual(try ReplaySpeed.parse("500ms/1ms").factor, 500)
        XCTAssertEqual(try ReplaySpeed.parse("2m/1").factor, 120)
        XCTAssertEqual(try ReplaySpeed.parse("1us/1ns").factor, 1_000)
        for bad in ["-1", "fast", "1d/0s", "0s/1s", "1d/1s/1s", "", "inf", "1x/1s"] {
            XCTAssertThrowsError(try ReplaySpeed.parse(bad), bad)
        }
    }
}

/// Records what a replay emitted, with the bytes the live `EnsemblePublisher` encoding gives
/// (latency 0, as replay publishes).
private final class EmissionRecorder: ReplayObserver {
    struct Output {
        var symbol: String, horizon: Int, eventTime: Int64, sequence: UInt64, presentMask: UInt64
        var probabilities: [Double], completion: RowCompletion
        var binary: [UInt8], json: String
    }
    var modelNames: [String] = []
    var emissions: [Output] = []
    var deliveries = 0
    let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1024, alignment: 8)
    deinit { scratch.deallocate() }

    func replayWillStart(modelNames: [String]) { self.modelNames = modelNames }
    func willDeliver(at driverTime: Int64) { deliveries += 1 }
    func emitted(_ e: EnsembleEmission) {
        let n = WireEncoder.writeBinaryEnsemble(e, latencyNanoseconds: 0, into: scratch)
        emissions.append(Output(symbol: String(decoding: e.symbol, as: UTF8.self), horizon: e.horizon, eventTime: e.eventTime,
                                sequence: e.sequence, presentMask: e.presentMask, probabilities: Array(e.probabilities),
                                completion: e.completion, binary: Array(scratch[0..<n]),
                                json: WireEncoder.jsonEnsemble(e, modelNames: modelNames, latencyNanoseconds: 0)))
    }
}

/// A clock that only moves when told to, or when slept on (to the deadline).
private final class FakeClock: PacingClock {
    var time: UInt64
    private(set) var sleeps: [UInt64] = []
    private(set) var reads = 0
    init(now: UInt64) { time = now }
    func now() -> UInt64 { reads += 1; return time }
    func sleep(until deadline: UInt64) {
        sleeps.append(deadline)
        time = max(time, deadline)
    }
}
