import Foundation

/// Text with `{{path}}` placeholders, for request parts taken from the event: an endpoint's `url`
/// and header values. Only plain field paths: no sections, no escaping rules of its own (the
/// URL encodes each value for its place; a header refuses a value with a line break).
public struct PlaceholderText: Sendable, Equatable {
    public enum Piece: Sendable, Equatable {
        case literal(String)
        case field(FieldPath)
    }

    public var pieces: [Piece]

    /// The fields the text takes values from, in order of first use.
    public var fields: [FieldPath] {
        var seen: [FieldPath] = []
        for case .field(let path) in pieces where !seen.contains(path) { seen.append(path) }
        return seen
    }

    public var hasFields: Bool { pieces.contains { if case .field = $0 { true } else { false } } }

    /// Parses `text`; the reason when a `{{` is not closed or does not hold a field path.
    public static func parse(_ text: String) -> Result<PlaceholderText, URLProblem> {
        var pieces: [Piece] = []
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            if open.lowerBound > rest.startIndex { pieces.append(.literal(String(rest[..<open.lowerBound]))) }
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                return .failure(URLProblem("'{{' without a closing '}}'"))
            }
            let inner = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            guard let path = FieldPath(inner) else {
                return .failure(URLProblem("'{{\(inner)}}' is not a field path like {{data.tenant}}"))
            }
            pieces.append(.field(path))
            rest = rest[close.upperBound...]
        }
        if !rest.isEmpty { pieces.append(.literal(String(rest))) }
        return .success(PlaceholderText(pieces: pieces))
    }

    /// The value a field gives a placeholder: a string as it is, a number as written, a boolean
    /// as `true`/`false`; nil for a missing field, null, an object or an array.
    public static func value(of json: JSONValue?) -> String? {
        switch json {
        case .string(let text)?: text
        case .number(let number)?: number.text
        case .bool(let flag)?: flag ? "true" : "false"
        default: nil
        }
    }
}
