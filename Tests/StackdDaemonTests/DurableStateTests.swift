import Foundation
import Logging
import StackdCore
@testable import StackdDaemon
import StackdJournal
import StackdLearning
@testable import StackdStorage
import StackdTestSupport
import StackdTraining
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Durable state the daemon must not trust blindly: damaged window blocks are skipped, logged
/// and counted; edited models are refused and counted (both visible on `/metrics`); state files
/// are private; a symlink planted where the old fixed temporary name was is never written through.
final class DurableStateTests: XCTestCase {
    var state: String!
    let quiet = Logger(label: "test.state", factory: { _ in SwiftLogNoOpLogHandler() })
    let models = ["a", "b"]

    override func setUpWithError() throws {
        state = NSTemporaryDirectory() + "stackd-state-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let state { try? FileManager.default.removeItem(atPath: state) }
    }

    func pipeline() throws -> StackingPipeline {
        try StackingPipeline(configuration: PipelineConfiguration(models: models, horizons: [5]), retrainPolicy: RetrainPolicy())
    }

    /// Writes `count` labelled rows (sequences 1…count, event times 1000+i) into the window log of
    /// h5 in blocks of 5 rows and segments of 10, as `DurableWindow.append` would encode them.
    func writeWindowLog(rows count: Int, featureCount: Int) throws -> String {
        let directory = "\(state!)/window/h5"
        var configuration = LogConfiguration()
        configuration.flush = .everyRecords(5)
        configuration.maxSegmentRecords = 10
        let writer = try LogWriter(directory: directory, configuration: configuration)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
        defer { buffer.deallocate() }
        let base = [0.2, 0.3, 0.5, 0.1, 0.6, 0.3], ensemble = [0.15, 0.45, 0.4]
        let features = [Double](repeating: 0.25, count: featureCount)
        let symbol = Array("SPX".utf8)
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
        return directory
    }

    /// Offsets of the block headers ("SKBK") of a segment file.
    func blockOffsets(_ bytes: [UInt8]) -> [Int] {
        let magic = Array("SKBK".utf8)
        return (0..<(bytes.count - 3)).filter { Array(bytes[$0..<$0 + 4]) == magic }
    }

    /// Damages (1) the payload of the second block of the oldest segment (its header still says
    /// 5 rows) and (2) the header of the first block of the second segment (rows unknown from the
    /// header; the sequence gap tells). 30 rows written, 20 must come back, 2 blocks and 10 rows lost.
    func damageWindow(featureCount: Int) throws {
        let directory = try writeWindowLog(rows: 30, featureCount: featureCount)
        let segments = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".sklog") }.sorted()
        XCTAssertEqual(segments.count, 3, "segments of 10 rows")
        for (index, block, delta) in [(0, 1, BlockHeader.size + 3), (1, 0, 20)] {
            let path = "\(directory)/\(segments[index])"
            var bytes = [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: path)))
            let offsets = blockOffsets(bytes)
            XCTAssertEqual(offsets.count, 2, "two blocks of 5 rows in \(segments[index])")
            bytes[offsets[block] + delta] ^= 0xFF
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }
    }

    func testDamagedBlocksInOlderSegmentsAreSkippedAndCounted() throws {
        let p = try pipeline()
        try damageWindow(featureCount: p.layout.count)
        let window = try DurableWindow(directory: state, horizons: [5], modelCount: 2, classCount: 3, featureCount: p.layout.count,
                                       retrain: RetrainPolicy(), settings: .init(), logger: quiet)
        defer { window.close() }
        XCTAssertEqual(try window.restore(into: p), [20])
        XCTAssertEqual(window.blocksSkipped, 2)
        XCTAssertEqual(window.rowsLost, 10)
        // What came back is exactly the undamaged rows.
        let times = Set(p.windowSnapshot(horizonIndex: 0).eventTimes)
        XCTAssertEqual(times, Set((1...30).filter { !(6...15).contains($0) }.map { Int64(1000 + $0) }))
    }

    /// XORs the 40-byte segment header of the `index`-th window segment (name order) with 0x5A.
    func damageSegmentHeader(_ directory: String, index: Int) throws -> String {
        let segments = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".sklog") }.sorted()
        let path = "\(directory)/\(segments[index])"
        var bytes = [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: path)))
        for i in 0..<SegmentHeader.size { bytes[i] ^= 0x5A }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func testDamagedHeaderOfTheOnlyWindowSegmentIsSetAsideAndTheWindowStarts() throws {
        let p = try pipeline()
        let directory = try writeWindowLog(rows: 8, featureCount: p.layout.count)
        let path = try damageSegmentHeader(directory, index: 0)
        let window = try DurableWindow(directory: state, horizons: [5], modelCount: 2, classCount: 3, featureCount: p.layout.count,
                                       retrain: RetrainPolicy(), settings: .init(), logger: quiet)
        defer { window.close() }
        XCTAssertEqual(try window.restore(into: p), [0])
        XCTAssertEqual(window.segmentsQuarantined, 1)
        XCTAssertEqual(window.rowsLost, 8, "rows 1…8, from the set-aside segment's intact block headers")
        XCTAssertEqual(window.blocksSkipped, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
        XCTAssertTrue(FileManager.default.fileExists(atPath: path + ".damaged"), "set aside, never deleted")
    }

    func testDamagedHeaderOfAnOlderWindowSegmentIsSetAsideAndItsRowsCounted() throws {
        let p = try pipeline()
        let directory = try writeWindowLog(rows: 30, featureCount: p.layout.count)
        let path = try damageSegmentHeader(directory, index: 0)
        let window = try DurableWindow(directory: state, horizons: [5], modelCount: 2, classCount: 3, featureCount: p.layout.count,
                                       retrain: RetrainPolicy(), settings: .init(), logger: quiet)
        defer { window.close() }
        XCTAssertEqual(try window.restore(into: p), [20])
        XCTAssertEqual(window.segmentsQuarantined, 1)
        XCTAssertEqual(window.rowsLost, 10, "rows 1…10: the next segment starts at 11")
        XCTAssertEqual(window.blocksSkipped, 0)
        XCTAssertEqual(Set(p.windowSnapshot(horizonIndex: 0).eventTimes), Set((11...30).map { Int64(1000 + $0) }))
        XCTAssertTrue(FileManager.default.fileExists(atPath: path + ".damaged"))
        var snapshot = RunnerSnapshot(horizonCount: 1)
        snapshot.windowSegmentsQuarantined = window.segmentsQuarantined
        XCTAssertTrue(MetricsExposition.render(snapshot, version: "test").contains("stackd_window_segments_quarantined_total 1\n"))
    }

    /// A logistic combiner over the basic feature set of models a, b.
    func combiner(version: UInt32, layout: StackingFeatureLayout) throws -> LogisticCombiner {
        var x: [Double] = [], y: [Int] = []
        for i in 0..<30 {
            let c = i % 3
            var row = [Double](repeating: 0.1, count: 6)
            row[c] = 0.8; row[3 + c] = 0.8
            x += row; y.append(c)
        }
        let model = try MultinomialLogisticRegression.fit(X: Matrix(rows: 30, cols: 6, storage: x), y: y, classes: 3, C: 1)
        return LogisticCombiner(model: model, featureSet: .basic, layout: layout, version: version)
    }

    func testRefusedModelsAndSkippedWindowBlocksAreOnTheMetricsPage() throws {
        let p = try pipeline()
        try damageWindow(featureCount: p.layout.count)
        let layout = StackingFeatureLayout(models: models, classCount: 3)
        let store = ModelStore(directory: state, horizons: [5], layout: layout, logger: quiet)
        for v in 1...2 { try store.save(combiner: try combiner(version: UInt32(v), layout: layout), horizon: 5, version: UInt32(v), reason: "test") }
        // v000002's reason edited: still valid JSON, refused by the manifest checksum.
        let manifest = "\(state!)/models/h5/v000002/version.json"
        let text = try String(contentsOfFile: manifest, encoding: .utf8)
        try text.replacingOccurrences(of: "\"reason\" : \"test\"", with: "\"reason\" : \"tampered\"")
            .write(toFile: manifest, atomically: false, encoding: .utf8)
        XCTAssertNotEqual(try String(contentsOfFile: manifest, encoding: .utf8), text)

        let config = try ConfigurationLoader.parse("""
            [models]
            names = ["a", "b"]
            [stream]
            horizons = [5]
            [input]
            bind = ["ipc://\(state!)/in.sock"]
            [output]
            bind = ["ipc://\(state!)/out.sock"]
            [state]
            directory = "\(state!)"
            """, source: "test")
        let runner = try LiveRunner(configuration: config, logger: quiet)
        XCTAssertEqual(runner.restoredRows, [20])
        runner.start()
        defer {
            runner.requestStop()
            XCTAssertTrue(runner.waitUntilFinished(timeout: 10))
        }
        XCTAssertTrue(runner.wait(timeout: 10) { $0.refreshedAtNanoseconds != 0 })
        let page = MetricsExposition.render(runner.snapshot(), version: "test")
        XCTAssertTrue(page.contains("stackd_window_blocks_skipped_total 2\n"), page)
        XCTAssertTrue(page.contains("stackd_window_rows_lost_total 10\n"), page)
        XCTAssertTrue(page.contains("stackd_model_files_refused_total{reason=\"checksum\"} 1\n"), page)
        XCTAssertTrue(page.contains("stackd_model_files_refused_total{reason=\"values\"} 0\n"), page)
        XCTAssertEqual(runner.snapshot().activeModelVersions, [1], "the previous valid version is served")
    }

    /// The manifest's checksums recomputed from the documented rules alone (schemas/model-store.md):
    /// the JSON as parsed by JSONSerialization, the canonical text built here, CRC-32C bytewise.
    func testManifestChecksumsFollowTheDocumentedCanonicalText() throws {
        let layout = StackingFeatureLayout(models: models, classCount: 3)
        let store = ModelStore(directory: state, horizons: [5], layout: layout, logger: quiet)
        try store.save(combiner: try combiner(version: 7, layout: layout), horizon: 5, version: 7, reason: "line one\nline \"two\" é")
        let dir = state + "/models/h5/v000001"
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/version.json"))) as? [String: Any])
        func crc(_ bytes: [UInt8]) -> String {
            let hex = String(bytes.withUnsafeBytes { CRC32C.checksumBytewise($0) }, radix: 16)
            return "crc32c:" + String(repeating: "0", count: 8 - hex.count) + hex
        }
        var text = ""
        func field(_ k: String, _ v: Any) { let s = "\(v)"; text += "\(k):\(s.utf8.count):\(s)\n" }
        for k in ["store_schema_version", "horizon", "version", "sequence", "combiner_version", "method", "created_at", "reason"] {
            field(k, try XCTUnwrap(json[k], k))
        }
        for f in try XCTUnwrap(json["files"] as? [String]) { field("file", f) }
        let checksums = try XCTUnwrap(json["checksums"] as? [[String: String]])
        for c in checksums { field("checksum_file", c["file"]!); field("checksum_crc32c", c["crc32c"]!) }
        XCTAssertEqual(json["manifest_checksum"] as? String, crc(Array(text.utf8)))
        XCTAssertEqual(json["reason"] as? String, "line one\nline \"two\" é")
        XCTAssertEqual(Set(checksums.map { $0["file"]! }), ["model.json", "meta_config.json"])
        for c in checksums {
            XCTAssertEqual(c["crc32c"], crc([UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/" + c["file"]!)))), c["file"]!)
        }
    }

    // MARK: awaiting-rows log

    /// Calls `body` with a row of h5 for SPX at `eventTime` (label −1 unless given).
    func withRow(eventTime: Int64, label: Int = -1, featureCount: Int, _ body: (LabeledRow) -> Void) {
        let base = [0.2, 0.3, 0.5, 0.1, 0.6, 0.3], features = [Double](repeating: 0.25, count: featureCount), e = [0.2, 0.4, 0.4]
        let symbol = Array("SPX".utf8)
        base.withUnsafeBufferPointer { b in
            features.withUnsafeBufferPointer { f in
                e.withUnsafeBufferPointer { en in
                    symbol.withUnsafeBytes { s in
                        body(LabeledRow(horizon: 5, horizonIndex: 0, symbol: s, eventTime: eventTime, exitTime: label < 0 ? 0 : eventTime + 5,
                                        label: label, forwardReturn: 0, basePredictions: b, features: f, ensemble: en, modelVersion: 0))
                    }
                }
            }
        }
    }

    func awaitingLogRecords() throws -> [UInt64] {
        try LogReader(directory: state + "/awaiting").readAll().map(\.sequence)
    }

    func testAwaitingLogFollowsTheWindowFlushPolicy() throws {
        let p = try pipeline()
        var settings = DurableWindow.Settings()
        settings.flush = .everyRecords(3)
        let window = try DurableWindow(directory: state, horizons: [5], modelCount: 2, classCount: 3, featureCount: p.layout.count,
                                       retrain: RetrainPolicy(), settings: settings, logger: quiet)
        for t in 1...2 { withRow(eventTime: Int64(t), featureCount: p.layout.count) { window.appendAwaiting($0, now: 0) } }
        XCTAssertEqual(try awaitingLogRecords(), [], "two rows buffered: what kill -9 may lose under every_rows = 3")
        withRow(eventTime: 3, featureCount: p.layout.count) { window.appendAwaiting($0, now: 0) }
        XCTAssertEqual(try awaitingLogRecords(), [1, 2, 3], "the third row writes the block")
        window.close()

        var interval = DurableWindow.Settings()
        interval.flush = .interval(nanoseconds: 1_000)
        let timed = try DurableWindow(directory: state, horizons: [5], modelCount: 2, classCount: 3, featureCount: p.layout.count,
                                      retrain: RetrainPolicy(), settings: interval, logger: quiet)
        withRow(eventTime: 4, featureCount: p.layout.count) { timed.appendAwaiting($0, now: 10_000) }
        XCTAssertEqual(try awaitingLogRecords(), [1, 2, 3], "younger than the interval: buffered")
        timed.tick(now: 11_000)
        XCTAssertEqual(try awaitingLogRecords(), [1, 2, 3, 4], "the loop's tick flushes it once the interval passed")
        timed.close()
    }

    func testAfterACrashAwaitingRowsComeBackFromTheLogMinusThoseLabelled() throws {
        let p0 = try pipeline()
        let f = p0.layout.count
        do {
            let window = try DurableWindow(directory: state, horizons: [5], modelCount: 2, classCount: 3, featureCount: f,
                                           retrain: RetrainPolicy(), settings: .init(), logger: quiet)
            for t in [10, 20, 30, 20] { withRow(eventTime: Int64(t), featureCount: f) { window.appendAwaiting($0, now: 0) } }
            // The row at 20 was labelled before the crash: it is in the window.
            withRow(eventTime: 20, label: 1, featureCount: f) { window.append($0, now: 0) }
            window.close()   // no saveAwaiting: the crash case
        }
        let p = try pipeline()
        let window = try DurableWindow(directory: state, horizons: [5], modelCount: 2, classCount: 3, featureCount: f,
                                       retrain: RetrainPolicy(), settings: .init(), logger: quiet)
        XCTAssertEqual(try window.restore(into: p), [1])
        XCTAssertEqual(window.restoreAwaiting(into: p), 2, "10 and 30; 20 was labelled")
        XCTAssertEqual(p.scoreboard.awaitingCount, 2)
        var times: [Int64] = []
        p.forEachAwaitingRow { times.append($0.eventTime) }
        XCTAssertEqual(times.sorted(), [10, 30])

        // A graceful stop's awaiting.bin is the exact set, preferred over the log.
        XCTAssertEqual(window.saveAwaiting(from: p), 2)
        window.close()
        try FileManager.default.removeItem(atPath: state + "/awaiting.bin")
        var bytes = Array("SKAW".utf8) + [1]
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
        defer { buffer.deallocate() }
        withRow(eventTime: 30, featureCount: f) { row in
            let n = LabeledRowCodec.encode(row, modelCount: 2, classCount: 3, into: buffer)
            withUnsafeBytes(of: UInt32(n).littleEndian) { bytes += $0 }
            bytes += UnsafeRawBufferPointer(rebasing: buffer[0..<n])
        }
        try Data(bytes).write(to: URL(fileURLWithPath: state + "/awaiting.bin"))
        let p2 = try pipeline()
        let again = try DurableWindow(directory: state, horizons: [5], modelCount: 2, classCount: 3, featureCount: f,
                                      retrain: RetrainPolicy(), settings: .init(), logger: quiet)
        defer { again.close() }
        _ = try again.restore(into: p2)
        XCTAssertEqual(again.restoreAwaiting(into: p2), 1)
        XCTAssertEqual(p2.scoreboard.awaitingCount, 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: state + "/awaiting.bin"), "consumed")
    }

    // MARK: damage never crashes

    func testRandomDamageToAnOlderWindowSegmentIsNeverACrash() throws {
        let featureCount = try pipeline().layout.count
        var rng = SplitMix64(seed: 0x5EED_0010)
        func next() -> Int { Int(rng.next() >> 33) }
        for round in 0..<40 {
            try? FileManager.default.removeItem(atPath: state + "/window")
            let directory = try writeWindowLog(rows: 30, featureCount: featureCount)
            let oldest = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".sklog") }.min())
            let path = "\(directory)/\(oldest)"
            var bytes = [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: path)))
            for _ in 0..<(1 + next() % 4) { bytes[next() % bytes.count] ^= UInt8(1 + next() % 255) }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let p = try pipeline()
            let window = try DurableWindow(directory: state, horizons: [5], modelCount: 2, classCount: 3, featureCount: featureCount,
                                           retrain: RetrainPolicy(), settings: .init(), awaitingCapacity: 0, logger: quiet)
            let restored = try window.restore(into: p)[0]
            window.close()
            XCTAssertLessThanOrEqual(restored, 30, "round \(round)")
            XCTAssertGreaterThanOrEqual(restored, 20, "round \(round): only the oldest segment (10 rows) was damaged")
            // A damaged segment header sets the segment aside instead of skipping blocks in it.
            if window.blocksSkipped == 0 && window.segmentsQuarantined == 0 {
                XCTAssertEqual(restored, 30, "round \(round): nothing skipped, nothing lost")
            }
            XCTAssertLessThanOrEqual(window.segmentsQuarantined, 1, "round \(round)")
            XCTAssertEqual(restored + window.rowsLost, 30, "round \(round): every row is restored or counted lost")
        }
    }

    // MARK: file modes and temporary files

    /// Runs `body` under `mask`, restoring the process umask afterwards.
    func withUmask<T>(_ mask: mode_t, _ body: () throws -> T) rethrows -> T {
        let old = umask(mask)
        defer { umask(old) }
        return try body()
    }

    func mode(_ path: String) throws -> mode_t {
        var info = stat()
        XCTAssertEqual(lstat(path, &info), 0, path)
        return info.st_mode & 0o777
    }

    func testStateFilesArePrivateWhateverTheUmask() throws {
        try withUmask(0o022) {
            let p = try pipeline()
            let window = try DurableWindow(directory: state + "/nested/state", horizons: [5], modelCount: 2, classCount: 3,
                                           featureCount: p.layout.count, retrain: RetrainPolicy(), settings: .init(), logger: quiet)
            _ = try window.restore(into: p)
            let base = [0.2, 0.3, 0.5, 0.1, 0.6, 0.3], features = [Double](repeating: 0.25, count: p.layout.count), e = [0.2, 0.4, 0.4]
            let symbol = Array("SPX".utf8)
            base.withUnsafeBufferPointer { b in
                features.withUnsafeBufferPointer { f in
                    e.withUnsafeBufferPointer { en in
                        symbol.withUnsafeBytes { s in
                            window.append(LabeledRow(horizon: 5, horizonIndex: 0, symbol: s, eventTime: 1, exitTime: 2, label: 1,
                                                     forwardReturn: 0, basePredictions: b, features: f, ensemble: en, modelVersion: 0), now: 0)
                            window.appendAwaiting(LabeledRow(horizon: 5, horizonIndex: 0, symbol: s, eventTime: 3, exitTime: 0, label: -1,
                                                             forwardReturn: 0, basePredictions: b, features: f, ensemble: en, modelVersion: 0),
                                                  now: 0)
                        }
                    }
                }
            }
            XCTAssertEqual(window.saveAwaiting(from: p), 0)
            window.close()
            for dir in ["/nested", "/nested/state", "/nested/state/window", "/nested/state/window/h5", "/nested/state/awaiting"] {
                XCTAssertEqual(try mode(state + dir), 0o700, dir)
            }
            let segments = try FileManager.default.contentsOfDirectory(atPath: state + "/nested/state/window/h5")
                + FileManager.default.contentsOfDirectory(atPath: state + "/nested/state/awaiting")
            XCTAssertEqual(segments.count, 2)
            for s in segments {
                let path = state + (s.hasPrefix("seg-") && FileManager.default.fileExists(atPath: state + "/nested/state/window/h5/" + s)
                                    ? "/nested/state/window/h5/" : "/nested/state/awaiting/") + s
                XCTAssertEqual(try mode(path), 0o600, path)
            }
            XCTAssertEqual(try mode(state + "/nested/state/awaiting.bin"), 0o600)

            // The model store: version directory 0700, every file 0600; `stackd train` outputs stay 0644.
            let layout = StackingFeatureLayout(models: models, classCount: 3)
            let store = ModelStore(directory: state + "/nested/state", horizons: [5], layout: layout, logger: quiet)
            try store.save(combiner: try combiner(version: 1, layout: layout), horizon: 5, version: 1, reason: "test")
            let version = state + "/nested/state/models/h5/v000001"
            XCTAssertEqual(try mode(state + "/nested/state/models"), 0o700)
            XCTAssertEqual(try mode(version), 0o700)
            for f in try FileManager.default.contentsOfDirectory(atPath: version) { XCTAssertEqual(try mode(version + "/" + f), 0o600, f) }
            XCTAssertEqual(try mode(state + "/nested/state/models/h5/CURRENT"), 0o600)
            try AtomicFile.write([1, 2, 3], to: state + "/train-output.json")
            XCTAssertEqual(try mode(state + "/train-output.json"), 0o644)
        }
    }

    func testJournalsArePrivate() throws {
        try withUmask(0o022) {
            let journal = state + "/journal"
            let manifest = JournalManifest(endpoints: ["ipc:///nowhere"], topics: [""], note: "test",
                                           createdAt: Date(timeIntervalSince1970: 1_700_000_000),
                                           monotonicToUnixOffsetNanoseconds: 0)
            let writer = try JournalWriter(directory: journal, manifest: manifest)
            let topic = Array("pred.SPX.5.a".utf8), payload: [UInt8] = [1, 2, 3]
            try topic.withUnsafeBytes { t in try payload.withUnsafeBytes { p in try writer.append(topic: t, payload: p, receivedAt: 1) } }
            try writer.close()
            XCTAssertEqual(try mode(journal), 0o700)
            var files = 0
            let enumerator = try XCTUnwrap(FileManager.default.enumerator(atPath: journal))
            while let relative = enumerator.nextObject() as? String {
                let path = journal + "/" + relative
                var isDirectory: ObjCBool = false
                _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
                XCTAssertEqual(try mode(path), isDirectory.boolValue ? 0o700 : 0o600, relative)
                if !isDirectory.boolValue { files += 1 }
            }
            XCTAssertGreaterThanOrEqual(files, 2, "the manifest and a segment")
        }
    }

    func testAStricterUmaskWins() throws {
        try withUmask(0o277) {
            try PrivateFiles.atomicallyWrite([1, 2, 3], to: state + "/strict")
            XCTAssertEqual(try mode(state + "/strict"), 0o400)
            try AtomicFile.write([1], to: state + "/strict-model", mode: AtomicFile.privateMode)
            XCTAssertEqual(try mode(state + "/strict-model"), 0o400)
        }
    }

    /// The old fixed temporary names (`awaiting.bin.tmp`, `<file>.tmp.<pid>`) with a symlink
    /// planted on them: the target is never written, and the real file is a regular file.
    func testPlantedSymlinksAreNeverWrittenThrough() throws {
        let victim = state + "/victim"
        try Data("precious".utf8).write(to: URL(fileURLWithPath: victim))
        let p = try pipeline()
        let window = try DurableWindow(directory: state, horizons: [5], modelCount: 2, classCount: 3, featureCount: p.layout.count,
                                       retrain: RetrainPolicy(), settings: .init(), logger: quiet)
        defer { window.close() }
        XCTAssertEqual(symlink(victim, state + "/awaiting.bin.tmp"), 0)
        XCTAssertEqual(symlink(victim, state + "/model.json.tmp.\(getpid())"), 0)
        _ = window.saveAwaiting(from: p)
        try AtomicFile.write(Array("new".utf8), to: state + "/model.json", mode: AtomicFile.privateMode)
        XCTAssertEqual(try String(contentsOfFile: victim, encoding: .utf8), "precious")
        var info = stat()
        XCTAssertEqual(lstat(state + "/awaiting.bin", &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFREG)

        // And a symlink on the exact temporary name is refused by the open itself.
        let planted = state + "/planted.tmp"
        XCTAssertEqual(symlink(victim, planted), 0)
        XCTAssertThrowsError(try RawFile(path: planted, flags: PrivateFiles.temporaryFlags)) { error in
            guard case let StorageError.io(_, _, code) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(code, EEXIST)
        }
        XCTAssertNotEqual(PrivateFiles.temporaryPath(for: "x"), PrivateFiles.temporaryPath(for: "x"), "unique per call")
        XCTAssertEqual(try String(contentsOfFile: victim, encoding: .utf8), "precious")
    }
}
