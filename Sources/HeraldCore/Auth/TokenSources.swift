import HeraldHTTP
import Synchronization

/// The ``TokenSource`` of each endpoint with `oauth2`, kept across reloads while its settings stay
/// the same (so a reload does not fetch every token again) and replaced when they change.
final class TokenSources: Sendable {
    private let client: HTTPClient
    private let now: @Sendable () -> Int64
    private let sources = Mutex<[String: TokenSource]>([:])

    init(client: HTTPClient, now: @escaping @Sendable () -> Int64) {
        self.client = client
        self.now = now
    }

    func source(for endpoint: String, _ config: OAuth2Config) -> TokenSource {
        sources.withLock { sources in
            if let source = sources[endpoint], source.config == config { return source }
            let source = TokenSource(config: config, client: client, now: now)
            sources[endpoint] = source
            return source
        }
    }
}
