#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Permissions and creation rules for the daemon's durable state (window, awaiting rows,
/// journals, models).
///
/// The state holds the ensemble's predictions and labels, which are not for other local users,
/// so files are created 0600 and directories 0700 whatever the process umask is (the kernel
/// still applies the umask, so a stricter one wins: the mode is `0600 & ~umask`). Temporary
/// files get unique names and are opened with `O_EXCL | O_NOFOLLOW`: a file or symlink planted
/// under the expected name makes the open fail instead of writing through it.
public enum PrivateFiles {
    /// Mode of every state file created (before the umask).
    public static let fileMode: mode_t = 0o600
    /// Mode of every state directory created (before the umask).
    public static let directoryMode: mode_t = 0o700
    /// Flags of a temporary file: created here and now, never an existing file or a symlink.
    public static let temporaryFlags: Int32 = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC

    /// `mkdir -p` with `mode` (default `directoryMode`) for every component it creates (existing
    /// ones are left as they are: an operator may have chosen their modes).
    public static func createDirectories(_ path: String, mode: mode_t = directoryMode) throws(StorageError) {
        guard !path.isEmpty else { return }
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += component
            if mkdir(prefix, mode) != 0 && errno != EEXIST {
                throw .io(operation: "mkdir", path: prefix, code: errno)
            }
            prefix += "/"
        }
    }

    /// `<path>.<pid>.<random>.tmp`: unique per process and call, so two writers (or a leftover
    /// from a crash) never share a temporary file; the `.tmp` suffix lets recovery remove it.
    public static func temporaryPath(for path: String) -> String {
        "\(path).\(getpid()).\(UInt64.random(in: 0 ... .max) & 0xFFFF_FFFF_FFFF).tmp"
    }

    /// Writes `bytes` to `path` so that it exists complete or not at all: a unique temporary
    /// file (`O_EXCL | O_NOFOLLOW`, `mode`, default `fileMode`), fsync, rename over `path`, fsync
    /// of the directory. The one atomic writer of the project: state files use the default,
    /// `stackd train` outputs pass their public mode.
    public static func atomicallyWrite(_ bytes: [UInt8], to path: String, mode: mode_t = fileMode) throws(StorageError) {
        let result = bytes.withUnsafeBytes { raw in Result { () throws(StorageError) in try atomicallyWrite(raw, to: path, mode: mode) } }
        try result.get()
    }

    /// `atomicallyWrite(_:to:)` from borrowed bytes.
    public static func atomicallyWrite(_ bytes: UnsafeRawBufferPointer, to path: String, mode: mode_t = fileMode) throws(StorageError) {
        let temporary = temporaryPath(for: path)
        do {
            let file = try RawFile(path: temporary, flags: temporaryFlags, mode: mode)
            try file.write(bytes, at: 0)
            try file.sync()
        } catch {
            _ = unlink(temporary)
            throw error
        }
        do {
            try LogDirectory.rename(temporary, to: path)
        } catch {
            _ = unlink(temporary)
            throw error
        }
        let slash = path.lastIndex(of: "/")
        try LogDirectory.syncDirectory(slash.map { String(path[..<$0]) }.map { $0.isEmpty ? "/" : $0 } ?? ".")
    }
}
