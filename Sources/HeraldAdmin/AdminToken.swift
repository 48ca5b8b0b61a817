/// The admin API's bearer token (`admin.token` / `admin.token_file`): checks an `Authorization`
/// header in time that does not depend on where a wrong token first differs.
public struct AdminToken: Sendable {
    private let expected: [UInt8]

    public init(_ token: String) {
        expected = Array(token.utf8)
    }

    /// True for `Bearer <token>` (the scheme in any case, RFC 9110) with exactly the token.
    public func accepts(authorization: String?) -> Bool {
        guard let authorization else { return false }
        let bytes = Array(authorization.utf8)
        let scheme = "bearer "
        guard bytes.count > scheme.utf8.count, String(decoding: bytes.prefix(scheme.utf8.count), as: UTF8.self).lowercased() == scheme
        else { return false }
        return Self.constantTimeEqual(Array(bytes[scheme.utf8.count...]), expected)
    }

    /// Compares every byte of `expected` whatever the input, so only the input's own length can show in the time.
    static func constantTimeEqual(_ given: [UInt8], _ expected: [UInt8]) -> Bool {
        var difference = UInt64(truncatingIfNeeded: given.count ^ expected.count)
        for index in expected.indices {
            let byte = index < given.count ? given[index] : 0
            difference |= UInt64(byte ^ expected[index])
        }
        return difference == 0
    }
}
