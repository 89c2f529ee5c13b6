import Foundation
import XCTest

/// Locates `../shared` beside the repository (the data the CI machine provides) and reads the
/// reference files tests compare against.
enum SharedData {
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared")

    static func url(_ relative: String) throws -> URL {
        let u = root.appendingPathComponent(relative)
        guard FileManager.default.fileExists(atPath: u.path) else {
            throw XCTSkip("\(u.path) is absent: these conformance tests need ../shared beside the repository")
        }
        return u
    }

    /// Rows of a CSV file with a header, as dictionaries of strings.
    static func csv(_ relative: String) throws -> (header: [String], rows: [[String]]) {
        let text = try String(contentsOf: try url(relative), encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        let header = lines.removeFirst().split(separator: ",").map(String.init)
        return (header, lines.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) })
    }

    /// `YYYY-MM-DD` as nanoseconds since the epoch (UTC midnight).
    static func nanoseconds(_ date: String) -> Int64 {
        let parts = date.split(separator: "-").map { Int($0)! }
        var y = parts[0]
        let m = parts[1], d = parts[2]
        y -= m <= 2 ? 1 : 0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return Int64(era * 146_097 + doe - 719_468) * 86_400 * 1_000_000_000
    }
}
