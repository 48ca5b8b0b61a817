/// A dotted path into an event, such as `data.order_id` or `items.0.sku`, or one of Herald's
/// metadata fields (`$source`, `$file`, `$key`: see ``EventMetadata``).
public struct FieldPath: Sendable, Hashable, CustomStringConvertible {
    public var segments: [String]
    /// The metadata field the path names, decided once when it is parsed; nil for the event's body.
    public let metadata: EventMetadata.Field?

    /// Parses a dotted path; nil when empty, when a segment is empty (`a..b`, `.a`), or when it
    /// starts with `$` and is not a metadata field.
    public init?(_ text: String) {
        if text.hasPrefix("$") {
            guard let field = EventMetadata.Field(rawValue: text) else { return nil }
            segments = [text]
            metadata = field
            return
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !text.isEmpty, !parts.contains(where: \.isEmpty) else { return nil }
        segments = parts
        metadata = nil
    }

    public var description: String { segments.joined(separator: ".") }
}
