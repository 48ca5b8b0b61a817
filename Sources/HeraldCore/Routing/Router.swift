/// The routing table of one config, compiled once: which routes and endpoints an event goes to.
/// A pure function of (config, event).
public struct Router: Sendable {
    private let routes: [RouteConfig]
    private let endpoints: [String: EndpointConfig]
    /// Route indices by exact event type, and the routes that need a glob test.
    private let exact: [String: [Int]]
    private let globs: [(pattern: EventPattern, route: Int)]

    public init(config: HeraldConfig) {
        routes = config.routes
        endpoints = Dictionary(config.endpoints.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
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
    }

    /// Matching routes in config order, each with the endpoints that will receive the event.
    public func match(_ event: Event) -> [RouteMatch] {
        var indices = exact[event.type] ?? []
        for glob in globs where glob.pattern.matches(event.type) && !indices.contains(glob.route) {
            indices.append(glob.route)
        }
        if indices.count > 1 { indices.sort() }
        var matches: [RouteMatch] = []
        for index in indices {
            let route = routes[index]
            guard route.conditions.allSatisfy({ $0.matches(event) }) else { continue }
            var enabled: [EndpointConfig] = []
            var disabled: [String] = []
            for name in route.to {
                guard let endpoint = endpoints[name] else { continue }
                if endpoint.enabled { enabled.append(endpoint) } else { disabled.append(name) }
            }
            matches.append(RouteMatch(route: route, endpoints: enabled, disabledEndpoints: disabled))
        }
        return matches
    }
}

/// A route an event matched and where it goes.
public struct RouteMatch: Sendable {
    public var route: RouteConfig
    /// Enabled endpoints: each gets one delivery.
    public var endpoints: [EndpointConfig]
    /// Endpoints named by the route but `enabled: false`: they receive nothing.
    public var disabledEndpoints: [String]
}
