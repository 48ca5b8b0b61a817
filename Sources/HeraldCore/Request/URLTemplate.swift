import Foundation

/// An endpoint `url` with `{{path}}` placeholders (`https://api.example.com/tenants/{{data.tenant}}/hooks`).
///
/// Each value is percent-encoded for its place: in the path as one segment (`/`, `?`, `#`, `%`,
/// `@` and anything outside RFC 3986's unreserved characters are encoded; a value of `.` or `..`
/// is encoded too, so it cannot climb out of its segment), in the query as a value. A placeholder
/// in the host makes the endpoint's destination the event's choice: it must then list
/// `allowed_hosts`, the value must be a host name (letters, digits, `-`, `.`), and the rendered
/// host must match one of the globs. Scheme, credentials and port take no placeholders.
public struct URLTemplate: Sendable, Equatable {
    public enum Place: Sendable, Equatable { case host, path, query }

    public let text: PlaceholderText
    /// Where each piece of `text` lies.
    let places: [Place]

    /// Whether a placeholder can change the host.
    public var templatesHost: Bool {
        zip(text.pieces, places).contains { piece, place in
            if case .field = piece { place == .host } else { false }
        }
    }

    /// Parses `text` and checks that it makes a valid URL; the reason when it does not.
    public static func parse(_ source: String) -> Result<URLTemplate, URLProblem> {
        let text: PlaceholderText
        switch PlaceholderText.parse(source) {
        case .success(let parsed): text = parsed
        case .failure(let problem): return .failure(problem)
        }
        // Where each piece lies: before the authority ends (host), before '?' (path), after (query).
        var places: [Place] = []
        var place = Place.host
        var seenScheme = false
        var hostText = ""
        for piece in text.pieces {
            switch piece {
            case .literal(let literal):
                places.append(place)
                var rest = Substring(literal)
                if !seenScheme {
                    guard let end = rest.range(of: "://") else {
                        return .failure(URLProblem("the scheme and '://' must be written out, not taken from the event"))
                    }
                    seenScheme = true
                    rest = rest[end.upperBound...]
                }
                for character in rest {
                    if place == .host {
                        if character == "/" { place = .path } else if character == "?" || character == "#" { place = .query } else { hostText.append(character) }
                    } else if place == .path, character == "?" || character == "#" {
                        place = .query
                    }
                }
            case .field:
                guard seenScheme else {
                    return .failure(URLProblem("the scheme and '://' must be written out, not taken from the event"))
                }
                if place == .host {
                    if hostText.contains("@") { return .failure(URLProblem("credentials in the URL are not allowed; use basic_auth or headers")) }
                    if hostText.contains(":") || hostText.hasPrefix("[") {
                        return .failure(URLProblem("a placeholder may be part of the host name, not of the port or an IP literal"))
                    }
                    hostText.append("x")
                }
                places.append(place)
            }
        }
        return .success(URLTemplate(text: text, places: places))
    }

    /// Why a rendered URL may not be requested.
    public struct Refusal: Error, Sendable, Equatable {
        public var message: String
    }

    /// The URL for `values` (each field's raw value; see ``PlaceholderText/value(of:)``).
    public func render(_ values: [FieldPath: String]) -> Result<String, Refusal> {
        var url = ""
        for (piece, place) in zip(text.pieces, places) {
            switch piece {
            case .literal(let literal):
                url += literal
            case .field(let path):
                guard let value = values[path] else { return .failure(Refusal(message: "the url's {{\(path)}} has no value in this event")) }
                switch place {
                case .host:
                    let host = value.lowercased()
                    guard !host.isEmpty, host.utf8.allSatisfy({ Self.isHostByte($0) }) else {
                        return .failure(Refusal(message: "{{\(path)}} is not a host name: \(Self.quoted(value))"))
                    }
                    url += host
                case .path, .query:
                    url += Self.percentEncoded(value)
                }
            }
        }
        return .success(url)
    }

    /// A value as one path segment or query value: RFC 3986 unreserved characters stay, every other
    /// byte becomes %XX; `.` and `..` are encoded whole so that they are not dot-segments.
    public static func percentEncoded(_ value: String) -> String {
        if value == "." || value == ".." { return String(repeating: "%2E", count: value.count) }
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for byte in value.utf8 {
            if (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
                || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x7E {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let digits = Array("0123456789ABCDEF".utf8)
                out += "%" + String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0xF)]], as: UTF8.self)
            }
        }
        return out
    }

    private static func isHostByte(_ byte: UInt8) -> Bool {
        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x2D || byte == 0x2E
    }

    /// A value in a message, control characters shown escaped and long ones cut.
    static func quoted(_ value: String) -> String {
        let shown = value.prefix(80).unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined()
        return "'\(shown)\(value.count > 80 ? "…" : "")'"
    }
}
