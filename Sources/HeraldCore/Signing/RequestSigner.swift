import HeraldHTTP
import Crypto
import Foundation

/// Computes signature headers over the exact bytes sent, per the endpoint's scheme.
public struct RequestSigner: Sendable {
    private let config: SigningConfig

    public init(_ config: SigningConfig) {
        self.config = config
    }

    /// The headers to add for a request with this id, timestamp and body.
    public func headers(webhookID: String, timestamp: Int64, body: [UInt8]) -> [HTTPHeader] {
        switch config.scheme {
        case .standardWebhooks:
            // Every secret signs (newest first during a rotation): `v1` for whsec_, `v1a` for whsk_.
            var content = Array("\(webhookID).\(timestamp).".utf8)
            content.append(contentsOf: body)
            let signatures = config.keys.compactMap { key -> String? in
                switch key {
                case .hmac(let bytes):
                    return "v1," + Data(HMAC<SHA256>.authenticationCode(for: content, using: SymmetricKey(data: bytes))).base64EncodedString()
                case .ed25519(let signer):
                    // BoringSSL's ed25519 is deterministic (RFC 8032) and cannot fail for a valid key.
                    return (try? signer.key.signature(for: content)).map { "v1a," + $0.base64EncodedString() }
                }
            }
            return [HTTPHeader("webhook-signature", signatures.joined(separator: " "))]
        case .hmacSHA256:
            // Several secrets repeat the header, one value each (the same as a comma-separated list).
            return config.keys.compactMap { key in
                guard case .hmac(let bytes) = key else { return nil }
                return HTTPHeader(config.header, config.prefix + Hex.encode(HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: bytes))))
            }
        }
    }
}
