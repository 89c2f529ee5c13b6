import XCTest
@testable import StackdLearning

final class DatasetAndSplitTests: XCTestCase {
    let preds = """
    timestamp,symbol,horizon,model,p_short,p_neutral,p_long
    2020-01-03,ZZZ,5,xgb,0.1,0.2,0.7
    2020-01-03,ZZZ,5,alpha,0.3,0.3,0.4
    2020-01-02,ZZZ,5,alpha,0.5,0.25,0.25
    2020-01-02,ZZZ,5,xgb,0.2,0.6,0.2
    2020-01-03,AAA,5,alpha,0.6,0.2,0.2
    2020-01-03,AAA,5,xgb,0.0,0.0,1.0
    """
    let labels = """
    timestamp,symbol,horizon,label,fwd_return,exit_timestamp
    2020-01-02,ZZZ,5,-1,-0.03,2020-01-09
    2020-01-03,ZZZ,5,1,0.02,2020-01-10
    2020-01-03,AAA,5,0,0.001,2020-01-10
    2021-01-03,QQQ,5,0,0.001,2021-01-10
    """
    let regimes = """
    timestamp,symbol,vol_regime,trend_regime,rv20,rv252
    2020-01-02,ZZZ,1,-1,0.01,0.02
    2020-01-03,ZZZ,0,1,0.01,0.02
    2020-01-03,AAA,-1,0,0.01,0.02
    """

    func testCivilDates() {
        XCTAssertEqual(CivilDate.epochNanoseconds("1970-01-01"), 0)
        XCTAssertEqual(CivilDate.epochNanoseconds("1970-01-02"), CivilDate.nanosecondsPerDay)
        XCTAssertEqual(CivilDate.epochNanoseconds("1969-12-31"), -CivilDate.nanosecondsPerDay)
        // 2000-03-01 is day 11017 (10957 days to 2000-01-01, + 31 + 29 in leap 2000).
        XCTAssertEqual(CivilDate.daysFromCivil(year: 2000, month: 3, day: 1), 11_017)
        XCTAssertNil(CivilDate.epochNanoseconds("2019-02-29"))
        XCTAssertNil(CivilDate.epochNanoseconds("2020-13-01"))
        XCTAssertNil(CivilDate.epochNanoseconds("2020/01/01"))
        XCTAssertNotNil(CivilDate.epochNanoseconds("2020-02-29"))
        for d in stride(from: Int64(-800_000), to: 800_000, by: 997) {
            let (y, m, dd) = CivilDate.civilFromDays(d)
            XCTAssertEqual(CivilDate.daysFromCivil(year: y, month: m, day: dd), d)
        }
        XCTAssertEqual(CivilDate.dateString(epochNanoseconds: CivilDate.epochNanoseconds("1997-12-12")!), "1997-12-12")
    }

    func testParsesJoinsAndSorts() throws {
        let ds = try OOSDailyDataset(horizon: 5, predictions: preds, labels: labels, regimes: regimes)
        XCTAssertEqual(ds.models, ["alpha", "xgb"])
        XCTAssertEqual(ds.events.map(\.symbol), ["ZZZ", "AAA", "ZZZ"])
        XCTAssertEqual(ds.events.map { CivilDate.dateString(epochNanoseconds: $0.timestamp) },
                       ["2020-01-02", "2020-01-03", "2020-01-03"])
        XCTAssertEqual(ds.events[1].probabilities, [0.6, 0.2, 0.2, 0.0, 0.0, 1.0])
        XCTAssertEqual(ds.events[2].probabilities, [0.3, 0.3, 0.4, 0.1, 0.2, 0.7])
        XCTAssertEqual(ds.classIndices, [0, 1, 2])
        XCTAssertEqual(ds.forwardReturns, [-0.03, 0.001, 0.02])
        XCTAssertEqual(ds.events[0].exitTimestamp, CivilDate.epochNanoseconds("2020-01-09"))
        XCTAssertEqual(ds.events.map(\.volRegime), [1, -1, 0])
        XCTAssertEqual(ds.events.map(\.trendRegime), [-1, 0, 1])
        XCTAssertEqual(ds.basicFeatures().row(0), [0.5, 0.25, 0.25, 0.2, 0.6, 0.2])
        XCTAssertEqual(ds.averageProbabilities().row(1), [0.3, 0.1, 0.6])
        XCTAssertEqual(ds.basicFeatureGroups, [[0, 1, 2], [3, 4, 5]])
    }

    func testBadLinesNameFileAndLine() {
        func error(_ p: String, _ l: String, _ r: String? = nil) -> OOSDailyParseError? {
            do { _ = try OOSDailyDataset(horizon: 5, predictions: p, labels: l, regimes: r); return nil }
            catch { return error as? OOSDailyParseError }
        }
        let badNumber = preds.replacingOccurrences(of: "0.1,0.2,0.7", with: "0.1,x,0.7")
        XCTAssertEqual(error(badNumber, labels)?.file, "preds_h5.csv")
        XCTAssertEqual(error(badNumber, labels)?.line, 2)
        let badDate = labels.replacingOccurrences(of: "2020-01-10\n2020-01-03,AAA", with: "2020-01-32\n2020-01-03,AAA")
        XCTAssertEqual(error(preds, badDate).map { "\($0.file):\($0.line)" }, "labels_h5.csv:3")
        let shortLine = preds + "\n2020-01-04,AAA,5,alpha,0.1"
        XCTAssertEqual(error(shortLine, labels)?.line, 8)
        // A model missing from an event is a gap (imputed, see MissingModelTests), not an error;
        // the event still needs its label.
        let missingModel = preds + "\n2020-01-06,AAA,5,alpha,0.1,0.1,0.8"
        XCTAssertEqual(error(missingModel, labels)?.file, "labels_h5.csv")
        let duplicate = preds + "\n2020-01-03,AAA,5,xgb,0.1,0.1,0.8"
        XCTAssertEqual(error(duplicate, labels).map { "\($0.file):\($0.line)" }, "preds_h5.csv:8")
        let noLabel = labels.replacingOccurrences(of: "2020-01-03,AAA,5,0,0.001,2020-01-10\n", with: "")
        XCTAssertEqual(error(preds, noLabel)?.file, "labels_h5.csv")
        let badRegime = regimes.replacingOccurrences(of: "1,-1,0.01", with: "7,-1,0.01")
        XCTAssertEqual(error(preds, labels, badRegime).map { "\($0.file):\($0.line)" }, "regimes.csv:2")
        let wrongHorizon = preds.replacingOccurrences(of: "ZZZ,5,xgb,0.1", with: "ZZZ,10,xgb,0.1")
        XCTAssertEqual(error(wrongHorizon, labels)?.line, 2)
    }

    func testChronologicalSplitWithPurge() {
        // Days 0…9, one event each; exit = ts + 3. trainFraction 0.8 → cut index 8 → cut = day 8.
        // test = days 8, 9; train needs exit < 8 → ts ≤ 4; days 5, 6, 7 are purged.
        let ts = (0..<10).map { Int64($0) }
        let split = ChronologicalSplit(timestamps: ts, exitTimestamps: ts.map { $0 + 3 })
        XCTAssertEqual(split.cutTimestamp, 8)
        XCTAssertEqual(split.test, [8, 9])
        XCTAssertEqual(split.train, [0, 1, 2, 3, 4])
        XCTAssertEqual(split.purged, 3)
        // Same-day events stay together: cut index 2 lands in day 1 → all of day 1 is test.
        let ts2: [Int64] = [0, 1, 1, 1, 2]
        let s2 = ChronologicalSplit(timestamps: ts2, exitTimestamps: ts2, trainFraction: 0.5)
        XCTAssertEqual(s2.test, [1, 2, 3, 4])
        XCTAssertEqual(s2.train, [0])
    }
}
