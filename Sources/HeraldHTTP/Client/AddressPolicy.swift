import Glibc

/// Which addresses a request whose host came from untrusted input may reach: not loopback,
/// private (RFC 1918, unique local), link-local (where cloud metadata services listen:
/// 169.254.169.254), carrier-grade NAT, multicast, reserved or unspecified ones. The guard
/// against server-side request forgery that `allow_private: false` turns on.
public enum AddressPolicy {
    /// Why `address` (an IPv4 or IPv6 literal) is refused, or nil when it may be reached.
    public static func refusal(ofLiteral address: String) -> String? {
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 { return refusal(ipv4: UInt32(bigEndian: v4.s_addr)) }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, address, &v6) == 1 { return withUnsafeBytes(of: v6) { refusal(ipv6: Array($0)) } }
        return "not an IP address"
    }

    static func refusal(ipv4 a: UInt32) -> String? {
        func within(_ base: UInt32, _ bits: UInt32) -> Bool { a >> (32 - bits) == base >> (32 - bits) }
        if within(0x7F00_0000, 8) { return "a loopback address" }
        if within(0x0A00_0000, 8) || within(0xAC10_0000, 12) || within(0xC0A8_0000, 16) { return "a private address" }
        if within(0xA9FE_0000, 16) { return "a link-local address (cloud metadata services live here)" }
        if within(0x6440_0000, 10) { return "a carrier-grade NAT address" }
        if within(0x0000_0000, 8) { return "an unspecified address" }
        if within(0xC000_0000, 24) || within(0xC612_0000, 15) || within(0xF000_0000, 4) { return "a reserved address" }
        if within(0xE000_0000, 4) { return "a multicast address" }
        return nil
    }

    static func refusal(ipv6 bytes: [UInt8]) -> String? {
        let zeros = bytes[0..<10].allSatisfy { $0 == 0 }
        // IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) carry an IPv4 address.
        if (zeros && bytes[10] == 0xFF && bytes[11] == 0xFF) || bytes[0..<12].elementsEqual([0, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0]) {
            return refusal(ipv4: bytes[12..<16].reduce(0) { $0 << 8 | UInt32($1) })
        }
        if bytes[0..<15].allSatisfy({ $0 == 0 }) { return bytes[15] == 1 ? "a loopback address" : "an unspecified address" }
        if bytes[0] & 0xFE == 0xFC { return "a private address (unique local)" }
        if bytes[0] == 0xFE && bytes[1] & 0xC0 == 0x80 { return "a link-local address" }
        if bytes[0] == 0xFF { return "a multicast address" }
        return nil
    }
}

import CCurl

extension AddressPolicy {
    /// Why the socket address libcurl is about to connect to is refused, or nil.
    static func refusal(of address: UnsafeMutablePointer<curl_sockaddr>) -> String? {
        var copy = address.pointee.addr
        switch Int32(address.pointee.family) {
        case AF_INET:
            let v4 = withUnsafeBytes(of: &copy) { $0.load(as: sockaddr_in.self) }
            let ip = UInt32(bigEndian: v4.sin_addr.s_addr)
            return refusal(ipv4: ip).map { "\(ip >> 24).\(ip >> 16 & 0xFF).\(ip >> 8 & 0xFF).\(ip & 0xFF) is \($0)" }
        case AF_INET6:
            guard Int(address.pointee.addrlen) >= MemoryLayout<sockaddr_in6>.size else { return "an unreadable address" }
            let v6 = UnsafeRawPointer(address).advanced(by: MemoryLayout<curl_sockaddr>.offset(of: \.addr)!).load(as: sockaddr_in6.self)
            guard let reason = withUnsafeBytes(of: v6.sin6_addr, { refusal(ipv6: Array($0)) }) else { return nil }
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            var bytes = v6.sin6_addr
            let shown = inet_ntop(AF_INET6, &bytes, &text, socklen_t(text.count)) != nil ? String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "an IPv6 address"
            return "\(shown) is \(reason)"
        default:
            return "an address of an unknown family"
        }
    }
}
