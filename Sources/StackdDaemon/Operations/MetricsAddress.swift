#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A parsed `[metrics] address`: a numeric IPv4 (`127.0.0.1:9464`), a bracketed IPv6
/// (`[::1]:9464`) or `localhost:PORT`. No name resolution: the endpoint binds at start, and a
/// lookup there could block or pick an unexpected interface.
package struct MetricsAddress: Sendable, Equatable, CustomStringConvertible {
    package enum Family: Sendable, Equatable { case ipv4, ipv6 }
    package var host: String
    package var port: UInt16
    package var family: Family

    static let formatHelp = "must be \"IPv4:PORT\", \"[IPv6]:PORT\" or \"localhost:PORT\" (empty disables)"

    package init?(_ text: String) {
        var host: Substring, portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
            family = .ipv6
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host == "localhost" { host = "127.0.0.1" }
            family = .ipv4
        }
        guard !portText.isEmpty, portText.allSatisfy(\.isASCII), let port = UInt16(portText) else { return nil }
        self.host = String(host)
        self.port = port
        var buffer = [UInt8](repeating: 0, count: 16)
        guard inet_pton(family == .ipv4 ? AF_INET : AF_INET6, self.host, &buffer) == 1 else { return nil }
    }

    package var description: String { family == .ipv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
