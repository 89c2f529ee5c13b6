import Foundation
import XCTest

/// The reference data beside the repository (`../shared`, or wherever `STACKD_SHARED` points, for
/// a checkout kept elsewhere): the oos-daily stream and the reference implementation's golden
/// files. Tests may read it; the product never needs it, so a test that needs it skips with a
/// message saying where it looked instead of failing on a machine without it.
package enum SharedData {
    /// `../shared` beside the repository, or `STACKD_SHARED`.
    package static let root: URL = ProcessInfo.processInfo.environment["STACKD_SHARED"].map { URL(fileURLWithPath: $0) }
        ?? Repository.root.deletingLastPathComponent().appendingPathComponent("shared")

    /// The oos-daily folder (`preds_h{H}.csv`, `labels_h{H}.csv`, `regimes.csv`).
    package static var oosDaily: URL { root.appendingPathComponent("data/oos-daily") }

    /// `relative` under the root; skips the calling test when it is absent.
    package static func url(_ relative: String) throws -> URL {
        let u = root.appendingPathComponent(relative)
        guard FileManager.default.fileExists(atPath: u.path) else {
            throw XCTSkip("\(u.path) is absent: this test needs the reference data at ../shared beside the repository "
                          + "(or STACKD_SHARED)")
        }
        return u
    }

    /// The root, after checking the oos-daily stream is there (skips the calling test otherwise).
    package static func requireRoot() throws -> URL {
        _ = try url("data/oos-daily/preds_h5.csv")
        return root
    }

    /// The oos-daily folder, after checking it is there (skips the calling test otherwise).
    package static func requireOOSDaily() throws -> URL {
        _ = try url("data/oos-daily/preds_h5.csv")
        return oosDaily
    }

    /// A file under the root as UTF-8 text.
    package static func text(_ relative: String) throws -> String {
        try String(contentsOf: url(relative), encoding: .utf8)
    }

    /// A JSON file under the root.
    package static func json(_ relative: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url(relative)))
    }

    /// One method's metric row of `reference/reference_results.json` (the reference
    /// implementation's results per horizon), numbers only.
    package static func referenceMetrics(horizon h: Int, method: String) throws -> [String: Double] {
        let root = try json("reference/reference_results.json") as? [String: Any]
        guard let methods = (root?["\(h)"] as? [String: Any])?["methods"] as? [[String: Any]] else {
            XCTFail("reference_results.json has no methods for horizon \(h)"); return [:]
        }
        guard let row = methods.first(where: { ($0["method"] as? String) == method }) else {
            XCTFail("method \(method) not in reference_results.json"); return [:]
        }
        return row.compactMapValues { ($0 as? NSNumber)?.doubleValue }
    }

    /// A CSV file with a header: the header and every row as strings (no quoting in these files).
    package static func csv(_ relative: String) throws -> (header: [String], rows: [[String]]) {
        var lines = try text(relative).split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        guard !lines.isEmpty else { return ([], []) }
        let header = lines.removeFirst().split(separator: ",").map(String.init)
        return (header, lines.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) })
    }

    /// `YYYY-MM-DD` as nanoseconds since the epoch (UTC midnight); nil for anything else.
    package static func nanoseconds(_ date: String) -> Int64? {
        let parts = date.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3 else { return nil }
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
