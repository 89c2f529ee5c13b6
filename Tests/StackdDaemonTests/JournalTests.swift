import Foundation
import StackdClock
import StackdDaemon
import StackdJournal
import StackdStorage
import StackdTestSupport
import StackdZMQ
import XCTest

/// The input journal: exact round trips, damage reported and skipped, and `stackd record` over
/// real ZeroMQ sockets.
final class JournalTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    var temporary: URL!

    override func setUpWithError() throws {
        temporary = FileManager.default.temporaryDirectory.appendingPathComponent("stackd-journal-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: temporary) }

    // MARK: - Helpers

    func manifest(note: String = "test") -> JournalManifest {
        JournalManifest(endpoints: ["ipc:///nowhere"], topics: [""], note: note, createdAt: Date(timeIntervalSince1970: 1_700_000_000),
                        monotonicToUnixOffsetNanoseconds: 1_700_000_000_000_000_000)
    }

    /// Deterministic frame bytes.
    static func bytes(_ seed: Int, count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: seed &* 131 &+ $0 &* 7 &+ ($0 >> 9)) }
    }

    /// Messages of every shape the recorder must keep as received.
    static func mixedMessages(count: Int) -> [JournalEntry] {
        (0..<count).map { i in
            let topic = Array("p.m\(i % 3).BTC-\(i)".utf8)
            let frames: [[UInt8]]
            switch i % 6 {
            case 0: frames = [topic, bytes(i, count: 40 + i % 17)]
            case 1: frames = [topic]                                        // one frame
            case 2: frames = [topic, bytes(i, count: 12), bytes(i + 1, count: 3)]  // three frames
            case 3: frames = [topic, []]                                    // empty payload
            case 4: frames = i % 12 == 4 ? [topic, bytes(i, count: 1 << 20)] : [topic, bytes(i, count: 300)]  // 1 MB
            default: frames = [[], bytes(i, count: 5)]                      // empty topic
            }
            return JournalEntry(sequence: UInt64(i + 1), receivedAt: 5_000_000_000 + Int64(i) * 1_000 + Int64(i % 3), frames: frames)
        }
    }

    /// Writes `messages` through each of the writer's append forms in turn.
    func write(_ messages: [JournalEntry], to directory: String, configuration: JournalConfiguration) throws {
        let writer = try JournalWriter(directory: directory, manifest: manifest(), configuration: configuration)
        for (i, m) in messages.enumerated() {
            switch i % 3 {
            case 0 where m.frames.count == 2:
                try m.frames[0].withUnsafeBytes { t in
                    try m.frames[1].withUnsafeBytes { p in try writer.append(topic: t, payload: p, receivedAt: m.receivedAt) }
                }
            case 1:
                writer.beginMessage()
                for frame in m.frames { frame.withUnsafeBytes { writer.addFrame($0) } }
                try writer.endMessage(receivedAt: m.receivedAt)
            default:
                try withBuffers(m.frames) { try writer.append(frames: $0, receivedAt: m.receivedAt) }
            }
        }
        XCTAssertEqual(writer.messageCount, messages.count)
        try writer.close()
    }

    func withBuffers(_ frames: [[UInt8]], _ body: ([UnsafeRawBufferPointer]) throws -> Void) throws {
        func nest(_ index: Int, _ acc: [UnsafeRawBufferPointer]) throws {
            if index == frames.count { return try body(acc) }
            try frames[index].withUnsafeBytes { try nest(index + 1, acc + [$0]) }
        }
        try nest(0, [])
    }

    func segmentFiles(_ journal: String) throws -> [String] {
        let dir = journal + "/segments"
        return try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".sklog") }.sorted()
    }

    // MARK: - Round trip

    func testMixedMessagesRoundTripExactlyAcrossRotationsAndFromATime() throws {
        let journal = temporary.appendingPathComponent("j").path
        let messages = Self.mixedMessages(count: 90)
        try write(messages, to: journal, configuration: JournalConfiguration(flush: .everyRecords(4), maxSegmentRecords: 10))

        let reader = try JournalReader(directory: journal)
        XCTAssertEqual(reader.manifest, manifest())
        XCTAssertEqual(reader.manifest.unixNanoseconds(receivedAt: 1), 1_700_000_000_000_000_001)
        let all = try reader.readAll()
        XCTAssertEqual(all.count, messages.count)
        XCTAssertEqual(all, messages)
        XCTAssertGreaterThan(reader.segments.count, 5, "rotation by records")
        XCTAssertEqual(try segmentFiles(journal).count, reader.segments.count)
        XCTAssertEqual(reader.corruptions, [])
        XCTAssertEqual(reader.malformedRecords.count, 0)

        XCTAssertEqual(all[1].frames.count, 1)
        XCTAssertNil(all[1].payload)
        XCTAssertEqual(all[2].frames.count, 3)
        XCTAssertEqual(all[3].payload, [])
        XCTAssertEqual(all[4].payload?.count, 1 << 20)
        XCTAssertEqual(all[0].topicString, "p.m0.BTC-0")

        for start in [0, 1, 37, 61, 89] {
            let from = try JournalReader(directory: journal).readAll(from: messages[start].receivedAt)
            XCTAssertEqual(from, Array(messages[start...]), "from the receive time of message \(start)")
        }
        XCTAssertEqual(try JournalReader(directory: journal).readAll(from: messages.last!.receivedAt + 1), [])
    }

    func testRotationBySizeAndRefusingAnExistingJournal() throws {
        let journal = temporary.appendingPathComponent("j").path
        let messages = Self.mixedMessages(count: 30)
        try write(messages, to: journal, configuration: JournalConfiguration(flush: .everyRecords(2), maxSegmentBytes: 4096, compress: false))
        let reader = try JournalReader(directory: journal)
        XCTAssertEqual(try reader.readAll(), messages)
        XCTAssertGreaterThan(reader.segments.count, 3)
        XCTAssertThrowsError(try JournalWriter(directory: journal, manifest: manifest())) { error in
            XCTAssertEqual(error as? JournalError, .alreadyExists(directory: journal))
        }
        // Segments without a manifest are refused too, and left untouched.
        try FileManager.default.removeItem(atPath: journal + "/journal.json")
        let before = try segmentFiles(journal)
        XCTAssertThrowsError(try JournalWriter(directory: journal, manifest: manifest()))
        XCTAssertEqual(try segmentFiles(journal), before)
    }

    /// The writer thread writes queued messages once the flush interval has passed on its own
    /// clock, with nothing from the ingest thread but the `record` calls.
    func testRecorderWritesQueuedMessagesWithinTheFlushInterval() throws {
        let journal = temporary.appendingPathComponent("j").path
        let recorder = try JournalRecorder(directory: journal, endpoints: ["ipc:///x"], bind: false, topics: [""],
                                           configuration: JournalConfiguration(flush: .interval(nanoseconds: 20_000_000)))
        let topic: [UInt8] = Array("p.a".utf8), payload: [UInt8] = [1, 2, 3]
        let t0 = Int64(MonotonicClock.nanoseconds())
        topic.withUnsafeBytes { t in payload.withUnsafeBytes { p in recorder.record(topic: t, payload: p, receivedAt: t0) } }
        recorder.beginMessage()
        topic.withUnsafeBytes { recorder.addFrame($0) }
        recorder.endMessage(receivedAt: t0 + 1)
        let expected = [JournalEntry(sequence: 1, receivedAt: t0, frames: [topic, payload]),
                        JournalEntry(sequence: 2, receivedAt: t0 + 1, frames: [topic])]
        let deadline = Date(timeIntervalSinceNow: 10)
        var read: [JournalEntry] = []
        while Date() < deadline {
            read = try JournalReader(directory: journal).readAll()
            if read.count == expected.count { break }
            usleep(5_000)
        }
        XCTAssertEqual(read, expected, "written by the writer thread without a close")
        XCTAssertEqual(recorder.messageCount, 2)
        try recorder.close()
        XCTAssertNil(recorder.takeFailure())
        XCTAssertFalse(recorder.isRecording)
    }

    /// A queue far smaller than what is recorded: records wrap around the ring, the ingest side
    /// waits for room instead of dropping, and a message larger than the queue is written in
    /// order too. Every message arrives, in order, byte for byte.
    func testRecorderQueueWrapsWaitsAndKeepsOrder() throws {
        let journal = temporary.appendingPathComponent("wrap").path
        let recorder = try JournalRecorder(directory: journal, endpoints: ["ipc:///x"], bind: false, topics: [""],
                                           queueBytes: 1 << 16)
        var expected: [JournalEntry] = []
        for i in 0..<3_000 {
            let topic = Array("p.m\(i % 7).S".utf8)
            let payload = Self.bytes(i, count: i == 1_500 ? 100_000 : (i * 37) % 900)
            expected.append(JournalEntry(sequence: UInt64(i + 1), receivedAt: Int64(i), frames: [topic, payload]))
            topic.withUnsafeBytes { t in payload.withUnsafeBytes { p in recorder.record(topic: t, payload: p, receivedAt: Int64(i)) } }
        }
        let one = Array("single".utf8)
        one.withUnsafeBytes { recorder.record(frames: CollectionOfOne($0), receivedAt: 3_000) }
        expected.append(JournalEntry(sequence: 3_001, receivedAt: 3_000, frames: [one]))
        recorder.record(frames: EmptyCollection<UnsafeRawBufferPointer>(), receivedAt: 3_001)
        expected.append(JournalEntry(sequence: 3_002, receivedAt: 3_001, frames: []))
        try recorder.close()
        XCTAssertEqual(recorder.messageCount, expected.count)
        let read = try JournalReader(directory: journal).readAll()
        XCTAssertEqual(read.count, expected.count)
        XCTAssertEqual(read, expected)
    }

    // MARK: - Damage

    func testTruncatedLastSegmentAndFlippedByteAreReportedAndTheRestIsRead() throws {
        let journal = temporary.appendingPathComponent("j").path
        let messages = (0..<60).map { i in
            JournalEntry(sequence: UInt64(i + 1), receivedAt: 1_000 + Int64(i),
                         frames: [Array("l.h5.SYM\(i)".utf8), Self.bytes(i, count: 200)])
        }
        // 3 segments of 20 messages, 4 blocks of 5 each.
        try write(messages, to: journal, configuration: JournalConfiguration(flush: .everyRecords(5), maxSegmentRecords: 20))
        let names = try segmentFiles(journal)
        XCTAssertEqual(names.count, 3)

        // A flipped byte in the middle of the second segment.
        let middle = journal + "/segments/" + names[1]
        var data = try Data(contentsOf: URL(fileURLWithPath: middle))
        let flipped = data.count / 2
        data[flipped] ^= 0x5A
        try data.write(to: URL(fileURLWithPath: middle))
        // A torn last segment: its last block loses its final 7 bytes.
        let last = journal + "/segments/" + names[2]
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: last))
        let lastSize = try handle.seekToEnd()
        try handle.truncate(atOffset: lastSize - 7)
        try handle.close()

        let reader = try JournalReader(directory: journal)
        let read = try reader.readAll()
        let corruptions = reader.corruptions
        XCTAssertEqual(corruptions.count, 2, "\(corruptions)")

        let middleReport = try XCTUnwrap(corruptions.first { $0.segment == names[1] })
        XCTAssertTrue([.corruptBlock, .corruptRegion].contains(middleReport.kind), "\(middleReport)")
        XCTAssertLessThanOrEqual(middleReport.byteOffset, flipped)
        XCTAssertGreaterThan(middleReport.byteOffset + middleReport.length, flipped)

        let tailReport = try XCTUnwrap(corruptions.first { $0.segment == names[2] })
        XCTAssertEqual(tailReport.kind, .tornTail)
        XCTAssertEqual(tailReport.byteOffset + tailReport.length, Int(lastSize) - 7)
        XCTAssertGreaterThan(tailReport.byteOffset, 40)

        // One block (5 messages) lost in each damaged segment, everything else read intact.
        XCTAssertEqual(read.count, 50)
        let bySequence = Dictionary(uniqueKeysWithValues: messages.map { ($0.sequence, $0) })
        for entry in read { XCTAssertEqual(entry, bySequence[entry.sequence]) }
        XCTAssertEqual(read.map(\.sequence), read.map(\.sequence).sorted())
        XCTAssertEqual(Array(read.prefix(20)), Array(messages.prefix(20)), "the first segment is whole")
        XCTAssertEqual(Array(read.suffix(15)), Array(messages[40..<55]), "the last segment up to its torn block")
        XCTAssertEqual(read.filter { (21...40).contains($0.sequence) }.count, 15)
    }

    // MARK: - stackd record over ZeroMQ

    /// A publisher that waits, through XPUB, for every subscription the recorder makes.
    final class Publisher {
        let context: ZMQContext
        let socket: ZMQSocket
        init(endpoint: String) throws {
            context = try ZMQContext()
            // Linger as libzmq's default (wait for delivery): the recorder reads what was sent.
            socket = try ZMQSocket.make(context: context, type: .xpub, settings: ZMQSocketSettings(
                lingerMilliseconds: -1, sendHighWaterMark: 0, xpubVerbose: true))
            try socket.bind(endpoint)
        }
        func waitForSubscriptions(_ count: Int) throws {
            for _ in 0..<count {
                XCTAssertNotNil(try socket.waitForSubscriber(timeoutMilliseconds: 30_000), "recorder subscribed")
            }
        }
        func send(_ frames: [[UInt8]]) throws {
            for (i, frame) in frames.enumerated() { try socket.send(frame, more: i < frames.count - 1) }
        }
        func close() {
            socket.close()
            context.terminate()
        }
    }

    /// What is published: matching messages of every shape, interleaved with messages on a topic
    /// the recorder does not subscribe to.
    static func published(count: Int) -> (all: [[[UInt8]]], recorded: [[[UInt8]]]) {
        var all: [[[UInt8]]] = [], recorded: [[[UInt8]]] = []
        for i in 0..<count {
            let frames: [[UInt8]]
            switch i % 5 {
            case 0: frames = [Array("p.m1.AAA".utf8), bytes(i, count: 64)]
            case 1: frames = [Array("l.h5.BBB".utf8), bytes(i, count: 24)]
            case 2: frames = [Array("p.only-topic".utf8)]
            case 3: frames = [Array("p.m2.CCC".utf8), [], bytes(i, count: 9)]
            default: frames = [Array("p.m3.DDD".utf8), []]
            }
            all.append([Array("x.ignored".utf8), bytes(i, count: 8)])
            all.append(frames)
            recorded.append(frames)
        }
        return (all, recorded)
    }

    func checkJournal(_ journal: String, holds expected: [[[UInt8]]], endpoint: String) throws {
        let reader = try JournalReader(directory: journal)
        let entries = try reader.readAll()
        XCTAssertEqual(reader.corruptions, [])
        XCTAssertEqual(entries.count, expected.count)
        XCTAssertEqual(entries.map(\.frames), expected)
        XCTAssertEqual(entries.map(\.sequence), (1...UInt64(expected.count)).map { $0 })
        XCTAssertEqual(entries.map(\.receivedAt), entries.map(\.receivedAt).sorted())
        XCTAssertEqual(reader.manifest.endpoints, [endpoint])
        XCTAssertEqual(reader.manifest.topics, ["p.", "l."])
        XCTAssertFalse(reader.manifest.bind)
        // The offset turns monotonic receive times into present-day dates.
        let date = reader.manifest.date(receivedAt: entries[0].receivedAt)
        XCTAssertLessThan(abs(date.timeIntervalSinceNow), 3600)
    }

    func testCaptureRecordsExactlyMaxMessagesInOrderOverIPC() throws {
        let endpoint = "ipc://\(temporary.path)/in.sock"
        let journal = temporary.appendingPathComponent("rec").path
        let count = 5_000
        let publisher = try Publisher(endpoint: endpoint)
        defer { publisher.close() }
        let options = JournalCaptureOptions(endpoints: [endpoint], directory: journal, topics: ["p.", "l."], note: "in-process",
                                            maxMessages: count)
        let done = DispatchSemaphore(value: 0)
        let outcome = Outcome()
        let thread = Thread {
            outcome.result = Result { try JournalCapture.run(options, stopRequested: { false }) }
            done.signal()
        }
        thread.start()
        try publisher.waitForSubscriptions(2)
        let (all, recorded) = Self.published(count: count + 10)
        for frames in all { try publisher.send(frames) }
        XCTAssertEqual(done.wait(timeout: .now() + 60), .success, "capture stopped on max messages")
        let summary = try XCTUnwrap(outcome.result).get()
        XCTAssertEqual(summary.messages, count)
        XCTAssertEqual(summary.stopReason, "max messages")
        XCTAssertEqual(summary.frameBytes, recorded.prefix(count).reduce(0) { $0 + $1.reduce(0) { $0 + $1.count } })
        XCTAssertGreaterThanOrEqual(summary.segments, 1)
        try checkJournal(journal, holds: Array(recorded.prefix(count)), endpoint: endpoint)
        XCTAssertEqual(try JournalReader(directory: journal).manifest.note, "in-process")
    }

    func testRecordCommandStopsOnMaxMessages() throws {
        let binary = Repository.stackdBinary
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            XCTFail("\(binary.path) is missing: build with `swift build --build-tests` first")
            return
        }
        let endpoint = "ipc://\(temporary.path)/cli.sock"
        let journal = temporary.appendingPathComponent("cli").path
        let count = 1_000
        let publisher = try Publisher(endpoint: endpoint)
        defer { publisher.close() }
        let child = try CapturedProcess(executable: binary, arguments: [
            "record", "--endpoint", endpoint, "--topic", "p.", "--topic", "l.", "--out", journal,
            "--max-messages", "\(count)", "--seconds", "60", "--no-compress"])
        try publisher.waitForSubscriptions(2)
        let (all, recorded) = Self.published(count: count)
        for frames in all { try publisher.send(frames) }
        let finished = child.finish(timeout: 90)
        let text = finished.stdout
        XCTAssertFalse(finished.timedOut, "stackd record did not stop")
        XCTAssertEqual(finished.status, 0, finished.stderr)
        XCTAssertTrue(text.contains("recorded \(count) messages"), text)
        XCTAssertTrue(text.contains("stopped: max messages"), text)
        try checkJournal(journal, holds: recorded, endpoint: endpoint)
    }
}

private final class Outcome: @unchecked Sendable {
    var result: Result<JournalCaptureSummary, any Error>?
}
