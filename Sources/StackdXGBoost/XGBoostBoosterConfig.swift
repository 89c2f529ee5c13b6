import CXGBoost
import Foundation

/// The few facts about a booster that XGBoost only exposes through its JSON configuration.
///
/// The C API has `XGBoosterGetNumFeature` but no getter for the class count or objective, and a
/// loaded model must be checked against both before its output can be trusted, so the
/// configuration (`XGBoosterSaveJsonConfig`) is parsed instead.
struct XGBoostBoosterConfig {
    let numFeatures: Int
    let numClass: Int
    let objective: String

    private struct Document: Decodable {
        struct Learner: Decodable {
            struct ModelParam: Decodable {
                let num_class: String
                let num_feature: String
            }
            struct Objective: Decodable {
                let name: String
            }
            let learner_model_param: ModelParam
            let objective: Objective
        }
        let learner: Learner
    }

    static func read(from handle: BoosterHandle) throws -> XGBoostBoosterConfig {
        var length: bst_ulong = 0
        var pointer: UnsafePointer<CChar>?
        try xgbCheck(XGBoosterSaveJsonConfig(handle, &length, &pointer), "XGBoosterSaveJsonConfig")
        guard let pointer else {
            throw XGBoostError.library(call: "XGBoosterSaveJsonConfig", message: "returned success but no buffer")
        }
        // The buffer belongs to the booster; copy before anything else touches it.
        let bytes = Data(bytes: pointer, count: Int(length))
        let document: Document
        do {
            document = try JSONDecoder().decode(Document.self, from: bytes)
        } catch {
            throw XGBoostError.modelMismatch("cannot read booster configuration: \(error)")
        }
        let model = document.learner.learner_model_param
        guard let numClass = Int(model.num_class), let numFeatures = Int(model.num_feature) else {
            throw XGBoostError.modelMismatch(
                "booster configuration has non-integer num_class \(model.num_class) / num_feature \(model.num_feature)")
        }
        return XGBoostBoosterConfig(
            numFeatures: numFeatures, numClass: numClass, objective: document.learner.objective.name)
    }
}
