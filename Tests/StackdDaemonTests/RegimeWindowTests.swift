import Foundation
import Logging
import StackdCore
@testable import StackdDaemon
@testable import StackdStorage
import XCTest

/// Turning regimes on changes the feature layout (two more columns): the durable window's rows,
/// written under the old layout, cannot train the new one. They are refused together, with one
/// error per horizon that says why and how many, never one line per row.
final class RegimeWindowTests: XCTestCase {
    var state: String!

    override func setUpWithError() throws {
        state = NSTemporaryDirectory() + "stackd-regime-window-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let state { try? FileManager.default.removeItem(atPath: state) }
    }

    /// Keeps every log record (message and metadata) for assertions.
    final class Records: @unchecked Sendable {
        let lock = NSLock()
        var lines: [(Logger.Level, String, Logger.Metadata)] = []
    }

    struct CapturingHandler: LogHandler {
        let records: Records
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String,
                 file: String, function: String, line: UInt) {
            records.lock.lock()
            records.lines.append((level, "\(message)", metadata ?? [:]))
            records.lock.unlock()
        }
    }

    func writeRows(_ count: Int, featureCount: Int) throws {
        let writer = try LogWriter(directory: "\(state!)/window/h5", configuration: LogConfiguration())
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
        defer { buffer.deallocate() }
        let base = [0.2, 0.3, 0.5, 0.1, 0.6, 0.3], ensemble = [0.15, 0.45, 0.4]
        let features = [Double](repeating: 0.25, count: featureCount), symbol = Array("SPX".utf8)
        for i in 1...count {
            let n = base.withUnsafeBufferPointer { b in
                features.withUnsafeBufferPointer { f in
                    ensemble.withUnsafeBufferPointer { e in
                        symbol.withUnsafeBytes { s in
                            LabeledRowCodec.encode(LabeledRow(horizon: 5, horizonIndex: 0, symbol: s, eventTime: Int64(1000 + i),
                                                              exitTime: Int64(2000 + i), label: i % 3, forwardReturn: 0.01,
                                                              basePredictions: b, features: f, ensemble: e, modelVersion: 0),
                                                   modelCount: 2, classCount: 3, into: buffer)
                        }
                    }
                }
            }
            try writer.append(sequence: UInt64(i), timestamp: Int64(1000 + i), payload: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
        try writer.close()
    }

    func testAWindowWrittenWithoutRegimesIsRefusedWithOneClearMessage() throws {
        let before = try StackingPipeline(configuration: PipelineConfiguration(models: ["a", "b"], horizons: [5]), retrainPolicy: RetrainPolicy())
        try writeRows(8, featureCount: before.layout.count)
        var configuration = PipelineConfiguration(models: ["a", "b"], horizons: [5])
        configuration.regimeNames = ["vol_regime", "trend_regime"]
        let after = try StackingPipeline(configuration: configuration, retrainPolicy: RetrainPolicy())
        XCTAssertEqual(after.layout.count, before.layout.count + 2)

        let records = Records()
        let logger = Logger(label: "test.window", factory: { _ in CapturingHandler(records: records) })
        let window = try DurableWindow(directory: state, horizons: [5], modelCount: 2, classCount: 3, featureCount: after.layout.count,
                                       retrain: RetrainPolicy(), settings: .init(), logger: logger)
        defer { window.close() }
        XCTAssertEqual(try window.restore(into: after), [0])
        XCTAssertEqual(after.windowSnapshot(horizonIndex: 0).count, 0)
        let errors = records.lines.filter { $0.0 == .error }
        XCTAssertEqual(errors.count, 1, "\(errors.map(\.1))")
        let error = try XCTUnwrap(errors.first)
        XCTAssertTrue(error.1.contains("another feature layout"), error.1)
        XCTAssertTrue(error.1.contains("regimes.names"), error.1)
        XCTAssertEqual(error.2["rows"]?.description, "8")
        XCTAssertEqual(error.2["row_features"]?.description, "\(before.layout.count)")
        XCTAssertEqual(error.2["layout_features"]?.description, "\(after.layout.count)")
        XCTAssertEqual(window.rowsLost, 0, "refused rows are not damage")
    }
}
