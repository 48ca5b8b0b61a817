import Foundation

/// A Standard Webhooks signing secret: `whsec_` followed by base64 of the key bytes.
public enum StandardWebhooksSecret {
    public static func key(from secret: String) -> [UInt8]? {
        guard secret.hasPrefix("whsec_"), let data = Data(base64Encoded: String(secret.dropFirst(6))) else { return nil }
        guard (24...64).contains(data.count) else { return nil }
        return Array(data)
    }
}
