import Foundation

/// The spellings in which a secret can leave Herald, so that each is registered for redaction:
/// a receiver that echoes what it was sent shows the value as the wire carried it, and a
/// receiver that decodes first shows it decoded.
enum SecretForms {
    /// A value put into a URL: as written, percent-encoded (as a client or proxy may re-encode
    /// it) and percent-decoded (as a receiver reads it back).
    static func inURL(_ value: String) -> Set<String> {
        var forms: Set<String> = [value]
        if let encoded = value.addingPercentEncoding(withAllowedCharacters: unreserved) { forms.insert(encoded) }
        if let decoded = value.removingPercentEncoding { forms.insert(decoded) }
        return forms
    }

    /// The base64 of `username:password` that basic auth puts on the wire, without its
    /// `Basic ` scheme word (an echo may carry it alone).
    static func basicCredentials(username: String, password: String) -> String {
        Data("\(username):\(password)".utf8).base64EncodedString()
    }

    /// A standard-webhooks secret without its `whsec_`/`whsk_` marker: the key material itself.
    static func signingKey(_ secret: String) -> String? {
        for marker in ["whsec_", "whsk_"] where secret.hasPrefix(marker) {
            return String(secret.dropFirst(marker.count))
        }
        return nil
    }

    /// RFC 3986 unreserved characters: the only ones a URL never needs to encode.
    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}
