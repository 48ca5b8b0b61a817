/// When an endpoint's OAuth2 token is used, fetched or refreshed: one fetch at a time, shared by
/// every request; refreshed a tenth of its lifetime (at most a minute) before it expires; dropped
/// once when the receiver answers 401 to it (a revoked token), and not again for the token that
/// replaced it, so a client the receiver will not accept gets its 401 read as usual. A failed fetch
/// fails the requests that waited for it and is not tried again for a second, so that a token
/// endpoint that is down is asked once a second, not once per delivery. Pure: time is an input.
struct TokenCache: Equatable {
    struct Token: Equatable {
        var value: String
        var refreshAt: Int64
        /// Fetched because the receiver refused the previous token.
        var afterUnauthorized: Bool
    }

    enum Decision: Equatable {
        case use(String)
        /// Start a fetch (the caller waits for it).
        case fetch
        /// A fetch is under way: wait for it.
        case wait
        case fail(String)
    }

    private(set) var token: Token?
    private(set) var fetching = false
    private var failure: (message: String, until: Int64)?
    private var replacingRefused = false

    static let failureHold: Int64 = 1_000

    mutating func request(now: Int64) -> Decision {
        if let token, now < token.refreshAt { return .use(token.value) }
        if fetching { return .wait }
        if let failure, now < failure.until { return .fail(failure.message) }
        fetching = true
        return .fetch
    }

    /// A fetch answered `value`, valid for `expiresIn` seconds.
    mutating func fetched(_ value: String, expiresIn: Int64, now: Int64) {
        let lifetime = max(1, expiresIn) * 1_000
        token = Token(value: value, refreshAt: now + lifetime - min(60_000, lifetime / 10), afterUnauthorized: replacingRefused)
        fetching = false
        failure = nil
        replacingRefused = false
    }

    mutating func fetchFailed(_ message: String, now: Int64) {
        fetching = false
        failure = (message, now + Self.failureHold)
    }

    /// The receiver answered 401 to a request that carried `value`: whether the delivery should go
    /// again with another token (true once per token; false for a token that replaced a refused one).
    mutating func unauthorized(_ value: String) -> Bool {
        guard let current = token else { return true }
        guard current.value == value else { return true }
        guard !current.afterUnauthorized else { return false }
        token = nil
        replacingRefused = true
        return true
    }

    static func == (lhs: TokenCache, rhs: TokenCache) -> Bool {
        lhs.token == rhs.token && lhs.fetching == rhs.fetching && lhs.failure?.message == rhs.failure?.message
            && lhs.failure?.until == rhs.failure?.until && lhs.replacingRefused == rhs.replacingRefused
    }
}
