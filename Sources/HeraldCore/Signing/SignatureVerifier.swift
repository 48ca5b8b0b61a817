import Crypto
import Foundation
import HeraldHTTP

/// Checks a received request's signature the way a receiver would. Standard Webhooks
/// (`webhook-signature` over `id.timestamp.body`, with a timestamp tolerance): `v1` for a `whsec_`
/// secret, `v1a` (ed25519) for a `whpk_` public key (or its `whsk_` secret). Any other secret
/// checks a GitHub-style hex HMAC of the body, by default `X-Hub-Signature-256: sha256=<hex>`.
public enum SignatureVerifier {
    public enum Verdict: Sendable, Equatable {
        case valid
        case invalid(String)
        case missing(String)
    }

    /// Standard Webhooks' default tolerance for `webhook-timestamp` against the receiver's clock.
    public static let tolerance: Int64 = 300

    public static func verify(
        headers: [HTTPHeader], body: [UInt8], secret: String, now: Int64 = Int64(Date().timeIntervalSince1970),
        hmacHeader: String = "X-Hub-Signature-256", hmacPrefix: String = "sha256="
    ) -> Verdict {
        if let key = StandardWebhooksSecret.key(from: secret) {
            return standardWebhooks(headers: headers, body: body, now: now, version: "v1") { content, signature in
                constantTimeEqual(signature, Array(HMAC<SHA256>.authenticationCode(for: content, using: SymmetricKey(data: key))))
            }
        }
        if let publicKey = StandardWebhooksSecret.verifyingKey(from: secret) {
            return standardWebhooks(headers: headers, body: body, now: now, version: "v1a") { content, signature in
                publicKey.isValidSignature(signature, for: content)
            }
        }
        let values = headers.filter { $0.name.lowercased() == hmacHeader.lowercased() }
            .flatMap { $0.value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        guard !values.isEmpty else { return .missing("no \(hmacHeader) header") }
        let expected = Array((hmacPrefix + Hex.encode(HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Array(secret.utf8))))).utf8)
        return values.contains { constantTimeEqual(Array($0.utf8), expected) } ? .valid : .invalid("\(hmacHeader) does not match the secret")
    }

    /// Checks the Standard Webhooks headers; `matches` tests one decoded signature of `version`.
    private static func standardWebhooks(
        headers: [HTTPHeader], body: [UInt8], now: Int64, version: String, matches: ([UInt8], [UInt8]) -> Bool
    ) -> Verdict {
        guard let id = headers.first(named: "webhook-id"), let timestampText = headers.first(named: "webhook-timestamp"),
            let signatures = headers.first(named: "webhook-signature")
        else { return .missing("no webhook-id, webhook-timestamp or webhook-signature header") }
        guard let timestamp = Int64(timestampText) else { return .invalid("webhook-timestamp is not a number") }
        guard abs(now - timestamp) <= tolerance else { return .invalid("webhook-timestamp is more than \(tolerance)s from now") }
        let content = Array("\(id).\(timestamp).".utf8) + body
        let marker = version + ","
        for candidate in signatures.split(separator: " ") where candidate.hasPrefix(marker) {
            if let given = Data(base64Encoded: String(candidate.dropFirst(marker.count))), matches(content, Array(given)) { return .valid }
        }
        return .invalid("no \(version) signature matches the key")
    }

    private static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
