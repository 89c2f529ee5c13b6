import Foundation
import Logging
import StackdCore
@testable import StackdDaemon
import StackdJournal
@testable import StackdReplay
import XCTest

/// Journals without control records (format version 1, or `stackd record`) replay as before:
/// retrains run inline at the pipeline's event-time schedule. And control records round-trip.
final class ReplayParityJournalFormatTests: XCTestCase {
    var temporary: URL!

    override func setUpWithError() throws {
        temporary = FileManager.default.temporaryDirectory.appendingPathComponent("stackd-parity-format-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: temporary) }

    static let configText = """
        [models]
        names = ["a", "b", "c"]
        [stream]
        horizons = [1]
        [input]
        bind = ["ipc:///tmp/unused-in.sock"]
        [output]
        bind = ["ipc:///tmp/unused-out.sock"]
        [retrain]
        every_labels = 150
        min_rows = 150
        window_rows = 20000
        [learner]
        kind = "logistic"
        [metrics]
        address = ""
        """

    /// A version 1 journal of 2 400 event times (predictions of a, b, c, then the previous label),
    /// one millisecond apart, written exactly as a format 1 writer did (record version 1 only).
    func writeVersion1Journal(at directory: String) throws {
        let writer = try JournalWriter(directory: directory, manifest: JournalManifest(
            endpoints: ["ipc:///tmp/unused-in.sock"], bind: true, monotonicToUnixOffsetNanoseconds: 0))
        var rng: UInt64 = 5
        func uniform() -> Double {
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            return Double(rng >> 11) * 0x1p-53
        }
        var previous: (Int64, Int)?
        var time: Int64 = 1_000_000_000
        func append(_ topic: String, _ payload: [UInt8]) throws {
            time += 250_000
            try Array(topic.utf8).withUnsafeBytes { t in
                try payload.withUnsafeBytes { p in try writer.append(topic: t, payload: p, receivedAt: time) }
            }
        }
        for t in Int64(1)...2_400 {
            let truth = min(2, Int(uniform() * 3))
            for m in ["a", "b", "c"] {
                var w = (0..<3).map { _ in uniform() * 0.3 + 0.05 }
                if m == "a" { w[truth] += 0.8 }
                if m == "b" { w[(truth + 1) % 3] += 0.8 }
                let p = w.map { $0 / w.reduce(0, +) }
                try append("pred.SPX.1.\(m)", WireEncoder.binaryPrediction(
                    model: m, symbol: "SPX", horizon: 1, eventTime: t, sequence: 0, probabilities: p))
            }
            if let (eventTime, label) = previous {
                try append("label.SPX.1", WireEncoder.binaryLabel(
                    symbol: "SPX", horizon: 1, eventTime: eventTime, sequence: 0, classIndex: label, classCount: 3,
                    forwardReturn: 0.001, exitTime: t))
            }
            previous = (t, truth)
        }
        try writer.close()
        // As a format 1 writer left it.
        let manifest = directory + "/" + JournalManifest.fileName
        let text = try String(contentsOfFile: manifest, encoding: .utf8)
        XCTAssertTrue(text.contains("\"version\" : 2"), text)
        try text.replacingOccurrences(of: "\"version\" : 2", with: "\"version\" : 1").write(toFile: manifest, atomically: true, encoding: .utf8)
    }

    func testAVersion1JournalReplaysOnTheEventTimeScheduleAsBefore() throws {
        let journal = temporary.appendingPathComponent("journal").path
        try writeVersion1Journal(at: journal)
        if let keep = ProcessInfo.processInfo.environment["STACKD_PARITY_KEEP_JOURNAL"] {
            // To pin the digest below with another build: `stackd replay KEEP/journal --config KEEP/stackd.toml`.
            try? FileManager.default.createDirectory(atPath: keep, withIntermediateDirectories: true)
            try? FileManager.default.copyItem(atPath: journal, toPath: keep + "/journal")
            try? Self.configText.write(toFile: keep + "/stackd.toml", atomically: true, encoding: .utf8)
        }
        let reader = try JournalReader(directory: journal)
        XCTAssertEqual(reader.manifest.version, 1)
        let config = try ConfigurationLoader.parse(Self.configText, source: "test")
        let result = try ReplayRunner(configuration: config, trainer: DaemonTrainer.make(configuration: config),
                                      logger: Logger(label: "replay")).run(journal: reader)
        XCTAssertEqual(result.controlRecords, 0)
        XCTAssertEqual(result.sessionDigests, [])
        XCTAssertEqual(result.parityMismatches, [])
        // 2 399 labels, a retrain every 150 from the 150th: 15 retrains, each inline and on time.
        XCTAssertEqual(result.trainings.count, 15)
        XCTAssertEqual(result.counters.lateModelInstalls, 0)
        XCTAssertGreaterThan(result.counters.modelInstalls, 0)
        XCTAssertEqual(result.digest.count, 2_400)
        // Pinned with the build before control records existed (commit c7adb09's `stackd replay`:
        // 0e7bc74879c78ae2), re-pinned when the logistic learner began choosing C inside meta-train
        // (its models, hence the outputs after the first retrain, changed; the schedule did not),
        // and again when the gate began serving promoted models refitted on the whole window and
        // falling back to the best baseline (d5d3c362e49672ca before), and when a champion that
        // already serves the best single model was kept instead of reinstalled under a new
        // version (ba3a55230a2b1965 before), and when `learner.logistic_c` began defaulting to 1
        // instead of the grid (2540c1e36c53859b before; the release `stackd replay` of the kept
        // journal prints the same digest).
        XCTAssertEqual(result.digest.description, "dc6750839901235e")
    }

    func testControlRecordsRoundTripThroughTheJournal() throws {
        let journal = temporary.appendingPathComponent("journal").path
        let recorder = try JournalRecorder(directory: journal, endpoints: ["ipc:///x"], bind: true, topics: [""])
        let state = JournalControlRecord.RestoredState(
            symbols: ["SPX", "NDX"],
            horizons: [.init(horizon: 5, modelSource: "artifact", modelVersion: 3, method: "logistic",
                             modelFiles: [.init(name: "model.json", bytes: Array("{}".utf8)), .init(name: "meta_config.json", bytes: [1, 2])],
                             windowRows: [9, 9, 9], windowRowCount: 1)],
            awaitingRows: [], awaitingRowCount: 0)
        let finished = JournalControlRecord.RetrainFinished(horizon: 5, horizonIndex: 0, sequence: 4, decision: "promote",
                                                            version: 4, method: "logistic", applyFrom: 77, onTime: false)
        recorder.record(control: .sessionStarted(state), at: 10)
        Array("pred.SPX.5.a".utf8).withUnsafeBytes { t in [UInt8(1)].withUnsafeBytes { p in recorder.record(topic: t, payload: p, receivedAt: 11) } }
        recorder.record(control: .retrainRequested(.init(reason: "on_demand", sequences: [2, nil])), at: 12)
        recorder.record(control: .retrainFinished(finished), at: 13)
        try recorder.close()

        let entries = try JournalReader(directory: journal).readAll()
        XCTAssertEqual(entries.map(\.isControl), [true, false, true, true])
        XCTAssertEqual(entries.map(\.receivedAt), [10, 11, 12, 13])
        XCTAssertEqual(entries[1].frames, [Array("pred.SPX.5.a".utf8), [1]])
        XCTAssertEqual(try JournalControlRecord.decode(frames: entries[0].frames), .sessionStarted(state))
        XCTAssertEqual(try JournalControlRecord.decode(frames: entries[2].frames),
                       .retrainRequested(.init(reason: "on_demand", sequences: [2, nil])))
        XCTAssertEqual(try JournalControlRecord.decode(frames: entries[3].frames), .retrainFinished(finished))
        XCTAssertThrowsError(try JournalControlRecord.decode(frames: [Array("{\"v\":1,\"kind\":\"nope\"}".utf8)]))
    }
}
