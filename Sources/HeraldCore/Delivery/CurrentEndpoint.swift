/// An endpoint's config as the dispatch machine holds it: shared by reference, since a copy of
/// the struct per request costs a retain and release for each of its fields.
final class CurrentEndpoint: Sendable {
    let config: EndpointConfig
    init(_ config: EndpointConfig) { self.config = config }
}
