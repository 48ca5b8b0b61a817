import HeraldHTTP
import Crypto
import Foundation

/// Computes signature headers over the exact bytes sent, per the endpoint's scheme.
public struct RequestSigner: Sendable {
    private let config: SigningConfig
    /// Raw key bytes (SymmetricKey is not Sendable; making one per request is cheap).
    private let keys: [[UInt8]]

    public init(_ config: SigningConfig) {
        self.config = config
        switch config.scheme {
        case .standardWebhooks: keys = config.secrets.compactMap(StandardWebhooksSecret.key(from:))
        case .hmacSHA256: keys = config.secrets.map { Array($0.utf8) }
        }
    }

    /// The headers to add for a request with this id, timestamp and body.
    public func headers(webhookID: String, timestamp: Int64, body: [UInt8]) -> [HTTPHeader] {
        switch config.scheme {
        case .standardWebhooks:
            var content = Array("\(webhookID).\(timestamp).".utf8)
            content.append(contentsOf: body)
            let signatures = keys.map { key in
                "v1," + Data(HMAC<SHA256>.authenticationCode(for: content, using: SymmetricKey(data: key))).base64EncodedString()
            }
            return [HTTPHeader("webhook-signature", signatures.joined(separator: " "))]
        case .hmacSHA256:
            let values = keys.map { key in config.prefix + Hex.encode(HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: key))) }
            return values.map { HTTPHeader(config.header, $0) }
        }
    }
}
