/// Why a log operation failed.
///
/// Data-integrity findings that the log can work around (a torn tail, a corrupt block) are not
/// errors: they are reported as `RecoveryReport` / `CorruptionReport` values so that opening a
/// damaged log never fails for a reason it can repair.
public enum StorageError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A system call failed; `code` is its `errno`.
    case io(operation: String, path: String, code: Int32)
    /// Sequences must strictly increase: readers, retention and crash recovery rely on it.
    case sequenceNotIncreasing(previous: UInt64, attempted: UInt64)
    /// A record larger than one LZ4 block can hold.
    case recordTooLarge(bytes: Int)
    /// A segment whose file header is damaged, so none of its contents can be trusted.
    case badSegmentHeader(path: String, reason: String)
    /// A block that failed validation where the caller needs it intact (compaction).
    case corruptBlock(path: String, offset: Int, reason: String)
    /// A previous write failed half-way; the on-disk state is unknown until the log is
    /// reopened, which runs recovery.
    case writerFailed
    /// The writer was closed.
    case closed
    /// The configuration cannot work (zero limits and the like).
    case invalidConfiguration(String)

    public var description: String {
        switch self {
        case let .io(operation, path, code): return "\(operation) \(path): errno \(code)"
        case let .sequenceNotIncreasing(previous, attempted):
            return "sequence \(attempted) does not follow \(previous)"
        case let .recordTooLarge(bytes): return "record of \(bytes) bytes is too large"
        case let .badSegmentHeader(path, reason): return "bad segment header in \(path): \(reason)"
        case let .corruptBlock(path, offset, reason): return "corrupt block in \(path) at \(offset): \(reason)"
        case .writerFailed: return "a previous write failed; reopen the log to recover"
        case .closed: return "the log writer is closed"
        case let .invalidConfiguration(reason): return "invalid configuration: \(reason)"
        }
    }
}
