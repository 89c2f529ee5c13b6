import CXGBoost
import Foundation

/// Everything that can go wrong in `StackdXGBoost`.
///
/// Library failures keep the name of the C function that failed next to libxgboost's own
/// message, because XGBoost's messages ("Check failed: ...") are often meaningless without
/// knowing which call produced them.
public enum XGBoostError: Error, Equatable, CustomStringConvertible {
    /// A libxgboost C call returned non-zero; `message` is `XGBGetLastError()` at that moment.
    case library(call: String, message: String)
    /// The caller passed data whose shape or content cannot be used (checked before any C call
    /// so that the error names the Swift-side mistake rather than a downstream C symptom).
    case invalidInput(String)
    /// A model was loaded successfully but is not the model the caller expected.
    case modelMismatch(String)
    /// Reading or writing a model file failed (Foundation's error text is kept).
    case io(String)

    public var description: String {
        switch self {
        case let .library(call, message): "\(call) failed: \(message)"
        case let .invalidInput(message): "invalid input: \(message)"
        case let .modelMismatch(message): "model mismatch: \(message)"
        case let .io(message): "I/O error: \(message)"
        }
    }
}

/// Converts a libxgboost return code into a thrown `XGBoostError`.
///
/// Every C call in this module goes through here so that no return code is silently ignored.
/// The last-error text is thread-local inside libxgboost, so it must be read right away on the
/// calling thread, before any other XGBoost call.
@inline(__always)
func xgbCheck(_ code: Int32, _ call: @autoclosure () -> String) throws {
    guard code != 0 else { return }
    let raw = XGBGetLastError().map { String(cString: $0) } ?? "(no message)"
    // libxgboost appends a native stack trace of its own frames; it says nothing to a caller.
    let message = raw.components(separatedBy: "\nStack trace:").first ?? raw
    throw XGBoostError.library(call: call(), message: message)
}
