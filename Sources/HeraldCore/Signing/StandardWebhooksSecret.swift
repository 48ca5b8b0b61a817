import Crypto
import Foundation

/// Standard Webhooks' key formats: `whsec_` + base64 of a symmetric key (24 to 64 bytes),
/// `whsk_` + base64 of an ed25519 private key (its 32-byte seed) and `whpk_` + base64 of the
/// matching 32-byte public key.
public enum StandardWebhooksSecret {
    /// The HMAC key of a `whsec_` secret.
    public static func key(from secret: String) -> [UInt8]? {
        guard secret.hasPrefix("whsec_"), let data = Data(base64Encoded: String(secret.dropFirst(6))) else { return nil }
        guard (24...64).contains(data.count) else { return nil }
        return Array(data)
    }

    /// The ed25519 private key of a `whsk_` secret.
    public static func signingKey(from secret: String) -> Curve25519.Signing.PrivateKey? {
        guard secret.hasPrefix("whsk_"), let data = Data(base64Encoded: String(secret.dropFirst(5))), data.count == 32 else { return nil }
        return try? Curve25519.Signing.PrivateKey(rawRepresentation: data)
    }

    /// The ed25519 public key of a `whpk_` key, or of a `whsk_` secret.
    public static func verifyingKey(from key: String) -> Curve25519.Signing.PublicKey? {
        if let signing = signingKey(from: key) { return signing.publicKey }
        guard key.hasPrefix("whpk_"), let data = Data(base64Encoded: String(key.dropFirst(5))), data.count == 32 else { return nil }
        return try? Curve25519.Signing.PublicKey(rawRepresentation: data)
    }

    /// The `whpk_` public key that verifies a `whsk_` secret's signatures.
    public static func publicKey(of secret: String) -> String? {
        signingKey(from: secret).map { "whpk_" + $0.publicKey.rawRepresentation.base64EncodedString() }
    }
}
