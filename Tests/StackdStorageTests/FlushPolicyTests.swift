import XCTest
@testable import StackdStorage

final class FlushPolicyTests: StorageTestCase {
    func testEveryNRecords() throws {
        let writer = try LogWriter(directory: directory, configuration: LogConfiguration(flush: .everyRecords(5)))
        for sequence in UInt64(1)...4 {
            XCTAssertFalse(try writer.append(sequence: sequence, timestamp: 0, payload: [1]))
        }
        XCTAssertNil(writer.durableSequence)
        XCTAssertEqual(try readAll().records, [])
        XCTAssertTrue(try writer.append(sequence: 5, timestamp: 0, payload: [1]))
        XCTAssertEqual(writer.durableSequence, 5)
        XCTAssertEqual(try readAll().records.count, 5)
        for sequence in UInt64(6)...9 { XCTAssertFalse(try writer.append(sequence: sequence, timestamp: 0, payload: [])) }
        XCTAssertEqual(writer.durableSequence, 5)
        XCTAssertTrue(writer.isAcknowledged(5))
        XCTAssertFalse(writer.isAcknowledged(6))
        try writer.flush()
        XCTAssertEqual(writer.durableSequence, 9)
    }

    func testEveryRecord() throws {
        let writer = try LogWriter(directory: directory)
        XCTAssertTrue(try writer.append(sequence: 1, timestamp: 0, payload: [9]))
        XCTAssertEqual(writer.durableSequence, 1)
        XCTAssertEqual(writer.segments[0].recordCount, 1)
    }

    func testIntervalUsesCallerClock() throws {
        let writer = try LogWriter(directory: directory,
                                   configuration: LogConfiguration(flush: .interval(nanoseconds: 100)))
        XCTAssertFalse(try writer.append(sequence: 1, timestamp: 0, payload: [], now: 1_000))
        XCTAssertFalse(try writer.append(sequence: 2, timestamp: 0, payload: [], now: 1_050))
        XCTAssertFalse(try writer.tick(now: 1_099))
        XCTAssertTrue(try writer.tick(now: 1_100))
        XCTAssertEqual(writer.durableSequence, 2)
        XCTAssertFalse(try writer.append(sequence: 3, timestamp: 0, payload: [], now: 2_000))
        XCTAssertTrue(try writer.append(sequence: 4, timestamp: 0, payload: [], now: 2_100))
        XCTAssertEqual(writer.durableSequence, 4)
    }

    func testSyncPolicyDefinesDurability() throws {
        let config = LogConfiguration(flush: .everyRecord, sync: .everyFlushes(3))
        let writer = try LogWriter(directory: directory, configuration: config)
        XCTAssertFalse(try writer.append(sequence: 1, timestamp: 0, payload: []))
        XCTAssertFalse(try writer.append(sequence: 2, timestamp: 0, payload: []))
        XCTAssertEqual(writer.writtenSequence, 2)
        XCTAssertNil(writer.durableSequence)
        XCTAssertTrue(try writer.append(sequence: 3, timestamp: 0, payload: []))
        XCTAssertEqual(writer.syncedSequence, 3)
        XCTAssertFalse(try writer.append(sequence: 4, timestamp: 0, payload: []))
        try writer.sync()
        XCTAssertEqual(writer.durableSequence, 4)
    }

    func testManualAndBlockCap() throws {
        let config = LogConfiguration(flush: .manual, maxBlockBytes: 100)
        let writer = try LogWriter(directory: directory, configuration: config)
        XCTAssertFalse(try writer.append(sequence: 1, timestamp: 0, payload: [UInt8](repeating: 1, count: 50)))
        XCTAssertTrue(try writer.append(sequence: 2, timestamp: 0, payload: [UInt8](repeating: 1, count: 50)))
        XCTAssertEqual(writer.bufferedCount, 0)
    }
}
