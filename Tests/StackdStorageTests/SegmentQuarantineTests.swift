import Foundation
import XCTest
@testable import StackdStorage

/// A segment whose 40-byte header is damaged is set aside (renamed `<name>.damaged`, never
/// deleted) when a writer opens the log, whichever segment it is, so one flipped byte never
/// keeps the log from opening; the records it held are inferred from the neighbours' names
/// (or, for the newest segment, from its intact block headers).
final class SegmentQuarantineTests: StorageTestCase {
    /// Writes records 1…`count`, one block per 5 records and one segment per 10.
    private func writeLog(records count: Int) throws {
        var configuration = LogConfiguration(flush: .everyRecords(5))
        configuration.maxSegmentRecords = 10
        let writer = try LogWriter(directory: directory, configuration: configuration)
        for sequence in 1...UInt64(count) {
            try writer.append(sequence: sequence, timestamp: Int64(sequence), payload: Self.payload(sequence, length: 24))
        }
        try writer.close()
    }

    /// XORs the segment header (bytes 0..<40) with 0x5A, as the reliability suite does.
    private func damageHeader(_ path: String) throws -> Data {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        for index in 0..<SegmentHeader.size { bytes[index] ^= 0x5A }
        let damaged = Data(bytes)
        try damaged.write(to: URL(fileURLWithPath: path))
        return damaged
    }

    private func expected(_ range: ClosedRange<UInt64>) -> [LogRecord] {
        range.map { LogRecord(sequence: $0, timestamp: Int64($0), payload: Self.payload($0, length: 24)) }
    }

    func testDamagedHeaderOfTheOnlySegmentIsSetAsideAndTheLogOpens() throws {
        try writeLog(records: 8)
        let paths = try segmentPaths()
        XCTAssertEqual(paths.count, 1)
        let damaged = try damageHeader(paths[0])
        let name = (paths[0] as NSString).lastPathComponent

        let writer = try LogWriter(directory: directory)
        XCTAssertEqual(writer.openReport.quarantined, [QuarantineReport(
            segment: name, quarantinedAs: name + ".damaged", firstSequence: 1, byteSize: damaged.count,
            reason: "bad magic", recordsLost: 8)])
        XCTAssertEqual(writer.openReport.corruptions, [])
        XCTAssertEqual(writer.lastSequence, 8, "sequences go on after the records set aside")
        // Set aside byte for byte, never deleted; the log no longer lists it.
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name + ".damaged")), damaged)
        XCTAssertEqual(try segmentPaths(), [])
        // A new segment is written as usual and the set-aside file is ignored from now on.
        XCTAssertThrowsError(try writer.append(sequence: 8, timestamp: 8, payload: [1]))
        XCTAssertTrue(try writer.append(sequence: 9, timestamp: 9, payload: [1, 2, 3]))
        try writer.close()
        let reopened = try LogWriter(directory: directory)
        XCTAssertEqual(reopened.openReport, OpenReport())
        try reopened.close()
        let (records, corruptions) = try readAll()
        XCTAssertEqual(records, [LogRecord(sequence: 9, timestamp: 9, payload: [1, 2, 3])])
        XCTAssertEqual(corruptions, [])
    }

    func testSecondDamagedSegmentOfTheSameNameDoesNotReplaceTheFirst() throws {
        try writeLog(records: 3)
        let path = try segmentPaths()[0]
        let intact = try Data(contentsOf: URL(fileURLWithPath: path))
        let first = try damageHeader(path)
        try LogWriter(directory: directory).close()
        // A segment of the same name appears again (copied back by hand) and is damaged too.
        try intact.write(to: URL(fileURLWithPath: path))
        var bytes = [UInt8](intact)
        bytes[3] ^= 0x01
        let second = Data(bytes)
        try second.write(to: URL(fileURLWithPath: path))
        let writer = try LogWriter(directory: directory)
        defer { try? writer.close() }
        let name = (path as NSString).lastPathComponent
        XCTAssertEqual(writer.openReport.quarantined.map(\.quarantinedAs), [name + ".damaged.1"])
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path + ".damaged")), first)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path + ".damaged.1")), second)
    }

    func testDamagedHeaderOfAnOlderSegmentIsSetAsideAndItsRecordsInferredFromTheNextName() throws {
        try writeLog(records: 30)
        let paths = try segmentPaths()
        XCTAssertEqual(paths.count, 3, "segments of 10 records")
        let damaged = try damageHeader(paths[0])
        let name = (paths[0] as NSString).lastPathComponent

        let writer = try LogWriter(directory: directory)
        XCTAssertEqual(writer.openReport.quarantined, [QuarantineReport(
            segment: name, quarantinedAs: name + ".damaged", firstSequence: 1, byteSize: damaged.count,
            reason: "bad magic", recordsLost: 10)])
        XCTAssertEqual(writer.openReport.corruptions, [])
        XCTAssertEqual(writer.lastSequence, 30)
        XCTAssertTrue(try writer.append(sequence: 31, timestamp: 31, payload: Self.payload(31, length: 24)))
        try writer.close()
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: paths[0] + ".damaged")), damaged)
        let (records, corruptions) = try readAll()
        XCTAssertEqual(records, expected(11...31))
        XCTAssertEqual(corruptions, [])
    }

    func testDamagedHeaderOfTheNewestOfSeveralSegmentsIsSetAside() throws {
        try writeLog(records: 25)
        let paths = try segmentPaths()
        XCTAssertEqual(paths.count, 3)
        // One byte of the header checksum: the smallest damage that makes the header invalid.
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: paths[2])))
        bytes[37] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: paths[2]))

        let writer = try LogWriter(directory: directory)
        XCTAssertEqual(writer.openReport.quarantined.map(\.reason), ["header checksum mismatch"])
        XCTAssertEqual(writer.openReport.quarantined.map(\.recordsLost), [5], "records 21…25 in its intact blocks")
        XCTAssertEqual(writer.lastSequence, 25)
        XCTAssertTrue(try writer.append(sequence: 26, timestamp: 26, payload: Self.payload(26, length: 24)))
        try writer.close()
        XCTAssertEqual(try readAll().records, expected(1...20) + expected(26...26))
    }
}
