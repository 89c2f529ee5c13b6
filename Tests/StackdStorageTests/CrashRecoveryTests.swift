import Foundation
import XCTest
@testable import StackdStorage

/// Simulated torn writes: every truncation point and byte flips in the last block.
final class CrashRecoveryTests: StorageTestCase {
    /// Writes three blocks of three records; returns the segment path, the last block's offset
    /// and the records of the two complete earlier blocks.
    private func writeThreeBlocks() throws -> (path: String, lastBlock: Int, earlier: [LogRecord]) {
        let writer = try LogWriter(directory: directory, configuration: LogConfiguration(flush: .manual))
        var earlier: [LogRecord] = []
        for block in 0..<3 {
            for index in 0..<3 {
                let sequence = UInt64(block * 3 + index + 1)
                let record = LogRecord(sequence: sequence, timestamp: Int64(sequence), payload: Self.payload(sequence, length: 40))
                try writer.append(sequence: sequence, timestamp: record.timestamp, payload: record.payload)
                if block < 2 { earlier.append(record) }
            }
            try writer.flush()
        }
        let lastBlock = writer.entries[0].blocks[2].offset
        try writer.close()
        return (try segmentPaths()[0], lastBlock, earlier)
    }

    private func assertRecovered(
        _ path: String, lastBlock: Int, earlier: [LogRecord], dropped: Int, context: String,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let writer = try LogWriter(directory: directory)
        let report = writer.openReport
        XCTAssertEqual(report.recovery, RecoveryReport(
            segment: (path as NSString).lastPathComponent, byteOffset: lastBlock, bytesDropped: dropped,
            recordsRecovered: earlier.count), context, file: file, line: line)
        XCTAssertEqual(report.corruptions, [], context, file: file, line: line)
        XCTAssertEqual(try fileSize(path), lastBlock, context, file: file, line: line)
        XCTAssertEqual(writer.lastSequence, earlier.last?.sequence, context, file: file, line: line)
        XCTAssertTrue(try writer.append(sequence: 100, timestamp: 100, payload: [7, 7]), context, file: file, line: line)
        try writer.close()
        let (records, corruptions) = try readAll()
        XCTAssertEqual(records, earlier + [LogRecord(sequence: 100, timestamp: 100, payload: [7, 7])], context,
                       file: file, line: line)
        XCTAssertEqual(corruptions, [], context, file: file, line: line)
    }

    func testTruncationAtEveryOffsetOfLastBlock() throws {
        let (path, lastBlock, earlier) = try writeThreeBlocks()
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertGreaterThan(original.count - lastBlock, BlockHeader.size)
        var cuts = 0
        for cut in (lastBlock + 1)..<original.count {
            try original.prefix(cut).write(to: URL(fileURLWithPath: path))
            try assertRecovered(path, lastBlock: lastBlock, earlier: earlier, dropped: cut - lastBlock, context: "cut \(cut)")
            cuts += 1
        }
        XCTAssertEqual(cuts, original.count - lastBlock - 1)
    }

    func testFlippedBytesInLastBlock() throws {
        let (path, lastBlock, earlier) = try writeThreeBlocks()
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        // Every header byte, and a spread of payload bytes.
        let positions = Array(lastBlock..<(lastBlock + BlockHeader.size))
            + Array(stride(from: lastBlock + BlockHeader.size, to: original.count, by: 7)) + [original.count - 1]
        for position in positions {
            var damaged = original
            damaged[position] ^= 0x5A
            try damaged.write(to: URL(fileURLWithPath: path))
            try assertRecovered(path, lastBlock: lastBlock, earlier: earlier, dropped: original.count - lastBlock,
                                context: "flip \(position)")
        }
    }

    func testCorruptMiddleBlockIsReportedNotTruncated() throws {
        let (path, _, _) = try writeThreeBlocks()
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        let sizeBefore = data.count
        let firstBlock = SegmentHeader.size
        data[firstBlock + BlockHeader.size + 5] ^= 0xFF
        try data.write(to: URL(fileURLWithPath: path))

        let writer = try LogWriter(directory: directory)
        XCTAssertNil(writer.openReport.recovery)
        XCTAssertEqual(writer.openReport.corruptions.count, 1)
        XCTAssertEqual(writer.openReport.corruptions.first?.kind, .corruptRegion)
        XCTAssertEqual(writer.openReport.corruptions.first?.byteOffset, firstBlock)
        XCTAssertEqual(try fileSize(path), sizeBefore)
        try writer.append(sequence: 10, timestamp: 10, payload: [1])
        try writer.close()

        let reader = try LogReader(directory: directory)
        XCTAssertEqual(try reader.readAll().map(\.sequence), [4, 5, 6, 7, 8, 9, 10])
        // The reader indexes headers only, so it finds the bad payload when it decodes the block.
        XCTAssertEqual(reader.corruptions.map(\.kind), [.corruptBlock])
    }

    func testReaderSkipsBlockWithBadPayloadAndSaysSo() throws {
        // A sealed segment's payload damage is found by readers (writers check headers only).
        let config = LogConfiguration(flush: .manual, maxSegmentRecords: 3)
        let writer = try LogWriter(directory: directory, configuration: config)
        for sequence in UInt64(1)...9 {
            try writer.append(sequence: sequence, timestamp: 0, payload: Self.payload(sequence, length: 30))
            if sequence % 3 == 0 { try writer.flush() }
        }
        try writer.close()
        let first = try segmentPaths()[0]
        var data = try Data(contentsOf: URL(fileURLWithPath: first))
        data[data.count - 1] ^= 0x01
        try data.write(to: URL(fileURLWithPath: first))

        let reader = try LogReader(directory: directory)
        XCTAssertEqual(try reader.readAll().map(\.sequence), [4, 5, 6, 7, 8, 9])
        XCTAssertEqual(reader.corruptions.map(\.kind), [.corruptBlock])
        XCTAssertEqual(reader.corruptions.first?.byteOffset, SegmentHeader.size)
    }

    func testEmptyNewestSegmentAndTemporariesAreRemoved() throws {
        let writer = try LogWriter(directory: directory)
        try writer.append(sequence: 1, timestamp: 0, payload: [1])
        try writer.close()
        let stub = SegmentHeader(createdAt: 0, firstSequence: 2).encode()
        try Data(stub).write(to: URL(fileURLWithPath: directory + "/seg-00000000000000000002.sklog"))
        try Data([1, 2]).write(to: URL(fileURLWithPath: directory + "/seg-00000000000000000003.sklog.tmp"))
        let reopened = try LogWriter(directory: directory)
        XCTAssertEqual(Set(reopened.openReport.removedFiles),
                       ["seg-00000000000000000002.sklog", "seg-00000000000000000003.sklog.tmp"])
        XCTAssertEqual(reopened.lastSequence, 1)
        try reopened.append(sequence: 2, timestamp: 0, payload: [2])
        try reopened.close()
        XCTAssertEqual(try readAll().records.map(\.sequence), [1, 2])
    }
}
