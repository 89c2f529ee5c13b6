#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The IP addresses assigned to this machine's interfaces, read with getifaddrs (no socket):
/// a bind to an address literal that is not among them fails with EADDRNOTAVAIL, which the
/// configuration check reports first, naming the key.
enum InterfaceAddresses {
    /// The 4 or 16 bytes of an IPv4 or IPv6 literal (brackets already removed), or nil for
    /// names and `*`.
    static func literal(_ host: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 { return withUnsafeBytes(of: v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 { return withUnsafeBytes(of: v6) { Array($0) } }
        return nil
    }

    /// 0.0.0.0, ::, 127.0.0.0/8 and ::1 bind on any Linux machine.
    static func isWildcardOrLoopback(_ address: [UInt8]) -> Bool {
        if address.count == 4 { return address == [0, 0, 0, 0] || address[0] == 127 }
        return address.allSatisfy { $0 == 0 } || address == [UInt8](repeating: 0, count: 15) + [1]
    }

    /// Every address of every interface; nil when the list cannot be read (then nothing is refused).
    static func assigned() -> Set<[UInt8]>? {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return nil }
        defer { freeifaddrs(list) }
        var out: Set<[UInt8]> = []
        var cursor = list
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let address = entry.pointee.ifa_addr else { continue }
            switch Int32(address.pointee.sa_family) {
            case AF_INET:
                address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                    out.insert(withUnsafeBytes(of: sin.pointee.sin_addr) { Array($0) })
                }
            case AF_INET6:
                address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                    out.insert(withUnsafeBytes(of: sin6.pointee.sin6_addr) { Array($0) })
                }
            default: break
            }
        }
        return out
    }
}
