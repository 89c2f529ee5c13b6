import StackdStorage

/// Why a journal could not be opened or written.
///
/// Damage inside the segment log is not an error: readers report it and carry on (see
/// `JournalReader.corruptions`), because a partly damaged recording is still worth replaying.
public enum JournalError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The directory has no readable `journal.json` of a stackd journal.
    case notAJournal(directory: String, reason: String)
    /// The manifest names a format version this build cannot read.
    case unsupportedVersion(Int)
    /// Recording into a directory that already holds a journal would mix two clock offsets.
    case alreadyExists(directory: String)
    /// The segment log failed.
    case storage(StorageError)
    /// The writer was closed.
    case closed

    public var description: String {
        switch self {
        case let .notAJournal(directory, reason): return "\(directory) is not a stackd journal: \(reason)"
        case let .unsupportedVersion(version): return "journal format version \(version) is not supported"
        case let .alreadyExists(directory): return "\(directory) already holds a journal"
        case let .storage(error): return "journal storage: \(error)"
        case .closed: return "the journal writer is closed"
        }
    }
}
