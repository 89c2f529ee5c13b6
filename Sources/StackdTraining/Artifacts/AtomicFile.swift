import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Crash-safe file replacement: a reader (the daemon reloading a model) sees the old file or the
/// new one, never a torn mix, and the new one survives a power cut once this returns.
public enum AtomicFile {
    /// Writes a temporary file in the same directory, fsyncs it, renames it over `path`, then
    /// fsyncs the directory so the rename itself is durable.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        let tmp = "\(path).tmp.\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
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
