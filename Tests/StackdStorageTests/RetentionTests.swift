import Foundation
import XCTest
@testable import StackdStorage

final class RetentionTests: StorageTestCase {
    /// 55 records, 10 per segment: six segments, timestamps = sequence × 10.
    private func writeLog(_ retention: RetentionPolicy) throws -> LogWriter {
        let writer = try LogWriter(directory: directory,
                                   configuration: LogConfiguration(maxSegmentRecords: 10, retention: retention))
        for sequence in UInt64(1)...55 {
            try writer.append(sequence: sequence, timestamp: Int64(sequence) * 10, payload: Self.payload(sequence))
        }
        XCTAssertEqual(writer.segments.count, 6)
        return writer
    }

    func testCountBound() throws {
        let writer = try writeLog(RetentionPolicy(maxRecords: 20))
        let result = try writer.applyRetention()
        XCTAssertEqual(result.deletedSegments.count, 3)
        XCTAssertEqual(result.recordsDropped, 30)
        XCTAssertEqual(try segmentPaths().count, 3)
        XCTAssertEqual(try readAll().records.map(\.sequence), Array(31...55))

        let compacted = try writer.compact()
        XCTAssertEqual(compacted.rewrittenSegment, "seg-00000000000000000036.sklog")
        XCTAssertEqual(compacted.recordsDropped, 5)
        let (records, corruptions) = try readAll()
        XCTAssertEqual(records.map(\.sequence), Array(36...55))
        XCTAssertEqual(records.map(\.payload), (36...55).map { Self.payload(UInt64($0)) })
        XCTAssertEqual(corruptions, [])
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/seg-00000000000000000031.sklog"))
        try writer.append(sequence: 56, timestamp: 560, payload: [])
        try writer.close()
        XCTAssertEqual(try readAll().records.count, 21)
    }

    func testAgeBound() throws {
        let writer = try writeLog(RetentionPolicy(maxAge: 200))  // cutoff 550 - 200 = 350
        let result = try writer.compact()
        XCTAssertEqual(result.deletedSegments, (0..<3).map { LogDirectory.segmentName(firstSequence: UInt64($0 * 10 + 1)) })
        XCTAssertEqual(result.rewrittenSegment, "seg-00000000000000000035.sklog")
        XCTAssertEqual(result.recordsDropped, 34)
        XCTAssertEqual(try readAll().records.map(\.sequence), Array(35...55))
        XCTAssertEqual(writer.segments.first?.minTimestamp, 350)
    }

    func testNewestSegmentIsNeverDeleted() throws {
        let writer = try writeLog(RetentionPolicy(maxRecords: 0))
        try writer.compact()
        XCTAssertEqual(writer.segments.map(\.fileName), ["seg-00000000000000000051.sklog"])
    }

    func testInterruptedCompactionIsResolvedOnOpen() throws {
        let writer = try writeLog(RetentionPolicy(maxRecords: 50))
        let original = directory + "/seg-00000000000000000001.sklog"
        let saved = try Data(contentsOf: URL(fileURLWithPath: original))
        try writer.compact()
        try writer.close()
        // As if the crash came after the rename but before the unlink.
        try saved.write(to: URL(fileURLWithPath: original))
        let reader = try LogReader(directory: directory)
        XCTAssertEqual(try reader.readAll().map(\.sequence), Array(1...55), "reader must not yield duplicates")
        let reopened = try LogWriter(directory: directory)
        XCTAssertEqual(reopened.openReport.removedFiles, ["seg-00000000000000000001.sklog"])
        XCTAssertEqual(try readAll().records.map(\.sequence), Array(6...55))
    }
}
