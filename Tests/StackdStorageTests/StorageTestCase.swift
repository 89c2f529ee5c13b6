import Foundation
import XCTest
@testable import StackdStorage

/// A fresh temporary log directory per test, removed afterwards.
class StorageTestCase: XCTestCase {
    var directory = ""

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("stackd-storage-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Deterministic payload for a sequence, so any reader can check integrity.
    static func payload(_ sequence: UInt64, length: Int? = nil) -> [UInt8] {
        let count = length ?? Int(sequence % 97) * 3
        return (0..<count).map { UInt8(truncatingIfNeeded: Int(sequence) &* 31 &+ $0 &* 7 &+ ($0 >> 5)) }
    }

    func segmentPaths() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasSuffix(".sklog") }.sorted().map { directory + "/" + $0 }
    }

    func fileSize(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? -1
    }

    func readAll(from: UInt64 = 0) throws -> (records: [LogRecord], corruptions: [CorruptionReport]) {
        let reader = try LogReader(directory: directory)
        let records = try reader.readAll(fromSequence: from)
        return (records, reader.corruptions)
    }
}
