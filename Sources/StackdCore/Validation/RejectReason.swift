/// Why an inbound message was refused. Every refusal is counted under one of these reasons and
/// explained in a log line, so that nothing is lost silently.
///
/// The raw values are stable: they are the `reason` label of `stackd_rejected_messages_total`
/// and appear in logs, so renaming one is a breaking change.
public enum RejectReason: String, Sendable, CaseIterable, Codable {
    /// The payload is not a well-formed binary or JSON message.
    case malformed
    /// The schema version is not one this build understands.
    case unsupportedVersion = "unsupported_version"
    /// The message kind is unknown or not accepted on this socket.
    case unknownKind = "unknown_kind"
    /// The number of class probabilities differs from the configured class count.
    case wrongArity = "wrong_arity"
    /// A probability or return is NaN or infinite.
    case nonFinite = "non_finite"
    /// A probability is below zero.
    case negativeProbability = "negative_probability"
    /// The probabilities do not sum to one within the configured tolerance.
    case badSum = "bad_sum"
    /// The model is not one of the configured base models.
    case unknownModel = "unknown_model"
    /// The symbol is not configured (or the symbol table is full).
    case unknownSymbol = "unknown_symbol"
    /// The horizon is not configured.
    case unknownHorizon = "unknown_horizon"
    /// This model's vector for this row was already received.
    case duplicate
    /// The row is older than the assembly watermark: it was already emitted or abandoned.
    case late
    /// The frame is larger than the configured maximum.
    case oversize
    /// The message does not have the `[topic][payload]` two-frame shape.
    case framing
    /// The topic's kind or routing key disagrees with the payload.
    case topicMismatch = "topic_mismatch"
    /// A name (model or symbol) is empty, too long, or not printable ASCII without `.`.
    case badName = "bad_name"
    /// The label's class index is outside `0..<K`.
    case badLabel = "bad_label"
}
