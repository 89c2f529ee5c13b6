/// A ZeroMQ endpoint as the configuration writes it, parsed so that its syntax, its host's
/// reach (loopback or not) and its filesystem needs can be checked before any socket exists:
/// libzmq's own refusal comes late (after the configuration was accepted) and as bare errno.
enum ZMQEndpoint: Equatable, Sendable {
    /// `tcp://HOST:PORT`; HOST is `*`, an IPv4 address, `[IPv6]`, a host or interface name;
    /// PORT is 0...65535 or `*` (bind: any free port).
    case tcp(host: String, port: String)
    /// `ipc://PATH`, a Unix-domain socket; `ipc://@NAME` is Linux's abstract namespace (no file).
    case ipc(path: String)
    /// `inproc://NAME`, inside this process.
    case inproc(name: String)

    /// Linux's `sun_path` holds 108 bytes, the terminating NUL included.
    static let maxIPCPathBytes = 107

    /// Parses `text`, or says in one sentence what is wrong with it.
    package static func parse(_ text: String) -> Result<ZMQEndpoint, EndpointError> {
        func fail(_ why: String) -> Result<ZMQEndpoint, EndpointError> { .failure(EndpointError(message: "endpoint \"\(text)\" \(why)")) }
        if let rest = text.dropPrefix("tcp://") {
            // A connect may name its source first: tcp://SOURCE;HOST:PORT.
            let target = rest.split(separator: ";", omittingEmptySubsequences: false).last.map(String.init) ?? rest
            guard let colon = target.lastIndex(of: ":") else { return fail("must be tcp://HOST:PORT") }
            var host = String(target[..<colon])
            let port = String(target[target.index(after: colon)...])
            if host.hasPrefix("[") {
                guard host.hasSuffix("]"), host.count > 2 else { return fail("has an unclosed IPv6 bracket") }
                host = String(host.dropFirst().dropLast())
            }
            guard !host.isEmpty else { return fail("has no host (use * for every interface)") }
            guard host.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0 != "/" }) else {
                return fail("has a host with spaces, slashes or non-ASCII characters")
            }
            let digits = !port.isEmpty && port.allSatisfy { ("0"..."9").contains($0) }
            guard port == "*" || (digits && UInt16(port) != nil) else {
                return fail("must end with a port 0...65535 or *, not \"\(port)\"")
            }
            return .success(.tcp(host: host, port: port))
        }
        if let path = text.dropPrefix("ipc://") {
            guard !path.isEmpty, path != "@" else { return fail("has no path") }
            guard path.utf8.count <= maxIPCPathBytes else {
                return fail("has a path of \(path.utf8.count) bytes; a Unix socket path holds at most \(maxIPCPathBytes)")
            }
            guard !path.utf8.contains(0) else { return fail("has a NUL byte in its path") }
            return .success(.ipc(path: path))
        }
        if let name = text.dropPrefix("inproc://") {
            guard !name.isEmpty else { return fail("has no name") }
            return .success(.inproc(name: name))
        }
        return fail("must start with tcp://, ipc:// or inproc://")
    }

    /// Whether traffic stays on this machine: ipc, inproc, and tcp to 127.0.0.0/8, ::1 or
    /// localhost. `*`, `0.0.0.0`, `::` and interface names reach the network.
    var isLocal: Bool {
        switch self {
        case .ipc, .inproc: return true
        case .tcp(let host, _): return Self.isLoopbackHost(host)
        }
    }

    static func isLoopbackHost(_ host: String) -> Bool {
        let h = host.lowercased()
        if h == "localhost" || h == "::1" || h == "0:0:0:0:0:0:0:1" { return true }
        let parts = h.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts.allSatisfy({ !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isNumber) }),
              let first = UInt8(parts[0]), parts.allSatisfy({ UInt8($0) != nil }) else { return false }
        return first == 127
    }

    /// The directory an ipc socket file is created in (nil for the abstract namespace and for
    /// other transports).
    var ipcDirectory: String? {
        guard case .ipc(let path) = self, !path.hasPrefix("@") else { return nil }
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let dir = String(path[..<slash])
        return dir.isEmpty ? "/" : dir
    }
}

/// Why an endpoint string is not usable.
struct EndpointError: Error, Equatable, Sendable {
    package var message: String
}

extension String {
    fileprivate func dropPrefix(_ prefix: String) -> String? {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : nil
    }
}
