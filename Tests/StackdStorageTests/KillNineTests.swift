import Foundation
import StackdCore
import XCTest
@testable import StackdStorage

/// A real `kill -9`: the test binary re-executes itself to run `testChildWriter` as a child
/// process that appends with flush-per-record and prints every acknowledged sequence; the
/// parent kills it after a seeded number of acknowledgements and checks the log.
final class KillNineTests: StorageTestCase {
    static let directoryVariable = "STACKD_STORAGE_CRASH_DIR"
    static let rounds = 6

    /// The child's body; a no-op when run as an ordinary test.
    func testChildWriter() throws {
        guard let directory = ProcessInfo.processInfo.environment[Self.directoryVariable] else { return }
        fflush(nil)
        let config = LogConfiguration(flush: .everyRecord, maxSegmentBytes: 32 << 10)
        let writer = try LogWriter(directory: directory, configuration: config)
        var sequence = (writer.lastSequence ?? 0) + 1
        while true {
            let acknowledged = try writer.append(sequence: sequence, timestamp: Int64(sequence) * 1_000,
                                                 payload: Self.payload(sequence))
            if acknowledged {
                let line = Array("ACK \(sequence)\n".utf8)
                _ = line.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
            }
            sequence += 1
        }
    }

    func testAcknowledgedRecordsSurviveKill() throws {
        var generator = SplitMix64(seed: 0x5EED_0001)
        var acknowledged: Set<UInt64> = []
        for round in 0..<Self.rounds {
            let killAfter = Int(generator.next() % 3_000) + 1
            let acks = try runChildAndKill(afterAcks: killAfter)
            XCTAssertGreaterThanOrEqual(acks.count, killAfter, "round \(round)")
            acknowledged.formUnion(acks)

            let writer = try LogWriter(directory: directory)
            XCTAssertEqual(writer.openReport.corruptions, [], "round \(round)")
            if let recovery = writer.openReport.recovery {
                XCTAssertGreaterThan(recovery.bytesDropped, 0)
            }
            try writer.close()

            let reader = try LogReader(directory: directory)
            let records = try reader.readAll()
            XCTAssertEqual(reader.corruptions, [], "round \(round)")
            XCTAssertEqual(records.map(\.sequence), Array(1...UInt64(records.count)), "round \(round): gap or reorder")
            for record in records {
                XCTAssertEqual(record.payload, Self.payload(record.sequence), "round \(round) seq \(record.sequence)")
                XCTAssertEqual(record.timestamp, Int64(record.sequence) * 1_000)
            }
            let present = Set(records.map(\.sequence))
            XCTAssertTrue(acknowledged.isSubset(of: present),
                          "round \(round): lost \(acknowledged.subtracting(present).sorted().prefix(5))")
        }
    }

    /// Runs the child until it has printed `count` acknowledgements, SIGKILLs it, and returns
    /// every acknowledgement it printed (including any that raced the kill).
    private func runChildAndKill(afterAcks count: Int) throws -> [UInt64] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["StackdStorageTests.KillNineTests/testChildWriter"]
        var environment = ProcessInfo.processInfo.environment
        environment[Self.directoryVariable] = directory
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let handle = output.fileHandleForReading
        var text = ""
        var acks: [UInt64] = []
        func parse(final: Bool) {
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            text = final ? "" : String(lines.removeLast())
            for line in lines where line.hasPrefix("ACK ") {
                if let sequence = UInt64(line.dropFirst(4)) { acks.append(sequence) }
            }
        }
        while acks.count < count {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
            parse(final: false)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        text += String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        parse(final: false)
        XCTAssertEqual(process.terminationReason, .uncaughtSignal)
        return acks
    }
}
