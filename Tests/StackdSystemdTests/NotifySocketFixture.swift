import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A `NOTIFY_SOCKET` owned by one test: an AF_UNIX datagram socket in a fresh temp directory,
/// exported through the environment for the test's duration and restored afterwards.
final class NotifySocketFixture {
    let directory: String
    let path: String
    let fd: Int32
    private let savedNotifySocket: String?

    init() throws {
        var template = Array("/tmp/stackd-notify-XXXXXX".utf8CString)
        guard let dir = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw POSIXError(.init(rawValue: errno) ?? .EIO)
        }
        let directory = String(cString: dir)
        let path = directory + "/notify.sock"
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }

        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        precondition(path.utf8.count < capacity, "socket path too long")
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
            raw[path.utf8.count] = 0
        }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard rc == 0 else {
            let code = errno
            close(fd)
            throw POSIXError(.init(rawValue: code) ?? .EIO)
        }
        (self.directory, self.path, self.fd) = (directory, path, fd)

        savedNotifySocket = ProcessInfo.processInfo.environment["NOTIFY_SOCKET"]
        setenv("NOTIFY_SOCKET", path, 1)
    }

    /// The next queued datagram, or nil if none is queued. `sd_notify` has finished `sendmsg`
    /// before it returns, so a datagram it sent is already queued: no waiting involved.
    func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        guard n >= 0 else { return nil }
        return String(decoding: buffer[..<n], as: UTF8.self)
    }

    func tearDown() {
        if let savedNotifySocket { setenv("NOTIFY_SOCKET", savedNotifySocket, 1) } else { unsetenv("NOTIFY_SOCKET") }
        close(fd)
        unlink(path)
        rmdir(directory)
    }
}

/// Sets (or, with nil, removes) environment variables for the body and restores them after.
func withEnvironment<T>(_ values: [String: String?], _ body: () throws -> T) rethrows -> T {
    let saved = values.keys.map { ($0, ProcessInfo.processInfo.environment[$0]) }
    for (key, value) in values {
        if let value { setenv(key, value, 1) } else { unsetenv(key) }
    }
    defer {
        for (key, value) in saved {
            if let value { setenv(key, value, 1) } else { unsetenv(key) }
        }
    }
    return try body()
}
