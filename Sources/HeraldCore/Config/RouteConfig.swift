/// A route: which events go to which endpoints, and how their payload is shaped.
public struct RouteConfig: Sendable {
    public var name: String
    public var events: [EventPattern]
    /// The route's `where`: which of the events of its types it takes.
    public var filter: WhereExpression
    /// Endpoint names; each exists in the config.
    public var to: [String]
    public var transform: TransformConfig?
    /// The body as Mustache text (parsed once, at load); exclusive with `body`.
    public var template: PayloadTemplate?
    /// The body as a JSON structure whose strings may be templates; exclusive with `template`.
    public var body: ValueTemplate?
    /// A template naming a field the event lacks fails the delivery instead of rendering empty.
    public var strict: Bool
    /// Where the event carries its W3C trace context (`trace_field`; over the endpoint's).
    public var traceField: FieldPath?

    public init(name: String, events: [EventPattern], filter: WhereExpression = .always, to: [String], transform: TransformConfig?,
                template: PayloadTemplate?, body: ValueTemplate? = nil, strict: Bool = false) {
        self.name = name
        self.events = events
        self.filter = filter
        self.to = to
        self.transform = transform
        self.template = template
        self.body = body
        self.strict = strict
    }

    /// Whether the endpoint receives the event's own line (no reshaping at all).
    public var passesThrough: Bool { (transform?.isEmpty ?? true) && template == nil && body == nil }
}

/// Field operations applied to the event before formatting, in the order pick, drop, rename, set.
public struct TransformConfig: Sendable {
    public var pick: [FieldPath]
    public var drop: [FieldPath]
    public var rename: [(from: FieldPath, to: FieldPath)]
    public var set: [(path: FieldPath, value: ValueTemplate)]

    public init(pick: [FieldPath] = [], drop: [FieldPath] = [], rename: [(from: FieldPath, to: FieldPath)] = [], set: [(path: FieldPath, value: ValueTemplate)] = []) {
        self.pick = pick
        self.drop = drop
        self.rename = rename
        self.set = set
    }

    public var isEmpty: Bool { pick.isEmpty && drop.isEmpty && rename.isEmpty && set.isEmpty }
}
