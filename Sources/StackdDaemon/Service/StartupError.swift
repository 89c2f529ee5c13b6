import Foundation
import StackdJournal
import StackdStorage
import StackdZMQ

/// Why `stackd run` could not start, as one sentence for the operator and an exit code a
/// supervisor can act on (sysexits.h).
///
/// Why: a raw errno or a Swift error dump tells an operator neither which key to fix nor whether
/// a restart can help; the codes tell systemd (`RestartPreventExitStatus=`) not to loop on a
/// fault that only an edit fixes.
package struct StartupError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Exit codes of a refused start.
    package enum Kind: Int32, Sendable {
        /// EX_CONFIG: the configuration names something that cannot work (an endpoint that cannot
        /// be bound or connected: a missing ipc directory, an address in use or not local).
        case configuration = 78
        /// EX_CANTCREAT: a state or record directory (or a file in it) cannot be created or
        /// written (it is a file, read-only, not permitted).
        case cannotCreate = 73
        /// EX_IOERR: reading or writing existing state failed.
        case ioError = 74
    }

    package var kind: Kind
    /// The sentence: the key, the endpoint or path, and the cause in words.
    package var message: String

    package init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    package var exitCode: Int32 { kind.rawValue }
    package var description: String { message }

    /// A bind or connect failure of `key` (`input.bind`, `output.connect`, …) at `endpoint`.
    static func endpoint(_ key: String, _ endpoint: String, _ error: any Error) -> StartupError {
        let verb = key.hasSuffix("bind") ? "bind" : "connect"
        var cause = (error as? ZMQError)?.message ?? Self.cause(of: error)
        if let z = error as? ZMQError, z.code == ENOENT, endpoint.hasPrefix("ipc://") {
            cause += " (the socket's directory does not exist)"
        } else if let z = error as? ZMQError, z.code == EADDRINUSE {
            cause += " (another process holds it)"
        }
        return StartupError(.configuration, "\(key): cannot \(verb) \(endpoint): \(cause)")
    }

    /// A failure opening the state or journal directory `path` named by `key`.
    static func directory(_ key: String, _ path: String, what: String, _ error: any Error) -> StartupError {
        // Foundation on Linux often reports a failed mkdir as "error 512" with no errno: the
        // path itself tells the cause.
        let code = Self.errno(of: error) ?? Self.diagnose(path)
        let cannotCreate: Set<Int32> = [EACCES, EPERM, EROFS, ENOTDIR, EEXIST, EISDIR, ENOSPC, EDQUOT]
        let kind: Kind = code.map { cannotCreate.contains($0) } ?? true ? .cannotCreate : .ioError
        let cause = code.map { String(cString: strerror($0)) } ?? Self.cause(of: error)
        return StartupError(kind, "\(key): cannot open \(what) at \(path): \(cause)")
    }

    /// Why a directory cannot be used, from the file system: a file in its place, or a
    /// non-writable or read-only nearest existing ancestor.
    static func diagnose(_ path: String) -> Int32? {
        var isDirectory: ObjCBool = false
        var probe = path
        if FileManager.default.fileExists(atPath: probe, isDirectory: &isDirectory) {
            if !isDirectory.boolValue { return ENOTDIR }
        } else {
            while !FileManager.default.fileExists(atPath: probe, isDirectory: &isDirectory), probe != "/", !probe.isEmpty {
                probe = (probe as NSString).deletingLastPathComponent
            }
            if !isDirectory.boolValue { return ENOTDIR }
        }
        var fs = statvfs()
        if statvfs(probe, &fs) == 0, fs.f_flag & UInt(ST_RDONLY) != 0 { return EROFS }
        if access(probe, W_OK) != 0 { return Glibc.errno }
        return nil
    }

    /// The errno behind an error, when it carries one.
    static func errno(of error: any Error) -> Int32? {
        if let s = error as? StorageError, case let .io(_, _, code) = s { return code }
        if let j = error as? JournalError, case let .storage(s) = j, case let .io(_, _, code) = s { return code }
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return Int32(ns.code) }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return Int32(underlying.code)
        }
        if ns.domain == NSCocoaErrorDomain {
            switch ns.code {
            case NSFileWriteNoPermissionError, NSFileReadNoPermissionError: return EACCES
            case NSFileWriteVolumeReadOnlyError: return EROFS
            case NSFileWriteFileExistsError: return EEXIST
            default: return nil
            }
        }
        return nil
    }

    /// The cause in words: strerror when there is an errno, else the error's own description.
    static func cause(of error: any Error) -> String {
        if let code = errno(of: error) { return String(cString: strerror(code)) }
        if let e = error as? StorageError { return e.description }
        if let e = error as? JournalError { return e.description }
        if let e = error as? ZMQError { return e.message }
        // Foundation's errors describe themselves in words; others by their own description.
        let ns = error as NSError
        return ns.domain == NSCocoaErrorDomain ? ns.localizedDescription : String(describing: error)
    }
}
