/// A body passed its endpoint's `max_body_bytes` while it was being rendered. Rendering stops at
/// the bound, so a small event that a form name, an XML element or a template section repeats
/// thousands of times never becomes a body of hundreds of megabytes.
public struct BodyTooLarge: Error, Sendable, Equatable, CustomStringConvertible {
    /// The endpoint's `max_body_bytes`.
    public var limit: Int
    /// What was being rendered: `template`, `body`, `set`, or the format (`form`, `xml`, `json`, …).
    public var stage: String

    public init(limit: Int, stage: String) {
        self.limit = limit
        self.stage = stage
    }

    public var description: String {
        "the \(stage) output passed max_body_bytes (\(BodyTooLarge.format(limit))); rendering stopped there"
    }

    /// Bytes as the config writes them: `1MiB`, `512KiB`, else a plain number.
    static func format(_ bytes: Int) -> String {
        if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20)MiB" }
        if bytes >= 1 << 10, bytes % (1 << 10) == 0 { return "\(bytes >> 10)KiB" }
        return "\(bytes)"
    }
}
