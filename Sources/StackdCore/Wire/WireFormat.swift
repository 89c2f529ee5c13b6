/// Constants of stackd's wire protocol, version 1 (documented byte by byte in `schemas/wire.md`).
///
/// They live in one place so that the decoder, the encoder, the documentation and the client
/// examples cannot drift apart silently: the schema tests check these values against `schemas/`.
public enum WireFormat {
    /// First two bytes of every binary payload: ASCII "SK". JSON payloads start with `{`, so
    /// the encoding of a payload is known from its first byte.
    public static let magic0: UInt8 = 0x53
    public static let magic1: UInt8 = 0x4B
    /// The only binary and JSON schema version this build understands.
    public static let version: UInt8 = 1
    /// Fixed header of a binary prediction; probabilities follow at this offset.
    public static let predictionHeaderSize = 32
    /// Fixed part of a binary label; the symbol follows at this offset.
    public static let labelFixedSize = 48
    /// Fixed header of a binary ensemble output; probabilities follow at this offset.
    public static let ensembleHeaderSize = 56
    /// Fixed header of a binary regime message; its values (one `i8` each) follow at this offset.
    public static let regimeHeaderSize = 32
    /// A regime message carries 1...16 values (the deployment fixes its own count, `regimes.names`).
    public static let maxRegimeCount = 16
    /// Bit 0 of the ensemble output's `flags` byte (offset 51): the row's regime was imputed.
    public static let ensembleFlagRegimeImputed: UInt8 = 1
    /// Bit 1 of the ensemble output's `flags`: a contributions block follows the symbol
    /// (`EnsembleContributions`, `outputs.contributions`).
    public static let ensembleFlagContributions: UInt8 = 2
    /// Names (model, symbol) are at most this many bytes, so that they fit a `u8` length.
    public static let maxNameLength = 64
    /// The format allows any number of classes up to this bound; a deployment fixes its own K.
    public static let maxClassCount = 16
}

/// The kind byte at offset 3 of a binary payload, and the `type` of a JSON payload.
public enum MessageKind: UInt8, Sendable, CaseIterable {
    case prediction = 1
    case label = 2
    case ensemble = 3
    case alert = 4
    /// Regime values of one (symbol, event time), inbound like predictions and labels.
    case regime = 5

    /// The first segment of a topic carrying this kind of message.
    public var topicPrefix: String {
        switch self {
        case .prediction: return "pred"
        case .label: return "label"
        case .ensemble: return "ens"
        case .alert: return "alert"
        case .regime: return "regime"
        }
    }

    /// The `type` string of the JSON encoding.
    public var jsonType: String {
        switch self {
        case .prediction: return "prediction"
        case .label: return "label"
        case .ensemble: return "ensemble"
        case .alert: return "alert"
        case .regime: return "regime"
        }
    }
}

/// How a payload is encoded. Both carry the same fields; binary is the fast path.
public enum PayloadEncoding: String, Sendable, CaseIterable, Codable {
    case binary
    case json
}
