import Foundation
import HeraldHTTP
import Testing

@testable import HeraldCore

@Suite("OAuth2 tokens")
struct TokenCacheTests {
    @Test("one fetch at a time, shared; refreshed a tenth of its lifetime before it expires")
    func sharedAndRefreshed() {
        var cache = TokenCache()
        do {
            let answer = cache.request(now: 0)
            #expect(answer == .fetch)
        }
        do {
            let answer = cache.request(now: 1)
            #expect(answer == .wait)
        }
        do {
            let answer = cache.request(now: 2)
            #expect(answer == .wait)
        }
        cache.fetched("t1", expiresIn: 100, now: 10)
        do {
            let answer = cache.request(now: 11)
            #expect(answer == .use("t1"))
        }
        do {
            let answer = cache.request(now: 10 + 89_999)
            #expect(answer == .use("t1"))
        }
        do {
            let answer = cache.request(now: 10 + 90_000)
            #expect(answer == .fetch, "refreshed at 90% of its lifetime")
        }
        cache.fetched("t2", expiresIn: 3_600, now: 90_100)
        do {
            let answer = cache.request(now: 90_100 + 3_540_000 - 1)
            #expect(answer == .use("t2"), "a long-lived token is refreshed a minute before it ends")
        }
        do {
            let answer = cache.request(now: 90_100 + 3_540_000)
            #expect(answer == .fetch)
        }
    }

    @Test("a failed fetch fails the waiting requests and is not tried again for a second")
    func failureHolds() {
        var cache = TokenCache()
        do {
            let answer = cache.request(now: 0)
            #expect(answer == .fetch)
        }
        cache.fetchFailed("oauth2 token endpoint answered HTTP 500", now: 5)
        do {
            let answer = cache.request(now: 6)
            #expect(answer == .fail("oauth2 token endpoint answered HTTP 500"))
        }
        do {
            let answer = cache.request(now: 1_004)
            #expect(answer == .fail("oauth2 token endpoint answered HTTP 500"))
        }
        do {
            let answer = cache.request(now: 1_005)
            #expect(answer == .fetch)
        }
        cache.fetched("t1", expiresIn: 60, now: 1_010)
        do {
            let answer = cache.request(now: 1_011)
            #expect(answer == .use("t1"))
        }
    }

    @Test("a 401 drops the token once; the token fetched after it is not dropped for a 401 again")
    func unauthorizedOnce() {
        var cache = TokenCache()
        _ = cache.request(now: 0)
        cache.fetched("t1", expiresIn: 60, now: 0)
        do {
            let answer = cache.unauthorized("t1")
            #expect(answer)
        }
        do {
            let answer = cache.request(now: 1)
            #expect(answer == .fetch)
        }
        cache.fetched("t2", expiresIn: 60, now: 2)
        do {
            let answer = cache.unauthorized("t2")
            #expect(!answer, "the receiver refuses a fresh token too: its 401 is read as usual")
        }
        do {
            let answer = cache.request(now: 3)
            #expect(answer == .use("t2"))
        }
        do {
            let answer = cache.unauthorized("t1")
            #expect(answer, "a 401 to an older token: go again with the current one")
        }
        _ = cache.request(now: 60_000)
        cache.fetched("t3", expiresIn: 60, now: 60_000)
        do {
            let answer = cache.unauthorized("t3")
            #expect(answer, "a token fetched on schedule may be dropped for a 401 again")
        }
    }

    @Test("the token endpoint's answer", arguments: [
        (200, #"{"access_token":"abc.def","token_type":"Bearer","expires_in":3600}"#, "abc.def/3600"),
        (200, #"{"access_token":"abc","expires_in":"soon"}"#, "abc/300"),
        (200, #"{"token_type":"Bearer"}"#, "no usable access_token"),
        (200, #"{"access_token":"a b"}"#, "no usable access_token"),
        (200, "not json", "no usable access_token"),
        (401, #"{"error":"invalid_client"}"#, "answered HTTP 401"),
    ])
    func parse(status: Int, body: String, expected: String) {
        let result = HTTPResult(status: status, headers: [], body: Array(body.utf8), bodyTruncated: false, error: nil, duration: .zero,
                                httpVersion: "1.1", connectionReused: false)
        switch TokenSource.parse(result) {
        case .success(let (token, expiresIn)): #expect("\(token)/\(expiresIn)" == expected)
        case .failure(let failure): #expect(failure.message.contains(expected), "\(failure.message)")
        }
    }

    @Test("oauth2 settings that cannot work are refused at load", arguments: [
        ("{ token_url: \"http://auth.example.com/token\", client_id: c, client_secret: s }", "'oauth2.token_url' must be https://"),
        ("{ token_url: \"https://auth.example.com/token\", client_id: c }", "'oauth2' needs 'client_secret' or 'client_secret_file'"),
        ("{ token_url: \"https://auth.example.com/token\", client_secret: s }", "missing required key 'client_id'"),
    ])
    func refused(settings: String, message: String) {
        let text = "version: 1\nsource: { file: ./e.jsonl }\nendpoints:\n  e: { url: https://e.example.com, oauth2: \(settings) }\nroutes:\n  - { name: r, events: [\"*\"], to: e }\n"
        guard case .failure(let failure) = ConfigLoader.load(text: text, path: "o.yaml", environment: [:]) else {
            Issue.record("accepted: \(settings)")
            return
        }
        #expect("\(failure)".contains(message), "\(failure)")
    }

    @Test("oauth2 and another Authorization are refused together; the client secret is redacted")
    func conflictsAndSecrets() throws {
        let both = "version: 1\nsource: { file: ./e.jsonl }\nendpoints:\n  e: { url: https://e.example.com, bearer_token: abcdef, oauth2: { token_url: \"https://a.example.com/t\", client_id: c, client_secret: s3cr3t-value } }\nroutes:\n  - { name: r, events: [\"*\"], to: e }\n"
        guard case .failure(let failure) = ConfigLoader.load(text: both, path: "o.yaml", environment: [:]) else {
            Issue.record("accepted oauth2 with bearer_token")
            return
        }
        #expect("\(failure)".contains("'oauth2' sets the Authorization header"), "\(failure)")
        let good = both.replacingOccurrences(of: "bearer_token: abcdef, ", with: "")
        let config = try ConfigLoader.load(text: good, path: "o.yaml", environment: [:]).get()
        #expect(config.secrets.contains("s3cr3t-value"))
        #expect(config.endpoints[0].oauth2?.clientID == "c")
    }
}
