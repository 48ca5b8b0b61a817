import Synchronization

/// One config in force, with what is compiled from it: a reload replaces it whole, so every
/// batch of events and every attempt sees one consistent config.
public struct ConfigGeneration: Sendable {
    /// 1 for the config Herald started with, then one more per applied reload.
    public let number: Int
    public let config: HeraldConfig
    public let router: Router
    /// The first source's decoder (`send`, `explain`, tests).
    public var decoder: EventDecoder { decoders[0] }
    /// One per source, in the config's order: each has its own type and id fields and line limit.
    public let decoders: [EventDecoder]
    private let decoderBySource: [String: Int]
    public let routes: [String: RouteConfig]
    public let endpoints: [String: EndpointConfig]

    public init(_ config: HeraldConfig, number: Int = 1) {
        self.number = number
        self.config = config
        router = Router(config: config)
        decoders = config.sources.map { EventDecoder(typeField: $0.typeField, idField: $0.idField, maxLineBytes: $0.maxLineBytes) }
        decoderBySource = Dictionary(config.sources.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
        routes = Dictionary(config.routes.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        endpoints = Dictionary(config.endpoints.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }
}

extension ConfigGeneration {
    /// The decoder of the source named so; the first source's for nil or a name no longer configured.
    public func decoder(forSource name: String?) -> EventDecoder {
        name.flatMap { decoderBySource[$0] }.map { decoders[$0] } ?? decoders[0]
    }
}

/// The generation in force, read by the ingest loop once per batch and by each attempt.
public final class LiveConfig: Sendable {
    private let generation: Mutex<ConfigGeneration>

    public init(_ config: HeraldConfig) {
        generation = Mutex(ConfigGeneration(config))
    }

    public var current: ConfigGeneration { generation.withLock { $0 } }

    /// Puts `config` in force as the next generation and returns it.
    @discardableResult
    public func replace(with config: HeraldConfig) -> ConfigGeneration {
        generation.withLock { current in
            current = ConfigGeneration(config, number: current.number + 1)
            return current
        }
    }
}
