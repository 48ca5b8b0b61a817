/// A dotted path into an event, such as `data.order_id` or `items.0.sku`.
public struct FieldPath: Sendable, Hashable, CustomStringConvertible {
    public var segments: [String]

    /// Parses a dotted path; nil when empty or when a segment is empty (`a..b`, `.a`).
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !text.isEmpty, !parts.contains(where: \.isEmpty) else { return nil }
        segments = parts
    }

    public var description: String { segments.joined(separator: ".") }
}
