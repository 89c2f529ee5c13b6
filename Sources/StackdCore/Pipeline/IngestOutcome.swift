/// What became of one inbound message.
public enum IngestOutcome: Equatable {
    case prediction
    case label(matched: Bool)
    case rejected(WireRejection)
}
