import Foundation

/// The remote address of a connected socket, for logging a peer the ZAP handler never saw
/// (libzmq's monitor reports a new connection by its file descriptor only).
enum PeerAddress {
    /// `IP:PORT` for TCP (`[IPv6]:PORT`), `ipc` for a Unix-domain peer, or nil when the
    /// descriptor is no longer a connected socket (the peer is already gone).
    static func describe(fileDescriptor fd: Int32) -> String? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) }
        }
        guard rc == 0 else { return nil }
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { p in
                    var address = p.pointee.sin_addr
                    var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
                    inet_ntop(AF_INET, &address, &text, socklen_t(text.count))
                    return "\(cText(text)):\(UInt16(bigEndian: p.pointee.sin_port))"
                }
            }
        case AF_INET6:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p in
                    var address = p.pointee.sin6_addr
                    var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
                    inet_ntop(AF_INET6, &address, &text, socklen_t(text.count))
                    return "[\(cText(text))]:\(UInt16(bigEndian: p.pointee.sin6_port))"
                }
            }
        case AF_UNIX:
            return "ipc"
        default:
            return "family \(storage.ss_family)"
        }
    }

    private static func cText(_ text: [CChar]) -> String {
        String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
