/// What Herald would do with one input line under a config, without sending anything:
/// the basis of `herald explain`.
public struct Explanation: Sendable {
    public enum Outcome: Sendable {
        case rejected(EventRejection)
        case routed(Event, [RoutedDelivery])
    }

    /// One request that would be sent, or why it could not be built.
    public struct RoutedDelivery: Sendable {
        public var route: String
        public var endpoint: String
        public var request: Result<DeliveryRequest, RequestRenderer.Failure>
    }

    public var outcome: Outcome
    /// Endpoints skipped because they are disabled, by route.
    public var disabled: [(route: String, endpoint: String)]
    /// Routes the event did not match, each with why: its type, or the `where` test that failed
    /// and the value the event had.
    public var unmatched: [(route: String, reason: String)] = []

    /// `source` and `file`: where the line is taken to come from (the first source and, for a
    /// single file, its path, when nil), for routes that test `$source` or `$file`.
    public init(line: [UInt8], config: HeraldConfig, router: Router, timestamp: Int64, source: String? = nil, file: String? = nil) {
        let origin = config.sources.first { $0.name == source } ?? config.source
        let decoder = EventDecoder(typeField: origin.typeField, idField: origin.idField, maxLineBytes: origin.maxLineBytes)
        switch decoder.decode(line) {
        case .failure(let rejection):
            outcome = .rejected(rejection)
            disabled = []
        case .success(var event):
            event.metadata = EventMetadata(source: origin.name, file: file ?? (origin.isGlob ? nil : origin.filePattern))
            var deliveries: [RoutedDelivery] = []
            var disabled: [(String, String)] = []
            for match in router.match(event) {
                for endpoint in match.endpoints {
                    let request = Result { () throws(RequestRenderer.Failure) in
                        try RequestRenderer.request(for: event, route: match.route, endpoint: endpoint, timestamp: timestamp)
                    }
                    deliveries.append(RoutedDelivery(route: match.route.name, endpoint: endpoint.name, request: request))
                }
                disabled.append(contentsOf: match.disabledEndpoints.map { (match.route.name, $0) })
            }
            outcome = .routed(event, deliveries)
            self.disabled = disabled
            unmatched = config.routes.compactMap { route in
                guard route.events.contains(where: { $0.matches(event.type) }) else {
                    let types = route.events.map(\.text).joined(separator: ", ")
                    return (route.name, "event type '\(event.type)' is not one of \(types)")
                }
                return route.filter.failure(event).map { (route.name, "where: \($0)") }
            }
        }
    }
}
