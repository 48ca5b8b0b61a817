/// A route: which events go to which endpoints, and how their payload is shaped.
public struct RouteConfig: Sendable {
    public var name: String
    public var events: [EventPattern]
    public var conditions: [WhereCondition]
    /// Endpoint names; each exists in the config.
    public var to: [String]
    public var transform: TransformConfig?
    public var template: String?

    public init(name: String, events: [EventPattern], conditions: [WhereCondition], to: [String], transform: TransformConfig?, template: String?) {
        self.name = name
        self.events = events
        self.conditions = conditions
        self.to = to
        self.transform = transform
        self.template = template
    }
}

/// Field operations applied to the event before formatting, in the order pick, drop, rename, set.
public struct TransformConfig: Sendable {
    public var pick: [FieldPath]
    public var drop: [FieldPath]
    public var rename: [(from: FieldPath, to: FieldPath)]
    public var set: [(path: FieldPath, value: JSONValue)]

    public var isEmpty: Bool { pick.isEmpty && drop.isEmpty && rename.isEmpty && set.isEmpty }
}
