import Crypto
import Foundation
import HeraldHTTP

/// Checks a received request's signature the way a receiver would: Standard Webhooks
/// (`webhook-signature: v1,<base64>` over `id.timestamp.body`, with a timestamp tolerance) for
/// `whsec_` secrets, otherwise GitHub-style `X-Hub-Signature-256: sha256=<hex>`.
public enum SignatureVerifier {
    public enum Verdict: Sendable, Equatable {
        case valid
        case invalid(String)
        case missing(String)
    }

    /// Standard Webhooks' default tolerance for `webhook-timestamp` against the receiver's clock.
    public static let tolerance: Int64 = 300

    public static func verify(headers: [HTTPHeader], body: [UInt8], secret: String, now: Int64 = Int64(Date().timeIntervalSince1970)) -> Verdict {
        if let key = StandardWebhooksSecret.key(from: secret) {
            guard let id = headers.first(named: "webhook-id"), let timestampText = headers.first(named: "webhook-timestamp"),
                let signatures = headers.first(named: "webhook-signature")
            else { return .missing("no webhook-id, webhook-timestamp or webhook-signature header") }
            guard let timestamp = Int64(timestampText) else { return .invalid("webhook-timestamp is not a number") }
            guard abs(now - timestamp) <= tolerance else { return .invalid("webhook-timestamp is more than \(tolerance)s from now") }
            let expected = HMAC<SHA256>.authenticationCode(for: Array("\(id).\(timestamp).".utf8) + body, using: SymmetricKey(data: key))
            for candidate in signatures.split(separator: " ") where candidate.hasPrefix("v1,") {
                if let given = Data(base64Encoded: String(candidate.dropFirst(3))), constantTimeEqual(Array(given), Array(expected)) { return .valid }
            }
            return .invalid("no v1 signature matches the secret")
        }
        guard let header = headers.first(named: "X-Hub-Signature-256") else { return .missing("no X-Hub-Signature-256 header") }
        let expected = "sha256=" + Hex.encode(HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Array(secret.utf8))))
        return constantTimeEqual(Array(header.utf8), Array(expected.utf8)) ? .valid : .invalid("X-Hub-Signature-256 does not match the secret")
    }

    private static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
