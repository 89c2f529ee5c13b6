import Foundation
import Logging
import StackdCore
import StackdDaemon
import StackdLearning
import StackdTestSupport
import StackdTraining
import XCTest

/// The versioned model store: save, reload, retention, rollback, refusal of a corrupt current
/// version with fallback, averaging as current, and the `stackd models` command.
final class ModelStoreTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let binary = Repository.stackdBinary

    let layout = StackingFeatureLayout(models: ["alpha", "beta", "gamma"], classCount: 3)
    let horizon = 5
    var state: String!
    let quiet = Logger(label: "test.models", factory: { _ in SwiftLogNoOpLogHandler() })

    override func setUpWithError() throws {
        state = NSTemporaryDirectory() + "stackd-models-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let state { try? FileManager.default.removeItem(atPath: state) }
    }

    // MARK: fixtures

    /// Rows of the basic feature set (9 columns) with labels tied to them, from a fixed seed.
    func data(seed: UInt64, rows: Int = 60) -> (Matrix, [Int]) {
        var s = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        func next() -> Double {
            s = s &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(s >> 11) / Double(1 << 53)
        }
        let f = MetaFeatureSet.basic.columnCount(layout)
        var x = [Double](), y = [Int]()
        for _ in 0..<rows {
            let row = (0..<f).map { _ in next() }
            x += row
            // The label follows the class with the largest summed probability, with some noise.
            let sums = (0..<3).map { c in row[c] + row[3 + c] + row[6 + c] + 0.3 * next() }
            y.append(sums.firstIndex(of: sums.max()!)!)
        }
        return (Matrix(rows: rows, cols: f, storage: x), y)
    }

    func combiner(seed: UInt64, version: UInt32) throws -> LogisticCombiner {
        let (X, y) = data(seed: seed)
        let model = try MultinomialLogisticRegression.fit(X: X, y: y, classes: 3, C: 0.5 + Double(seed))
        return LogisticCombiner(model: model, featureSet: .basic, layout: layout, version: version)
    }

    /// Predictions of a combiner on a fixed probe set, through the live `combine` path.
    func predictions(_ c: any MetaCombiner) -> [Double] {
        let (X, _) = data(seed: 99, rows: 20)
        let base = [Double](repeating: 1.0 / 3, count: 9)
        var out = [Double]()
        for r in 0..<X.rows {
            let row = Array(X.storage[r * X.cols ..< (r + 1) * X.cols])
            var p = [Double](repeating: 0, count: 3)
            base.withUnsafeBufferPointer { b in
                row.withUnsafeBufferPointer { f in
                    p.withUnsafeMutableBufferPointer { c.combine(basePredictions: b, features: f, presentMask: 0b111, into: $0) }
                }
            }
            out += p
        }
        return out
    }

    func makeStore(keep: Int = 5, layout: StackingFeatureLayout? = nil) -> ModelStore {
        ModelStore(directory: state, horizons: [horizon], layout: layout ?? self.layout, keep: keep, logger: quiet)
    }

    /// Saves three logistic versions; returns their combiners.
    func saveThree(_ store: ModelStore) throws -> [LogisticCombiner] {
        var saved: [LogisticCombiner] = []
        for i in 1...3 {
            let c = try combiner(seed: UInt64(i), version: UInt32(10 * i))
            let name = try store.save(combiner: c, horizon: horizon, version: c.version, reason: "retrain \(i)", outcome: nil)
            XCTAssertEqual(name, ModelStore.versionName(i))
            saved.append(c)
        }
        return saved
    }

    var horizonDir: String { "\(state!)/models/h\(horizon)" }

    // MARK: tests

    func testNothingStoredLoadsNothing() {
        XCTAssertNil(makeStore().loadCurrent(horizon: horizon))
    }

    func testSaveThreeVersionsAndReloadCurrentGivesIdenticalPredictions() throws {
        let store = makeStore()
        let saved = try saveThree(store)
        XCTAssertNotEqual(predictions(saved[1]), predictions(saved[2]), "the fixture's models must differ")
        XCTAssertEqual(try String(contentsOfFile: "\(horizonDir)/CURRENT", encoding: .utf8), "v000003\n")
        for name in ["model.json", "meta_config.json", "version.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(horizonDir)/v000003/\(name)"), name)
        }
        // Nothing temporary left behind.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: horizonDir).sorted(),
                       ["CURRENT", "v000001", "v000002", "v000003"])

        let selection = try XCTUnwrap(makeStore().loadCurrent(horizon: horizon))
        XCTAssertEqual(selection.version, "v000003")
        XCTAssertFalse(selection.fellBack)
        XCTAssertEqual(selection.combiner.version, 30)
        XCTAssertEqual(selection.combiner.method, .logistic)
        XCTAssertEqual(predictions(selection.combiner), predictions(saved[2]))

        let versions = try store.versions(horizon: horizon)
        XCTAssertEqual(versions.map(\.name), ["v000001", "v000002", "v000003"])
        XCTAssertEqual(versions.map(\.isCurrent), [false, false, true])
        XCTAssertEqual(versions.map(\.reason), ["retrain 1", "retrain 2", "retrain 3"])
        XCTAssertEqual(versions.map(\.combinerVersion), [10, 20, 30])
        XCTAssertEqual(versions.map(\.method), ["logistic", "logistic", "logistic"])
        XCTAssertTrue(versions.allSatisfy { $0.problem == nil && $0.createdAt.hasSuffix("Z") })
    }

    func testRetentionKeepsTheLastKAndNeverTheCurrentOne() throws {
        let store = makeStore(keep: 2)
        for i in 1...4 {
            try store.save(combiner: try combiner(seed: UInt64(i), version: UInt32(i)), horizon: horizon, version: UInt32(i),
                           reason: "r\(i)")
        }
        XCTAssertEqual(try store.versions(horizon: horizon).map(\.name), ["v000003", "v000004"])

        // The current version survives pruning even when it is older than the last K.
        try makeStore(keep: 3).save(combiner: try combiner(seed: 5, version: 5), horizon: horizon, version: 5, reason: "r5")
        XCTAssertEqual(try store.versions(horizon: horizon).map(\.name), ["v000003", "v000004", "v000005"])
        try store.rollback(horizon: horizon, to: "v000003")
        XCTAssertEqual(try makeStore(keep: 1).prune(horizon: horizon), ["v000004"])
        XCTAssertEqual(try store.versions(horizon: horizon).map(\.name), ["v000003", "v000005"])
        XCTAssertEqual(store.current(horizon: horizon), "v000003")

        // Sequences are never reused after pruning.
        let next = try store.save(combiner: try combiner(seed: 7, version: 7), horizon: horizon, version: 7, reason: "r7")
        XCTAssertEqual(next, "v000006")
        XCTAssertEqual(try store.versions(horizon: horizon).map(\.name), ["v000005", "v000006"])
    }

    func testRollbackMovesCurrentAndReloadGivesThePreviousModel() throws {
        let store = makeStore()
        let saved = try saveThree(store)

        let r = try store.rollback(horizon: horizon, to: nil)
        XCTAssertEqual(r, RollbackResult(horizon: horizon, from: "v000003", to: "v000002", skipped: []))
        let selection = try XCTUnwrap(store.loadCurrent(horizon: horizon))
        XCTAssertEqual(selection.version, "v000002")
        XCTAssertFalse(selection.fellBack)
        XCTAssertEqual(predictions(selection.combiner), predictions(saved[1]))

        XCTAssertEqual(try store.rollback(horizon: horizon, to: "1").to, "v000001")
        XCTAssertEqual(predictions(try XCTUnwrap(store.loadCurrent(horizon: horizon)).combiner), predictions(saved[0]))

        // Nothing older than v000001; unknown versions are refused; CURRENT is untouched.
        XCTAssertThrowsError(try store.rollback(horizon: horizon, to: nil)) {
            guard case ModelStoreError.nothingToRollBackTo = $0 else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try store.rollback(horizon: horizon, to: "v000042")) {
            XCTAssertEqual($0 as? ModelStoreError, .unknownVersion(horizon: 5, version: "v000042",
                                                                   available: ["v000001", "v000002", "v000003", "averaging"]))
        }
        XCTAssertThrowsError(try store.rollback(horizon: 7, to: nil))
        XCTAssertEqual(store.current(horizon: horizon), "v000001")

        // Forward again to the newest.
        XCTAssertEqual(try store.rollback(horizon: horizon, to: "v000003").to, "v000003")
        XCTAssertEqual(predictions(try XCTUnwrap(store.loadCurrent(horizon: horizon)).combiner), predictions(saved[2]))
    }

    func testCorruptCurrentModelIsRefusedAndThePreviousVersionIsServed() throws {
        let store = makeStore()
        let saved = try saveThree(store)
        let modelPath = "\(horizonDir)/v000003/model.json"
        let bytes = try XCTUnwrap(FileManager.default.contents(atPath: modelPath))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: modelPath))

        let selection = try XCTUnwrap(store.loadCurrent(horizon: horizon))
        XCTAssertEqual(selection.version, "v000002")
        XCTAssertEqual(selection.current, "v000003")
        XCTAssertTrue(selection.fellBack)
        XCTAssertTrue(selection.reason.contains("v000003 refused"), selection.reason)
        XCTAssertTrue(selection.reason.contains(modelPath), selection.reason)
        XCTAssertTrue(selection.reason.contains("using previous valid version v000002"), selection.reason)
        XCTAssertEqual(predictions(selection.combiner), predictions(saved[1]))
        // Loading never moves CURRENT; the listing names the problem.
        XCTAssertEqual(store.current(horizon: horizon), "v000003")
        let listed = try store.versions(horizon: horizon)
        XCTAssertNotNil(listed[2].problem)
        XCTAssertTrue(listed[2].problem!.contains("model.json"))
        XCTAssertNil(listed[1].problem)

        // An explicit rollback to the corrupt version is refused.
        try store.rollback(horizon: horizon, to: "v000001")
        XCTAssertThrowsError(try store.rollback(horizon: horizon, to: "v000003")) {
            guard case ModelStoreError.invalidVersion(_, "v000003", _) = $0 else { return XCTFail("\($0)") }
        }
        XCTAssertEqual(store.current(horizon: horizon), "v000001")
    }

    /// Replaces the first number after `"coefficients"` in a model file with `replacement`: the
    /// file stays valid JSON of the right shape.
    func editFirstCoefficient(_ path: String, to replacement: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let start = try XCTUnwrap(text.range(of: "\"coefficients\""))
        let number = try XCTUnwrap(text.range(of: #"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?"#, options: .regularExpression,
                                              range: start.upperBound..<text.endIndex))
        XCTAssertNotEqual(String(text[number]), replacement)
        try text.replacingCharacters(in: number, with: replacement).write(toFile: path, atomically: false, encoding: .utf8)
        // Valid JSON by the grammar (Foundation's parser refuses 1e999 as beyond Double's range).
        if Double(replacement)?.isFinite ?? false {
            XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))), "still valid JSON")
        }
    }

    func testEditedCoefficientThatStillParsesIsRefusedByItsChecksum() throws {
        let store = makeStore()
        let saved = try saveThree(store)
        let modelPath = "\(horizonDir)/v000003/model.json"
        try editFirstCoefficient(modelPath, to: "0.123456")

        let selection = try XCTUnwrap(store.loadCurrent(horizon: horizon))
        XCTAssertEqual(selection.version, "v000002", selection.reason)
        XCTAssertTrue(selection.fellBack)
        XCTAssertEqual(selection.refusals.map(\.version), ["v000003"])
        XCTAssertEqual(selection.refusals.map(\.reason), [.checksum])
        XCTAssertTrue(selection.reason.contains("\(modelPath): checksum mismatch"), selection.reason)
        XCTAssertEqual(predictions(selection.combiner), predictions(saved[1]))
        XCTAssertTrue(try store.versions(horizon: horizon)[2].problem?.contains("checksum mismatch") ?? false)
    }

    func testEditedManifestIsRefusedByItsOwnChecksum() throws {
        let store = makeStore()
        let saved = try saveThree(store)
        let manifest = "\(horizonDir)/v000003/version.json"
        let text = try String(contentsOfFile: manifest, encoding: .utf8)
        // The combiner version the daemon would report, changed; the JSON stays valid.
        let edited = text.replacingOccurrences(of: "\"combiner_version\" : 30", with: "\"combiner_version\" : 31")
        XCTAssertNotEqual(edited, text)
        try edited.write(toFile: manifest, atomically: false, encoding: .utf8)

        let selection = try XCTUnwrap(store.loadCurrent(horizon: horizon))
        XCTAssertEqual(selection.version, "v000002", selection.reason)
        XCTAssertEqual(selection.refusals.map(\.reason), [.checksum])
        XCTAssertTrue(selection.reason.contains("manifest checksum mismatch"), selection.reason)
        XCTAssertEqual(predictions(selection.combiner), predictions(saved[1]))

        // Whitespace alone is not an edit of the manifest's content.
        try (text.replacingOccurrences(of: "\n", with: "\n  ")).write(toFile: manifest, atomically: false, encoding: .utf8)
        XCTAssertEqual(store.loadCurrent(horizon: horizon)?.version, "v000003")
    }

    func testNonFiniteAndAbsurdValuesAreRefusedOnLoad() throws {
        _ = try saveThree(makeStore())
        // A copy loaded as `stackd train` output (no store checksums): only the value checks stand.
        let copy = "\(state!)/copy"
        for (replacement, shown) in [("-1e308", "value #0 is -1e+308"), ("1e999", "number 1e999 is not finite"),
                                     ("2e6", "value #0 is 2000000.0")] {
            try? FileManager.default.removeItem(atPath: copy)
            try FileManager.default.copyItem(atPath: "\(horizonDir)/v000003", toPath: copy)
            try editFirstCoefficient("\(copy)/model.json", to: replacement)
            XCTAssertThrowsError(try ArtifactLoader.load(directory: copy, horizon: horizon, layout: layout), replacement) { error in
                let e = error as? ArtifactError
                XCTAssertEqual(e?.reason, .values, "\(error)")
                XCTAssertTrue(e?.message.contains(shown) ?? false, "\(error)")
            }
        }
        // The unedited copy loads: the bound does not catch real models.
        try? FileManager.default.removeItem(atPath: copy)
        try FileManager.default.copyItem(atPath: "\(horizonDir)/v000003", toPath: copy)
        XCTAssertNoThrow(try ArtifactLoader.load(directory: copy, horizon: horizon, layout: layout))
    }

    func testStoreSchema1WithoutChecksumsIsReadAndUnknownSchemasAreRefusedClearly() throws {
        let store = makeStore()
        let saved = try saveThree(store)
        let manifest = "\(horizonDir)/v000003/version.json"
        var object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: manifest))) as? [String: Any])
        XCTAssertEqual(object["store_schema_version"] as? Int, 2)
        XCTAssertNotNil(object["checksums"])
        XCTAssertNotNil(object["manifest_checksum"])
        object["store_schema_version"] = 1
        object["checksums"] = nil
        object["manifest_checksum"] = nil
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: manifest))
        let selection = try XCTUnwrap(store.loadCurrent(horizon: horizon))
        XCTAssertEqual(selection.version, "v000003", selection.reason)
        XCTAssertEqual(predictions(selection.combiner), predictions(saved[2]))

        object["store_schema_version"] = 3
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: manifest))
        let refused = try XCTUnwrap(store.loadCurrent(horizon: horizon))
        XCTAssertEqual(refused.version, "v000002")
        XCTAssertEqual(refused.refusals.map(\.reason), [.manifest])
        XCTAssertTrue(refused.reason.contains("unknown store schema version 3"), refused.reason)
    }

    func testRandomByteDamageToAStoredVersionIsNeverACrash() throws {
        let store = makeStore()
        let saved = try saveThree(store)
        var rng = SplitMix64(seed: 0x5EED_0011)
        func next() -> Int { Int(rng.next() >> 33) }
        let files = ["model.json", "meta_config.json", "version.json"]
        let originals = try files.map { try XCTUnwrap(FileManager.default.contents(atPath: "\(horizonDir)/v000003/\($0)")) }
        for round in 0..<60 {
            let i = next() % files.count
            var bytes = [UInt8](originals[i])
            bytes[next() % bytes.count] ^= UInt8(1 + next() % 255)
            try Data(bytes).write(to: URL(fileURLWithPath: "\(horizonDir)/v000003/\(files[i])"))
            let selection = try XCTUnwrap(store.loadCurrent(horizon: horizon), "round \(round)")
            XCTAssertEqual(selection.version, "v000002", "round \(round): \(files[i]) damaged: \(selection.reason)")
            XCTAssertEqual(predictions(selection.combiner), predictions(saved[1]))
            try originals[i].write(to: URL(fileURLWithPath: "\(horizonDir)/v000003/\(files[i])"))
        }
        XCTAssertEqual(store.loadCurrent(horizon: horizon)?.version, "v000003", "restored files load again")
    }

    func testMismatchedLayoutIsRefusedDownToAveraging() throws {
        _ = try saveThree(makeStore())
        // Same shape, different model names: every version is refused, averaging is served.
        let other = StackingFeatureLayout(models: ["alpha", "beta", "delta"], classCount: 3)
        let selection = try XCTUnwrap(makeStore(layout: other).loadCurrent(horizon: horizon))
        XCTAssertEqual(selection.version, "averaging")
        XCTAssertTrue(selection.fellBack)
        XCTAssertTrue(selection.combiner is AveragingCombiner)
        XCTAssertTrue(selection.reason.contains("meta_config.json"), selection.reason)
        XCTAssertTrue(selection.reason.contains("no valid version left"), selection.reason)
    }

    func testAveragingIsPersistedAsCurrent() throws {
        let store = makeStore()
        let c = try combiner(seed: 1, version: 4)
        try store.save(combiner: c, horizon: horizon, version: 4, reason: "promoted")
        let name = try store.save(combiner: AveragingCombiner(modelCount: 3, classCount: 3), horizon: horizon, version: 0,
                                  reason: "nothing beat averaging")
        XCTAssertEqual(name, "averaging")
        XCTAssertEqual(try String(contentsOfFile: "\(horizonDir)/CURRENT", encoding: .utf8), "averaging\n")
        let selection = try XCTUnwrap(store.loadCurrent(horizon: horizon))
        XCTAssertEqual(selection.version, "averaging")
        XCTAssertFalse(selection.fellBack)
        XCTAssertTrue(selection.combiner is AveragingCombiner)
        XCTAssertEqual(selection.combiner.version, 0)
        XCTAssertEqual(try store.versions(horizon: horizon).map(\.isCurrent), [false])

        // Rolling back from averaging goes to the newest stored version, and back again.
        XCTAssertEqual(try store.rollback(horizon: horizon, to: nil).to, "v000001")
        XCTAssertEqual(predictions(try XCTUnwrap(store.loadCurrent(horizon: horizon)).combiner), predictions(c))
        XCTAssertEqual(try store.rollback(horizon: horizon, to: "averaging").to, "averaging")
    }

    func testWeightedAverageIsStoredAsAVersion() throws {
        let store = makeStore()
        let w = WeightedAverageCombiner(weights: [0.5, 0.3, 0.2], classCount: 3, version: 9)
        XCTAssertEqual(try store.save(combiner: w, horizon: horizon, version: 9, reason: "weighted"), "v000001")
        let selection = try XCTUnwrap(store.loadCurrent(horizon: horizon))
        XCTAssertEqual(selection.combiner.method, .weightedAverage)
        XCTAssertEqual(predictions(selection.combiner), predictions(w))
    }

    /// The CLI (no configuration at hand) rebuilds the layout from what the artifact recorded,
    /// recent-skill columns included, so it checks and loads such a model like the daemon does.
    func testRecordedLayoutKeepsTheSkillWindow() throws {
        let skillLayout = StackingFeatureLayout(models: layout.models, classCount: 3, skillWindow: 50)
        XCTAssertNotEqual(skillLayout.count, layout.count)
        let (X, y) = data(seed: 1)
        let model = try MultinomialLogisticRegression.fit(X: X, y: y, classes: 3)
        let c = LogisticCombiner(model: model, featureSet: .basic, layout: skillLayout, version: 7)
        _ = try makeStore(layout: skillLayout).save(combiner: c, horizon: horizon, version: 7, reason: "skill", outcome: nil)
        let recorded = try XCTUnwrap(ModelStoreCommands.recordedLayout(state: state, horizon: horizon))
        XCTAssertEqual(recorded.skillWindow, 50)
        XCTAssertEqual(recorded.count, skillLayout.count)
        XCTAssertNotNil(makeStore(layout: recorded).loadCurrent(horizon: horizon), "the recorded layout loads the saved model")
    }

    func testCommandImplementationListsAndRollsBack() throws {
        _ = try saveThree(makeStore())
        let listing = try ModelStoreCommands.list(state: state)
        XCTAssertTrue(listing.contains("h5: current v000003"), listing)
        XCTAssertTrue(listing.contains("* v000003"), listing)
        XCTAssertTrue(listing.contains("  v000001"), listing)
        XCTAssertTrue(listing.contains("retrain 2"), listing)

        let out = try ModelStoreCommands.rollback(state: state, horizon: horizon, to: nil)
        XCTAssertTrue(out.contains("h5: CURRENT v000003 -> v000002"), out)
        XCTAssertTrue(out.contains("restart"), out)
        XCTAssertTrue(try ModelStoreCommands.list(state: state, horizon: horizon).contains("* v000002"))
        XCTAssertThrowsError(try ModelStoreCommands.rollback(state: state, horizon: horizon, to: "v000009"))
        XCTAssertEqual(makeStore().current(horizon: horizon), "v000002")
    }

    func testCommandLineListAndRollback() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary.path) else {
            throw XCTSkip("needs `swift build` first (\(Self.binary.path))")
        }
        _ = try saveThree(makeStore())
        func run(_ arguments: [String]) throws -> (Int32, String, String) {
            let r = try CapturedProcess.run(Self.binary, arguments, timeout: 60)
            XCTAssertFalse(r.timedOut, "stackd \(arguments.joined(separator: " ")) did not exit")
            return (r.status, r.stdout, r.stderr)
        }
        let (s1, list, _) = try run(["models", "list", "--state", state, "--horizon", "5"])
        XCTAssertEqual(s1, 0)
        XCTAssertTrue(list.contains("* v000003"), list)

        let (s2, rolled, _) = try run(["models", "rollback", "--state", state, "--horizon", "5", "--to", "v000001"])
        XCTAssertEqual(s2, 0)
        XCTAssertTrue(rolled.contains("v000003 -> v000001"), rolled)
        XCTAssertTrue(rolled.contains("restart"), rolled)

        let (s3, _, refused) = try run(["models", "rollback", "--state", state, "--horizon", "5", "--to", "v000042"])
        XCTAssertNotEqual(s3, 0)
        XCTAssertTrue(refused.contains("no version 'v000042'"), refused)
        XCTAssertEqual(makeStore().current(horizon: horizon), "v000001")
    }
}
