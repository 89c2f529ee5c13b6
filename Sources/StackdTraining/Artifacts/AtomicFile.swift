import Foundation
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

    /// Writes a temporary file in the same directory, fsyncs it, renames it over `path`, then
    /// fsyncs the directory so the rename itself is durable.
    ///
    /// The temporary file has a unique name and is opened with `O_EXCL | O_NOFOLLOW`, so a file
    /// or symlink planted under a predictable name is never written through. `mode` is applied
    /// by `open`, so the umask still narrows it (a stricter umask wins).
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = publicMode) throws {
        let dir = (path as NSString).deletingLastPathComponent
        let tmp = "\(path).tmp.\(getpid()).\(UInt64.random(in: 0 ... .max) & 0xFFFF_FFFF_FFFF)"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else { throw ArtifactError(file: path, message: "cannot create \(tmp): \(errnoString())") }
        var ok = true
        bytes.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let n = systemWrite(fd, raw.baseAddress! + off, raw.count - off)
                if n < 0 { if errno == EINTR { continue }; ok = false; return }
                off += n
            }
        }
        if !ok || fsync(fd) != 0 {
            let e = errnoString()
            close(fd); unlink(tmp)
            throw ArtifactError(file: path, message: "cannot write: \(e)")
        }
        close(fd)
        guard rename(tmp, path) == 0 else {
            let e = errnoString()
            unlink(tmp)
            throw ArtifactError(file: path, message: "cannot rename into place: \(e)")
        }
        syncDirectory(dir)
    }

    /// `mkdir -p` giving `mode` (before the umask) to every directory it creates; existing ones
    /// keep theirs. FileManager's variant would chmod past the umask.
    public static func createDirectories(_ path: String, mode: mode_t) throws {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += component
            if mkdir(prefix, mode) != 0 && errno != EEXIST {
                throw ArtifactError(file: prefix, message: "cannot create directory: \(errnoString())")
            }
            prefix += "/"
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

    private static func systemWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int {
        #if canImport(Glibc)
        return Glibc.write(fd, p, n)
        #else
        return Darwin.write(fd, p, n)
        #endif
    }

    static func errnoString() -> String { String(cString: strerror(errno)) }
}
