import CXGBoost
import Foundation

extension XGBoostClassifier {
    /// The model in XGBoost's own format, readable by any XGBoost front end of a compatible
    /// version (Python `Booster.load_model(bytearray(...))`, the CLI, this type).
    ///
    /// Only the model is saved (trees and learner parameters), not training-only settings
    /// such as `nthread` or `subsample`; that is XGBoost's documented model/config split.
    public func modelData(format: XGBoostModelFormat = .json) throws -> [UInt8] {
        let config = #"{"format": "\#(format.rawValue)"}"#
        var length: bst_ulong = 0
        var pointer: UnsafePointer<CChar>?
        try xgbCheck(XGBoosterSaveModelToBuffer(handle, config, &length, &pointer), "XGBoosterSaveModelToBuffer")
        guard let pointer else {
            throw XGBoostError.library(call: "XGBoosterSaveModelToBuffer", message: "returned success but no buffer")
        }
        // Booster-owned and only valid until the next call: copy.
        return pointer.withMemoryRebound(to: UInt8.self, capacity: Int(length)) {
            Array(UnsafeBufferPointer(start: $0, count: Int(length)))
        }
    }

    /// Writes `modelData(format:)` to `path` atomically, so a crash never leaves a half model
    /// for the daemon to load on restart.
    public func save(toFile path: String, format: XGBoostModelFormat = .json) throws {
        let bytes = try modelData(format: format)
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw XGBoostError.io("cannot write model to \(path): \(error)")
        }
    }

    /// Loads a model saved by XGBoost (JSON or UBJ, detected from the bytes; the deprecated binary
    /// format is refused) and
    /// refuses it unless it is a `multi:softprob` model with the expected shape.
    ///
    /// The expectations are mandatory because a model that silently reads a different feature
    /// layout would produce plausible-looking but meaningless probabilities.
    ///
    /// - Parameters:
    ///   - expectedFeatureCount: the width of the feature vectors the caller will pass.
    ///   - expectedClassCount: the number of classes the caller will interpret.
    ///   - nthread: threads for prediction; not stored in the model, so set here (default 1).
    /// - Throws: `.library` for unreadable bytes, `.modelMismatch` for a valid but wrong model.
    public convenience init(
        modelData: [UInt8], expectedFeatureCount: Int, expectedClassCount: Int, nthread: Int = 1
    ) throws {
        guard !modelData.isEmpty else {
            throw XGBoostError.invalidInput("model buffer is empty")
        }
        // JSON and UBJ models both start with '{'. Anything else would be handed to XGBoost's
        // deprecated binary reader, which trusts length fields in arbitrary bytes; refuse it here.
        guard modelData[0] == UInt8(ascii: "{") else {
            throw XGBoostError.invalidInput(
                "model buffer is not an XGBoost JSON or UBJ model (first byte 0x\(String(modelData[0], radix: 16)))")
        }
        let handle = try Self.createBooster(cache: nil)
        do {
            try modelData.withUnsafeBytes { buffer in
                try xgbCheck(
                    XGBoosterLoadModelFromBuffer(handle, buffer.baseAddress, bst_ulong(buffer.count)),
                    "XGBoosterLoadModelFromBuffer")
            }
            try Self.setParameter(handle, "nthread", String(nthread))
        } catch {
            _ = XGBoosterFree(handle)
            throw error
        }
        try self.init(adopting: handle)
        guard numFeatures == expectedFeatureCount else {
            throw XGBoostError.modelMismatch(
                "model has \(numFeatures) features, expected \(expectedFeatureCount)")
        }
        guard numClass == expectedClassCount else {
            throw XGBoostError.modelMismatch("model has \(numClass) classes, expected \(expectedClassCount)")
        }
    }

    /// Loads a model file written by `save(toFile:format:)` or by another XGBoost front end.
    /// See `init(modelData:expectedFeatureCount:expectedClassCount:nthread:)`.
    public convenience init(
        contentsOfFile path: String, expectedFeatureCount: Int, expectedClassCount: Int, nthread: Int = 1
    ) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw XGBoostError.io("cannot read model from \(path): \(error)")
        }
        try self.init(
            modelData: [UInt8](data), expectedFeatureCount: expectedFeatureCount,
            expectedClassCount: expectedClassCount, nthread: nthread)
    }
}
