import Foundation
import StackdJournal
import StackdStorage
import XCTest

/// A journal continued by a restarted daemon: sequences go on, the session is in the manifest,
/// and after a reboot (the monotonic clock restarted) stored times are shifted so they never go
/// backwards, with the shift and the matching clock offset recorded.
final class JournalSessionTests: XCTestCase {
    var directory: String!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("stackd-sessions-\(UUID().uuidString.prefix(8))").path
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: directory) }

    func frames(_ text: String) -> [[UInt8]] { [Array("pred.X.5.a".utf8), Array(text.utf8)] }

    func append(_ writer: JournalWriter, _ text: String, at time: Int64) throws {
        let f = frames(text)
        try f[0].withUnsafeBytes { t in try f[1].withUnsafeBytes { p in try writer.append(topic: t, payload: p, receivedAt: time) } }
    }

    func session(offset: Int64, endpoint: String) -> JournalManifest.Run {
        JournalManifest.Run(firstSequence: 0, createdAt: "2026-12-03T00:00:00Z", timeShiftNanoseconds: 0,
                            monotonicToUnixOffsetNanoseconds: offset, endpoints: [endpoint], bind: true, topics: ["pred."], note: "")
    }

    func testContinuedSessionAfterAClockRestartIsShiftedPastTheLastRecord() throws {
        let first = try JournalWriter(directory: directory, manifest: JournalManifest(
            endpoints: ["ipc:///run/a"], bind: true, topics: ["pred."], monotonicToUnixOffsetNanoseconds: 10_000))
        try append(first, "one", at: 1_000)
        try append(first, "two", at: 2_000)
        try first.close()

        // Rebooted: the clock now reads 500, below the last stored time 2000 → shift 1501.
        let second = try JournalWriter(continuing: directory, session: session(offset: 20_000, endpoint: "ipc:///run/b"), now: 500)
        try append(second, "three", at: 600)
        try second.close()

        let reader = try JournalReader(directory: directory)
        let entries = try reader.readAll()
        XCTAssertEqual(entries.map(\.sequence), [1, 2, 3], "sequences continue without a gap")
        XCTAssertEqual(entries.map(\.receivedAt), [1_000, 2_000, 2_101], "600 + 1501: never backwards")
        XCTAssertEqual(entries.last?.frames, frames("three"))
        let runs = try XCTUnwrap(reader.manifest.runs)
        XCTAssertEqual(runs.map(\.firstSequence), [1, 3])
        XCTAssertEqual(runs.map(\.timeShiftNanoseconds), [0, 1_501])
        XCTAssertEqual(runs.map(\.monotonicToUnixOffsetNanoseconds), [10_000, 20_000 - 1_501],
                       "stored time + offset is still the wall time of the receive")
        XCTAssertEqual(runs.map(\.endpoints), [["ipc:///run/a"], ["ipc:///run/b"]])
        XCTAssertEqual(reader.manifest.endpoints, ["ipc:///run/a"], "top level: the first session")

        // Same boot (clock past the last record): no shift; a third session is appended.
        let third = try JournalWriter(continuing: directory, session: session(offset: 30_000, endpoint: "ipc:///run/c"), now: 5_000)
        try append(third, "four", at: 5_000)
        try third.close()
        let again = try JournalReader(directory: directory)
        XCTAssertEqual(try again.readAll().map(\.receivedAt), [1_000, 2_000, 2_101, 5_000])
        XCTAssertEqual(again.manifest.runs?.map(\.timeShiftNanoseconds), [0, 1_501, 0])
        XCTAssertEqual(again.manifest.runs?.map(\.firstSequence), [1, 3, 4])
    }

    /// A restarted daemon continuing a journal whose segment header is damaged starts anyway: the
    /// segment is set aside (renamed, not deleted) and sequences go on after the records it held.
    func testContinuingAJournalWithADamagedSegmentHeaderSetsTheSegmentAside() throws {
        let first = try JournalWriter(directory: directory, manifest: JournalManifest(
            endpoints: ["ipc:///run/a"], bind: true, topics: ["pred."], monotonicToUnixOffsetNanoseconds: 0))
        try append(first, "one", at: 1_000)
        try append(first, "two", at: 2_000)
        try first.close()
        let segments = directory + "/" + JournalManifest.segmentsDirectory
        let name = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: segments).first { $0.hasSuffix(".sklog") })
        var bytes = [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: segments + "/" + name)))
        bytes[0] ^= 0x5A
        try Data(bytes).write(to: URL(fileURLWithPath: segments + "/" + name))

        let second = try JournalWriter(continuing: directory, session: session(offset: 0, endpoint: "ipc:///run/b"), now: 3_000)
        XCTAssertEqual(second.openReport.quarantined.map(\.quarantinedAs), [name + ".damaged"])
        XCTAssertEqual(second.openReport.quarantined.map(\.recordsLost), [2])
        try append(second, "three", at: 3_000)
        try second.close()

        XCTAssertEqual(FileManager.default.contents(atPath: segments + "/" + name + ".damaged"), Data(bytes))
        let reader = try JournalReader(directory: directory)
        let entries = try reader.readAll()
        XCTAssertEqual(entries.map(\.sequence), [3], "the two set-aside messages are a gap, not reused numbers")
        XCTAssertEqual(entries.first?.frames, frames("three"))
        XCTAssertEqual(reader.manifest.runs?.map(\.firstSequence), [1, 3])
        XCTAssertEqual(reader.corruptions, [])
    }

    func testContinuingADirectoryWithoutAJournalIsRefused() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        XCTAssertThrowsError(try JournalWriter(continuing: directory, session: session(offset: 0, endpoint: "x"), now: 1)) { error in
            guard case .notAJournal = error as? JournalError else { return XCTFail("\(error)") }
        }
    }
}
