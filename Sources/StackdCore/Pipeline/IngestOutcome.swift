/// What became of one inbound message.
public enum IngestOutcome: Equatable {
    case prediction
    case label(matched: Bool)
    /// A regime message taken by the row of at least one horizon.
    case regime
    case rejected(WireRejection)
}
