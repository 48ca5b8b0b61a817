import Crypto

/// One decoded signing secret, ready to sign: decoded once when the config loads, not per request.
public enum SigningKey: Sendable {
    /// HMAC-SHA256 (`whsec_` for standard-webhooks' `v1`, raw UTF-8 bytes for hmac-sha256).
    case hmac([UInt8])
    /// Standard Webhooks' asymmetric `v1a` scheme (a `whsk_` secret).
    case ed25519(Ed25519Key)

    /// An ed25519 private key shared between threads: swift-crypto's key is an immutable value
    /// over immutable storage, but is not declared Sendable.
    public struct Ed25519Key: @unchecked Sendable {
        let key: Curve25519.Signing.PrivateKey
    }

    /// The key a secret stands for under `scheme`; nil when the secret is not in that scheme's format.
    public static func parse(_ secret: String, scheme: SigningConfig.Scheme) -> SigningKey? {
        switch scheme {
        case .hmacSHA256:
            return secret.isEmpty ? nil : .hmac(Array(secret.utf8))
        case .standardWebhooks:
            if let key = StandardWebhooksSecret.key(from: secret) { return .hmac(key) }
            return StandardWebhooksSecret.signingKey(from: secret).map { .ed25519(Ed25519Key(key: $0)) }
        }
    }
}
