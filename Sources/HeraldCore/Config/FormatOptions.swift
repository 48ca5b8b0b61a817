/// Per-endpoint settings of the body formats that have any (`xml:` and `cloudevents:` keys).
public struct FormatOptions: Sendable, Equatable {
    /// The XML root element's name.
    public var xmlRoot: String
    public var cloudEvents: CloudEventsOptions

    public init(xmlRoot: String = "event", cloudEvents: CloudEventsOptions = CloudEventsOptions()) {
        self.xmlRoot = xmlRoot
        self.cloudEvents = cloudEvents
    }
}

/// CloudEvents 1.0 settings: content mode, the `source` attribute and where `time` comes from.
public struct CloudEventsOptions: Sendable, Equatable {
    public enum Mode: String, Sendable, CaseIterable {
        /// Data as the body, attributes as `ce-*` headers (the default).
        case binary
        /// One `application/cloudevents+json` document holding attributes and data.
        case structured
    }

    public var mode: Mode
    public var source: String
    /// The event field whose string value becomes `time`; nothing is sent when it is absent.
    public var timeField: FieldPath?

    public init(mode: Mode = .binary, source: String = "herald", timeField: FieldPath? = FieldPath("time")) {
        self.mode = mode
        self.source = source
        self.timeField = timeField
    }
}
