import HeraldHTTP
/// Hides secrets in anything Herald shows: configured secret values anywhere in a string,
/// and the whole value of credential headers.
public struct Redactor: Sendable {
    public static let placeholder = "[redacted]"
    static let credentialHeaders: Set<String> = ["authorization", "proxy-authorization", "cookie", "x-api-key"]

    private let secrets: [String]

    public init(secrets: Set<String>) {
        // Longest first, so a secret that contains another is hidden whole.
        self.secrets = secrets.filter { $0.count >= 4 }.sorted { $0.count > $1.count }
    }

    public func redact(_ text: String) -> String {
        var result = text
        for secret in secrets where result.contains(secret) {
            result = result.replacing(secret, with: Self.placeholder)
        }
        return result
    }

    public func redact(header: HTTPHeader) -> HTTPHeader {
        if Self.credentialHeaders.contains(header.name.lowercased()) { return HTTPHeader(header.name, Self.placeholder) }
        return HTTPHeader(header.name, redact(header.value))
    }
}
