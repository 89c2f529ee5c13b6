import Foundation
import StackdTestSupport
import StackdXGBoost
import XCTest

/// The committed output of `scripts/fixtures/xgboost/make_xgb_fixture.py` (Python xgboost
/// 1.7.4), read straight from the repository so that Package.swift needs no resources.
struct XGBoostFixture {
    struct Meta: Decodable {
        let xgboost_version: String
        let rounds: Int
        let rows: Int
        let train_rows: Int
        let num_features: Int
        let num_class: Int
        let holdout_rows_with_missing: Int
    }

    static let directory = Repository.root.appendingPathComponent("scripts/fixtures/xgboost")

    let meta: Meta
    /// All rows, row-major, `meta.rows * meta.num_features`; NaN where Python wrote "nan".
    let features: [Float]
    let labels: [Float]
    /// Python's `predict` on rows `train_rows..<rows`, row-major `holdout * num_class`.
    let holdoutPredictions: [Double]
    let importanceGain: [String: Double]
    let importanceWeight: [String: Double]
    let modelJSON: [UInt8]

    var cols: Int { meta.num_features }
    var trainRows: Int { meta.train_rows }
    var holdoutRows: Int { meta.rows - meta.train_rows }
    var trainFeatures: [Float] { Array(features[0..<(trainRows * cols)]) }
    var trainLabels: [Float] { Array(labels[0..<trainRows]) }
    var holdoutFeatures: [Float] { Array(features[(trainRows * cols)...]) }
    func holdoutRow(_ index: Int) -> [Float] {
        let start = (trainRows + index) * cols
        return Array(features[start..<(start + cols)])
    }

    /// The parameters `make_xgb_fixture.py` trains with.
    var parameters: XGBoostParameters {
        XGBoostParameters(
            objective: "multi:softprob", numClass: 3, maxDepth: 3, nEstimators: meta.rounds,
            learningRate: 0.1, subsample: 0.8, colsampleByTree: 0.8, seed: 0,
            treeMethod: "hist", nthread: 1)
    }

    static func load() throws -> XGBoostFixture {
        func read(_ name: String) throws -> Data {
            try Data(contentsOf: directory.appendingPathComponent(name))
        }
        func csvRows(_ name: String) throws -> [[String]] {
            let text = String(decoding: try read(name), as: UTF8.self)
            return text.split(separator: "\n").dropFirst().map { $0.split(separator: ",").map(String.init) }
        }
        let meta = try JSONDecoder().decode(Meta.self, from: try read("fixture_meta.json"))
        var features: [Float] = []
        var labels: [Float] = []
        for cells in try csvRows("dataset.csv") {
            guard cells.count == meta.num_features + 1 else { throw FixtureError.malformed("dataset.csv row") }
            for cell in cells.dropLast() {
                guard let value = Float(cell) else { throw FixtureError.malformed("dataset.csv value \(cell)") }
                features.append(value)
            }
            labels.append(Float(cells.last!)!)
        }
        var predictions: [Double] = []
        for cells in try csvRows("holdout_predictions.csv") {
            for cell in cells {
                // Python printed float32 with 9 digits: parse as Float to recover it exactly.
                guard let value = Float(cell) else { throw FixtureError.malformed("prediction \(cell)") }
                predictions.append(Double(value))
            }
        }
        let gain = try JSONDecoder().decode([String: Double].self, from: try read("feature_importance_gain.json"))
        let weight = try JSONDecoder().decode([String: Double].self, from: try read("feature_importance_weight.json"))
        let fixture = XGBoostFixture(
            meta: meta, features: features, labels: labels, holdoutPredictions: predictions,
            importanceGain: gain, importanceWeight: weight, modelJSON: [UInt8](try read("model.json")))
        guard features.count == meta.rows * meta.num_features, labels.count == meta.rows,
              predictions.count == fixture.holdoutRows * meta.num_class
        else { throw FixtureError.malformed("sizes do not match fixture_meta.json") }
        return fixture
    }

    enum FixtureError: Error { case malformed(String) }
}

/// Largest absolute element-wise difference; fails the test on a length mismatch.
func maxAbsoluteDifference(_ a: [Double], _ b: [Double], file: StaticString = #filePath, line: UInt = #line) -> Double {
    XCTAssertEqual(a.count, b.count, "length mismatch", file: file, line: line)
    return zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
}
