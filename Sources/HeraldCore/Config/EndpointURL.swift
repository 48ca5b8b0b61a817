import Foundation

/// An endpoint's URL, checked when the config loads: scheme, host and port.
public struct EndpointURL: Sendable, Equatable, CustomStringConvertible {
    public var text: String
    public var scheme: String
    public var host: String
    public var port: Int?

    /// Parses `http(s)://host[:port][/path][?query]`; returns the reason when it cannot.
    public static func parse(_ text: String) -> Result<EndpointURL, URLProblem> {
        guard let schemeEnd = text.range(of: "://") else {
            return .failure(URLProblem("'\(text)' is not a URL (expected https://host/path)"))
        }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "https" || scheme == "http" else {
            return .failure(URLProblem("unsupported URL scheme '\(scheme)' (use https)"))
        }
        let rest = text[schemeEnd.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if authority.contains("@") { return .failure(URLProblem("credentials in the URL are not allowed; use basic_auth or headers")) }
        if text.contains(where: { $0.isWhitespace }) { return .failure(URLProblem("URL contains whitespace")) }
        var host = Substring(authority)
        var port: Int?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return .failure(URLProblem("unterminated IPv6 address in URL")) }
            let after = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if after.hasPrefix(":") {
                guard let number = Int(after.dropFirst()), (1...65535).contains(number) else { return .failure(URLProblem("invalid port in URL")) }
                port = number
            } else if !after.isEmpty {
                return .failure(URLProblem("invalid characters after the IPv6 address"))
            }
        } else if let colon = host.lastIndex(of: ":") {
            guard let number = Int(host[host.index(after: colon)...]), (1...65535).contains(number) else {
                return .failure(URLProblem("invalid port in URL"))
            }
            port = number
            host = host[..<colon]
        }
        guard !host.isEmpty else { return .failure(URLProblem("URL has no host")) }
        let allowed = host.allSatisfy { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == ":" || $0 == "_" }
        guard allowed else { return .failure(URLProblem("invalid host '\(host)' in URL")) }
        return .success(EndpointURL(text: text, scheme: scheme, host: String(host).lowercased(), port: port))
    }

    /// Exactly `localhost`, an IPv4 literal in 127.0.0.0/8 or the IPv6 literal ::1: the only
    /// places plain http is accepted without `allow_insecure`. Names are matched only as that
    /// one word: `127.0.0.1.nip.io` or `127.attacker.example` resolve wherever DNS says.
    public var isLoopback: Bool {
        if host == "localhost" { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 { return UInt32(bigEndian: v4.s_addr) >> 24 == 127 }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 { return withUnsafeBytes(of: v6) { $0.elementsEqual([UInt8](repeating: 0, count: 15) + [1]) } }
        return false
    }

    public var description: String { text }
}

public struct URLProblem: Error, Sendable {
    public var message: String
    init(_ message: String) { self.message = message }
}
