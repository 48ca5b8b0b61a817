/// How requests to an endpoint are signed.
public struct SigningConfig: Sendable, Equatable {
    public enum Scheme: String, Sendable, CaseIterable {
        case standardWebhooks = "standard-webhooks"
        case hmacSHA256 = "hmac-sha256"
    }

    public let scheme: Scheme
    /// Several secrets during a rotation: every one signs, newest first.
    public let secrets: [String]
    /// For `hmac-sha256`: the header carrying the digest, and its prefix.
    public var header: String
    public var prefix: String
    /// The secrets decoded once; a secret not valid for the scheme is left out (the config
    /// decoder reports it).
    public let keys: [SigningKey]

    public init(scheme: Scheme, secrets: [String], header: String, prefix: String) {
        self.scheme = scheme
        self.secrets = secrets
        self.header = header
        self.prefix = prefix
        keys = Self.keys(secrets, scheme)
    }

    /// Equal when configured alike (the decoded keys follow from the secrets).
    public static func == (a: SigningConfig, b: SigningConfig) -> Bool {
        a.scheme == b.scheme && a.secrets == b.secrets && a.header == b.header && a.prefix == b.prefix
    }

    private static func keys(_ secrets: [String], _ scheme: Scheme) -> [SigningKey] {
        secrets.compactMap { SigningKey.parse($0, scheme: scheme) }
    }
}
