/// What a reload changes, decided from the config in force and a newly loaded one. Pure.
///
/// Endpoints and routes (and everything under them) apply at once. Settings that shape the
/// process itself — `state_dir`, `source`, `journal`, `admin`, `shutdown_grace`, `watch`,
/// `delivery_log`, `dead_letters` — keep their running values until a restart, and each changed one is named in
/// a warning, so a reload never moves the journal or the source position under running work.
public struct ReloadPlan: Sendable {
    /// The config to put in force: the new one with the restart-only settings of the old.
    public let config: HeraldConfig
    /// Restart-only settings that differ, e.g. `source`.
    public let needsRestart: [String]
    public let addedEndpoints: [String]
    public let removedEndpoints: [String]
    public let changedEndpoints: [String]
    public let addedRoutes: [String]
    public let removedRoutes: [String]

    public init(current: HeraldConfig, loaded: HeraldConfig) {
        var config = loaded
        var restart: [String] = []
        if loaded.stateDir != current.stateDir { restart.append("state_dir") }
        if loaded.sources != current.sources || loaded.sourcesListed != current.sourcesListed { restart.append("source") }
        if loaded.journal != current.journal { restart.append("journal") }
        if loaded.admin != current.admin { restart.append("admin") }
        if loaded.shutdownGrace != current.shutdownGrace { restart.append("shutdown_grace") }
        if loaded.watch != current.watch { restart.append("watch") }
        if loaded.deliveryLog != current.deliveryLog { restart.append("delivery_log") }
        if loaded.deadLetters != current.deadLetters { restart.append("dead_letters") }
        config.stateDir = current.stateDir
        config.sources = current.sources
        config.sourcesListed = current.sourcesListed
        config.journal = current.journal
        config.admin = current.admin
        config.shutdownGrace = current.shutdownGrace
        config.watch = current.watch
        config.deliveryLog = current.deliveryLog
        config.deadLetters = current.deadLetters
        self.config = config
        needsRestart = restart

        let old = Dictionary(current.endpoints.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let new = Dictionary(loaded.endpoints.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        addedEndpoints = loaded.endpoints.map(\.name).filter { old[$0] == nil }
        removedEndpoints = current.endpoints.map(\.name).filter { new[$0] == nil }
        changedEndpoints = loaded.endpoints.compactMap { endpoint in
            guard let before = old[endpoint.name] else { return nil }
            return endpoint == before ? nil : endpoint.name
        }
        let oldRoutes = Set(current.routes.map(\.name)), newRoutes = Set(loaded.routes.map(\.name))
        addedRoutes = loaded.routes.map(\.name).filter { !oldRoutes.contains($0) }
        removedRoutes = current.routes.map(\.name).filter { !newRoutes.contains($0) }
    }
}
