import Foundation
import HeraldHTTP
import Synchronization

/// One endpoint's OAuth2 client-credentials tokens, fetched through Herald's own libcurl client
/// (RFC 6749 §4.4: `grant_type=client_credentials`, the client authenticated with HTTP Basic) and
/// shared by all its requests; ``TokenCache`` decides when. Each token fetched is registered as a
/// secret, so it is redacted wherever Herald prints or stores text.
final class TokenSource: Sendable {
    typealias Waiter = @Sendable (Result<String, TokenFailure>) -> Void

    struct TokenFailure: Error, Sendable, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    let config: OAuth2Config
    private let client: HTTPClient
    private let now: @Sendable () -> Int64
    private let state = Mutex<(cache: TokenCache, waiters: [Waiter])>((TokenCache(), []))

    init(config: OAuth2Config, client: HTTPClient, now: @escaping @Sendable () -> Int64) {
        self.config = config
        self.client = client
        self.now = now
    }

    /// Calls `done` with a token: at once when one is cached, else when the fetch under way ends.
    func token(_ done: @escaping Waiter) {
        let decision = state.withLock { state -> TokenCache.Decision in
            let decision = state.cache.request(now: now())
            if decision == .fetch || decision == .wait { state.waiters.append(done) }
            return decision
        }
        switch decision {
        case .use(let token): done(.success(token))
        case .fail(let message): done(.failure(TokenFailure(message: message)))
        case .wait: break
        case .fetch: fetch()
        }
    }

    /// See ``TokenCache/unauthorized(_:)``.
    func unauthorized(_ token: String) -> Bool {
        state.withLock { $0.cache.unauthorized(token) }
    }

    private func fetch() {
        var body = "grant_type=client_credentials"
        if let scope = config.scope { body += "&scope=" + Self.formEncoded(scope) }
        if let audience = config.audience { body += "&audience=" + Self.formEncoded(audience) }
        let credentials = Data((Self.formEncoded(config.clientID) + ":" + Self.formEncoded(config.clientSecret)).utf8).base64EncodedString()
        let request = HTTPRequest(method: "POST", url: config.tokenURL, headers: [
            HTTPHeader("Authorization", "Basic " + credentials),
            HTTPHeader("Content-Type", "application/x-www-form-urlencoded"),
            HTTPHeader("Accept", "application/json"),
        ], body: Array(body.utf8), timeout: .seconds(30))
        client.send(request) { [self] result in
            let outcome = Self.parse(result)
            let waiters = state.withLock { state -> [Waiter] in
                switch outcome {
                case .success(let (token, expiresIn)): state.cache.fetched(token, expiresIn: expiresIn, now: now())
                case .failure(let failure): state.cache.fetchFailed(failure.message, now: now())
                }
                defer { state.waiters = [] }
                return state.waiters
            }
            if case .success(let (token, _)) = outcome { SecretRegistry.shared.register(secret: token) }
            let answer = outcome.map(\.token)
            for waiter in waiters { waiter(answer) }
        }
    }

    /// The token and its lifetime in seconds (300 when the answer gives none), or why there is none.
    static func parse(_ result: HTTPResult) -> Result<(token: String, expiresIn: Int64), TokenFailure> {
        guard let status = result.status else {
            return .failure(TokenFailure(message: "oauth2 token endpoint unreachable: \(result.error.map { "\($0.kind): \($0.message)" } ?? "no response")"))
        }
        guard (200..<300).contains(status) else {
            return .failure(TokenFailure(message: "oauth2 token endpoint answered HTTP \(status)"))
        }
        guard case .object(let object)? = try? JSONParser.parse(result.body), case .string(let token)? = object["access_token"],
            !token.isEmpty, !token.contains(where: { $0.isWhitespace || $0.isNewline })
        else {
            return .failure(TokenFailure(message: "oauth2 token endpoint's answer has no usable access_token"))
        }
        var expiresIn: Int64 = 300
        if case .number(let number)? = object["expires_in"], number.value.isFinite, number.value > 0 { expiresIn = Int64(number.value) }
        return .success((token, expiresIn))
    }

    /// `application/x-www-form-urlencoded` of one value (RFC 6749 appendix B for the credentials).
    static func formEncoded(_ value: String) -> String {
        URLTemplate.percentEncoded(value).replacingOccurrences(of: "%20", with: "+")
    }
}
