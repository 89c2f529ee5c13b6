import Foundation
import StackdStorage
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Crash-safe file replacement: a reader (the daemon reloading a model) sees the old file or the
/// new one, never a torn mix, and the new one survives a power cut once this returns.
public enum AtomicFile {
    /// Mode of `stackd train` outputs (before the umask): they are the user's results, meant to
    /// be read by other tools and people like any file the user writes, and hold no secret.
    public static let publicMode: mode_t = 0o644
    /// Mode of the daemon's model store (before the umask): state, not for other local users.
    public static let privateMode: mode_t = 0o600

    /// Writes `bytes` to `path` complete or not at all, through the project's one atomic writer
    /// (`PrivateFiles.atomicallyWrite`: a unique temporary file opened `O_EXCL | O_NOFOLLOW`,
    /// fsync, rename, fsync of the directory). `mode` is applied by `open`, so the umask still
    /// narrows it (a stricter umask wins).
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = publicMode) throws {
        do {
            try PrivateFiles.atomicallyWrite(bytes, to: path, mode: mode)
        } catch {
            throw ArtifactError(file: path, message: "cannot write: \(error)")
        }
    }

    /// `mkdir -p` giving `mode` (before the umask) to every directory it creates; existing ones
    /// keep theirs. FileManager's variant would chmod past the umask.
    public static func createDirectories(_ path: String, mode: mode_t) throws {
        do {
            try PrivateFiles.createDirectories(path, mode: mode)
        } catch {
            throw ArtifactError(file: path, message: "cannot create directory: \(error)")
        }
    }

    /// fsyncs a directory so that renames and creations inside it survive a power cut.
    public static func syncDirectory(_ dir: String) {
        let dfd = open(dir.isEmpty ? "." : dir, O_RDONLY)
        if dfd >= 0 { _ = fsync(dfd); close(dfd) }
    }

    /// The whole file, or an error naming it.
    public static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ArtifactError(file: path, message: "cannot read (missing or unreadable)")
        }
        return [UInt8](data)
    }

    static func errnoString() -> String { String(cString: strerror(errno)) }
}
