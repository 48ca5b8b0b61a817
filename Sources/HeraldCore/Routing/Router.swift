/// The routing table of one config, compiled once: which routes and endpoints an event goes to.
/// A pure function of (config, event).
public struct Router: Sendable {
    /// Each route's match, made once: an event that matches shares it (no copy of the route's
    /// config or of its endpoints per event).
    private let matches: [RouteMatch]
    /// Route indices by exact event type, and the routes that need a glob test.
    private let exact: [String: [Int]]
    private let globs: [(pattern: EventPattern, route: Int)]
    /// Each route's `where`, compiled; nil for a route without one.
    private let filters: [CompiledFilter?]
    /// The fields the filters test, looked up at most once per event.
    private let fields: FieldPaths

    public init(config: HeraldConfig) {
        let endpoints = Dictionary(config.endpoints.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var exact: [String: [Int]] = [:]
        var globs: [(EventPattern, Int)] = []
        for (index, route) in config.routes.enumerated() {
            for pattern in route.events {
                if pattern.isExact {
                    if exact[pattern.text]?.last != index { exact[pattern.text, default: []].append(index) }
                } else {
                    globs.append((pattern, index))
                }
            }
        }
        self.exact = exact
        self.globs = globs
        var fields = FieldPaths()
        filters = config.routes.map { CompiledFilter.compile($0.filter, fields: &fields) }
        self.fields = fields
        matches = config.routes.map { route in
            var enabled: [EndpointConfig] = []
            var disabled: [String] = []
            for name in route.to {
                guard let endpoint = endpoints[name] else { continue }
                if endpoint.enabled { enabled.append(endpoint) } else { disabled.append(name) }
            }
            return RouteMatch(route: route, endpoints: enabled, disabledEndpoints: disabled)
        }
    }

    /// Matching routes in config order, each with the endpoints that will receive the event.
    public func match(_ event: Event) -> [RouteMatch] {
        var indices = exact[event.type] ?? []
        for glob in globs where glob.pattern.matches(event.type) && !indices.contains(glob.route) {
            indices.append(glob.route)
        }
        if indices.count > 1 { indices.sort() }
        var found: [RouteMatch] = []
        var lookups: FieldLookups?
        for index in indices {
            if let filter = filters[index] {
                if lookups == nil { lookups = FieldLookups(fields) }
                guard filter.matches(event, &lookups!) else { continue }
            }
            found.append(matches[index])
        }
        return found
    }
}

/// A route an event matched and where it goes.
public final class RouteMatch: Sendable {
    public let route: RouteConfig
    /// Enabled endpoints: each gets one delivery.
    public let endpoints: [EndpointConfig]
    /// Endpoints named by the route but `enabled: false`: they receive nothing.
    public let disabledEndpoints: [String]

    init(route: RouteConfig, endpoints: [EndpointConfig], disabledEndpoints: [String]) {
        self.route = route
        self.endpoints = endpoints
        self.disabledEndpoints = disabledEndpoints
    }
}
