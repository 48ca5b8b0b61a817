/// A loaded, validated config: one immutable value that a reload replaces whole.
public struct HeraldConfig: Sendable {
    /// The file it was loaded from, as given.
    public var path: String
    public var version: Int
    /// Journal, checkpoints, delivery log and dead letters (relative paths resolve against the config's folder).
    public var stateDir: String
    public var watch: Bool
    public var shutdownGrace: Duration
    /// Where events come from: one source, or several read at once (stdin stays alone).
    public var sources: [SourceConfig]
    /// `source:` was written as a list: each delivery keeps its source's name (and file) for the
    /// delivery log.
    public var sourcesListed = false
    public var journal: JournalConfig
    public var endpoints: [EndpointConfig]
    public var routes: [RouteConfig]
    public var admin: AdminConfig?
    public var deliveryLog: DeliveryLogConfig
    public var deadLetters = DeadLetterConfig()
    /// Every value that came from the environment or a secret file, for redaction.
    public var secrets: Set<String>

    /// The first source: the one a single-source config has, whose decoding options `send` and
    /// `explain` use.
    public var source: SourceConfig { sources[0] }

    public func endpoint(named name: String) -> EndpointConfig? {
        endpoints.first { $0.name == name }
    }
}

/// The on-disk journal's limits.
public struct JournalConfig: Sendable, Equatable {
    /// Past this size Herald stops reading the source until deliveries settle (backpressure).
    public var maxBytes: Int64
}

/// The admin HTTP listener (health, readiness, metrics, deliveries).
public struct AdminConfig: Sendable, Equatable {
    public var host: String
    public var port: Int
    /// The bearer token every route but the probes needs (`admin.token` or `admin.token_file`);
    /// nil leaves the API open.
    public var token: String?

    public init(host: String, port: Int, token: String? = nil) {
        self.host = host
        self.port = port
        self.token = token
    }

    /// True for `localhost`, an IPv4 address in 127.0.0.0/8 and `::1`: only this host can connect.
    public var isLoopback: Bool {
        if host == "localhost" || host == "::1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}
