import HeraldHTTP

/// Hides secrets in anything Herald shows: configured secret values anywhere in a string, the
/// whole value of credential headers, and the signatures in signature headers (their version
/// markers such as `v1,` and `sha256=` stay visible).
public struct Redactor: Sendable {
    public static let placeholder = "[redacted]"
    static let credentialHeaders: Set<String> = ["authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"]

    private let secrets: [String]
    /// Lower-cased names of headers that carry signatures.
    private let signatureHeaders: Set<String>

    /// Values shorter than 4 characters are not searched for: hiding them would garble output
    /// without protecting anything.
    public init(secrets: Set<String>, signatureHeaders: Set<String> = []) {
        // Longest first, so a secret that contains another is hidden whole.
        self.secrets = secrets.filter { $0.count >= 4 }.sorted { $0.count > $1.count }
        self.signatureHeaders = Set(signatureHeaders.map { $0.lowercased() }).union(["webhook-signature"])
    }

    /// Everything a config makes secret: values from `${VAR}` and secret files, credentials,
    /// signing secrets, and its endpoints' signature headers.
    public init(config: HeraldConfig) {
        let headers = config.endpoints.compactMap { endpoint in endpoint.signing.map { $0.scheme == .hmacSHA256 ? $0.header : "webhook-signature" } }
        self.init(secrets: config.secrets, signatureHeaders: Set(headers))
    }

    /// This redactor's secrets and headers together with `other`'s.
    public func merging(_ other: Redactor) -> Redactor {
        Redactor(secrets: Set(secrets).union(other.secrets), signatureHeaders: signatureHeaders.union(other.signatureHeaders))
    }

    public func redact(_ text: String) -> String {
        var result = text
        for secret in secrets where result.contains(secret) {
            result = result.replacing(secret, with: Self.placeholder)
        }
        return result
    }

    /// Like ``redact(_:)`` for text that was cut short (a body excerpt): a secret that
    /// straddles the cut shows only its start, so an end of at least 4 characters that begins a
    /// secret is hidden too.
    public func redact(_ text: String, cutShort: Bool) -> String {
        let result = redact(text)
        guard cutShort else { return result }
        for secret in secrets {
            let longest = min(secret.count - 1, result.count)
            guard longest >= 4 else { continue }
            for length in stride(from: longest, through: 4, by: -1) where result.hasSuffix(secret.prefix(length)) {
                return String(result.dropLast(length)) + Self.placeholder
            }
        }
        return result
    }

    public func redact(header: HTTPHeader) -> HTTPHeader {
        let name = header.name.lowercased()
        if Self.credentialHeaders.contains(name) { return HTTPHeader(header.name, Self.placeholder) }
        if signatureHeaders.contains(name) { return HTTPHeader(header.name, Self.redactSignatures(header.value)) }
        return HTTPHeader(header.name, redact(header.value))
    }

    /// `v1,abc= v1a,xyz=` becomes `v1,[redacted] v1a,[redacted]`; `sha256=9f…` becomes `sha256=[redacted]`.
    static func redactSignatures(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).map { token in
            let marker = token.prefix(16).firstIndex { $0 == "," || $0 == "=" }
            guard let marker, marker > token.startIndex else { return placeholder }
            return String(token[...marker]) + placeholder
        }.joined(separator: " ")
    }
}
