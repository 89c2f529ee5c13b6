import StackdCore
@testable import StackdStorage
import XCTest

final class RoundTripTests: StorageTestCase {
    func testManyRecordsAcrossRotations() throws {
        let config = LogConfiguration(flush: .everyRecords(7), maxSegmentBytes: 16 << 10, maxSegmentRecords: 50)
        var expected: [LogRecord] = []
        do {
            let writer = try LogWriter(directory: directory, configuration: config)
            for sequence in UInt64(1)...600 {
                let length: Int
                switch sequence {
                case 5: length = 0
                case 300: length = 1 << 20
                default: length = Int(sequence % 97) * 3
                }
                let record = LogRecord(sequence: sequence * 2, timestamp: Int64(sequence) * 1_000,
                                       payload: Self.payload(sequence, length: length))
                try writer.append(sequence: record.sequence, timestamp: record.timestamp, payload: record.payload)
                expected.append(record)
            }
            try writer.close()
            XCTAssertGreaterThan(writer.segments.count, 10)
            XCTAssertEqual(writer.durableSequence, 1200)
        }
        let reader = try LogReader(directory: directory)
        XCTAssertEqual(try reader.readAll(), expected)
        XCTAssertEqual(reader.corruptions, [])
        XCTAssertEqual(reader.segments.reduce(0) { $0 + $1.recordCount }, 600)
        XCTAssertEqual(reader.segments.map(\.fileName), try segmentPaths().map { ($0 as NSString).lastPathComponent })

        XCTAssertEqual(try reader.readAll(fromSequence: 801), Array(expected.drop { $0.sequence < 801 }))
        XCTAssertEqual(try reader.readAll(fromTimestamp: 450_000), Array(expected.drop { $0.timestamp < 450_000 }))
        XCTAssertEqual(try reader.readAll(fromTimestamp: 100_000, untilTimestamp: 120_000),
                       expected.filter { (100_000...120_000).contains($0.timestamp) })
        XCTAssertEqual(try reader.readAll(fromSequence: 2_000), [])
    }

    func testReopenContinuesAndRejectsOldSequences() throws {
        do {
            let writer = try LogWriter(directory: directory)
            try writer.append(sequence: 10, timestamp: 1, payload: [1, 2, 3])
            try writer.close()
        }
        let writer = try LogWriter(directory: directory)
        XCTAssertEqual(writer.lastSequence, 10)
        XCTAssertEqual(writer.openReport, OpenReport())
        XCTAssertThrowsError(try writer.append(sequence: 10, timestamp: 2, payload: [])) {
            XCTAssertEqual($0 as? StorageError, .sequenceNotIncreasing(previous: 10, attempted: 10))
        }
        try writer.append(sequence: 11, timestamp: 2, payload: [4])
        try writer.close()
        XCTAssertEqual(try readAll().records.map(\.sequence), [10, 11])
    }

    func testIncompressibleBlocksAreStoredRaw() throws {
        var rng = SplitMix64(seed: 0x9E37_79B9_7F4A_7C15)
        let random = (0..<4096).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let writer = try LogWriter(directory: directory)
        try writer.append(sequence: 1, timestamp: 0, payload: random)
        try writer.close()
        XCTAssertEqual(writer.segments[0].byteSize, SegmentHeader.size + BlockHeader.size + 20 + 4096)
        XCTAssertEqual(try readAll().records.first?.payload, random)
    }
}
