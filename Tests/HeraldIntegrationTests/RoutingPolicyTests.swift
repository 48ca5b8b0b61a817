import Foundation
import HeraldHTTP
import Testing

@Suite("where expressions and endpoint policies through the built binary")
struct RoutingPolicyTests {
    static let filtered = """
        version: 1
        state_dir: ./state
        source: { file: ./events.jsonl }
        endpoints:
          receiver: { url: "URL", retry: { schedule: [100ms], max_age: 1h } }
        routes:
          - name: important
            events: ["order.*"]
            where:
              any:
                - { data.total: { gte: 1000 } }
                - all: [ { data.country: { in: [DE, FR] } }, { not: { data.ref: { matches: "^TEST-" } } } ]
            to: receiver
        """

    @Test("nested any/all/not filters with a regular expression pick exactly the events they describe")
    func nestedFilters() async throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let harness = try SidecarHarness(config: Self.filtered.replacingOccurrences(of: "URL", with: receiver.url))
        try harness.append([
            #"{"type":"order.created","id":"big","data":{"total":5000,"country":"US"}}"#,
            #"{"type":"order.created","id":"de","data":{"total":10,"country":"DE","ref":"A-1"}}"#,
            #"{"type":"order.created","id":"de-test","data":{"total":10,"country":"DE","ref":"TEST-1"}}"#,
            #"{"type":"order.created","id":"us","data":{"total":10,"country":"US"}}"#,
            #"{"type":"order.paid","id":"fr","data":{"country":"FR"}}"#,
            #"{"type":"user.created","id":"other","data":{"total":5000}}"#,
        ])
        try harness.start()
        #expect(await receiver.wait { $0.count >= 3 })
        try await Task.sleep(for: .milliseconds(300))
        let ids = Set(receiver.requests.compactMap { request in
            (try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])?["id"] as? String
        })
        #expect(ids == ["big", "de", "fr"])
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        #expect(harness.log.contains("unrouted=3"), "\(harness.log)")
    }

    @Test("explain says which test of each unmatched route failed and what the event had")
    func explainUnmatched() async throws {
        let harness = try SidecarHarness(config: Self.filtered.replacingOccurrences(of: "URL", with: "http://127.0.0.1:9/hooks"))
        let event = #"{"type":"order.created","id":"x","data":{"total":10,"country":"DE","ref":"TEST-9"}}"#
        let result = try await HeraldProcess.run(["explain", "-c", harness.configPath, event])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("matches no route"))
        #expect(result.stdout.contains("routes not matched:\n  important: where: none of 'any' matched (data.total >= 1000 failed: data.total is 10; 'not' failed: data.ref matches /^TEST-/ matched)"), "\(result.stdout)")
        let other = try await HeraldProcess.run(["explain", "-c", harness.configPath, #"{"type":"user.created"}"#])
        #expect(other.stdout.contains("  important: event type 'user.created' is not one of order.*"), "\(other.stdout)")
    }

    @Test("PUT and DELETE arrive as such; success_on: [409] acks a 409; retry_on: [404] retries a 404")
    func methodsAndOutcomes() async throws {
        let receiver = try Receiver { request, previous in
            if request.target.hasSuffix("/put") { return ServerResponse(status: 409) }
            if request.target.hasSuffix("/delete") { return ServerResponse(status: previous == 0 ? 404 : 204) }
            return ServerResponse(status: 204)
        }
        defer { receiver.stop() }
        let base = receiver.url
        let harness = try SidecarHarness(config: """
            version: 1
            state_dir: ./state
            source: { file: ./events.jsonl }
            endpoints:
              put: { url: "\(base)/put", method: PUT, success_on: [409], retry: { schedule: [100ms], max_age: 1h } }
              delete: { url: "\(base)/delete", method: delete, retry_on: [404], retry: { schedule: [200ms, 200ms], max_age: 1h } }
            routes:
              - { name: all, events: ["*"], to: [put, delete] }
            """)
        try harness.append([#"{"type":"a","id":"1"}"#])
        try harness.start()
        #expect(await receiver.wait { $0.count >= 3 })
        try await Task.sleep(for: .milliseconds(500))
        let requests = receiver.requests
        let puts = requests.filter { $0.target.hasSuffix("/put") }
        let deletes = requests.filter { $0.target.hasSuffix("/delete") }
        #expect(puts.count == 1 && puts.allSatisfy { $0.method == "PUT" })
        #expect(deletes.count == 2 && deletes.allSatisfy { $0.method == "DELETE" })
        #expect(deletes.first?.body == Array(#"{"type":"a","id":"1"}"#.utf8))
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        #expect(harness.log.contains("delivered=2"), "\(harness.log)")
        #expect(harness.log.contains("status=\"HTTP 404\""))
        let dead = try await harness.dead(["list"])
        #expect(!dead.stdout.contains("HTTP 409"), "\(dead.stdout)")
    }

    @Test("a traceparent in the event arrives intact and the delivery log records its trace id")
    func traceparent() async throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        let harness = try SidecarHarness(config: SidecarHarness.config(url: receiver.url, settings: "trace_field: otel"))
        try harness.append([
            #"{"type":"a","id":"1","otel":{"traceparent":"\#(parent)","tracestate":"vendor=abc"}}"#,
            #"{"type":"a","id":"2","otel":"00-bad"}"#,
        ])
        try harness.start()
        #expect(await receiver.wait { $0.count >= 2 })
        let byID = Dictionary(receiver.requests.map { request in
            ((try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])?["id"] as? String ?? "", request)
        }, uniquingKeysWith: { first, _ in first })
        #expect(byID["1"]?.headers.first(named: "traceparent") == parent)
        #expect(byID["1"]?.headers.first(named: "tracestate") == "vendor=abc")
        #expect(byID["2"]?.headers.first(named: "traceparent") == nil)
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        let log = try await HeraldProcess.run(["log", "--json", "-c", harness.configPath], directory: harness.folder)
        #expect(log.stdout.contains(#""trace_id":"4bf92f3577b34da6a3ce929d0e0e4736""#), "\(log.stdout) \(log.stderr)")
    }

    @Test("a templated url arrives with hostile values encoded; a host outside allowed_hosts and addresses in private ranges are refused and dead-lettered")
    func templatedRequests() async throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let port = try #require(URL(string: receiver.url)?.port)
        let harness = try SidecarHarness(config: """
            version: 1
            state_dir: ./state
            source: { file: ./events.jsonl }
            endpoints:
              path:
                url: "http://127.0.0.1:\(port)/t/{{data.tenant}}/orders?ref={{id}}"
                headers: { X-Tenant: "tenant-{{data.tenant}}" }
              guarded:
                url: "http://{{data.host}}:\(port)/guarded"
                allow_insecure: true
                allowed_hosts: ["localhost", "169.254.169.254", "*.example.invalid"]
                retry: { schedule: [100ms], max_age: 1h }
              trusted:
                url: "http://{{data.host}}:\(port)/trusted"
                allow_insecure: true
                allowed_hosts: ["localhost"]
                allow_private: true
            routes:
              - { name: paths, events: [path], to: path }
              - { name: guarded, events: [guarded], to: guarded }
              - { name: trusted, events: [trusted], to: trusted }
            """)
        try harness.append([
            #"{"type":"path","id":"a b/../c","data":{"tenant":"../admin@evil"}}"#,
            #"{"type":"guarded","id":"outside","data":{"host":"evil.example.com"}}"#,
            #"{"type":"guarded","id":"metadata","data":{"host":"169.254.169.254"}}"#,
            #"{"type":"guarded","id":"loopback","data":{"host":"localhost"}}"#,
            #"{"type":"trusted","id":"trusted","data":{"host":"localhost"}}"#,
        ])
        try harness.start()
        #expect(await receiver.wait { $0.count >= 2 })
        var dead = try await harness.dead(["list"])
        for _ in 0..<100 where dead.stdout.components(separatedBy: "refused destination").count < 4 {
            try await Task.sleep(for: .milliseconds(100))
            dead = try await harness.dead(["list"])
        }
        let targets = Set(receiver.requests.map(\.target))
        #expect(targets == ["/t/..%2Fadmin%40evil/orders?ref=a%20b%2F..%2Fc", "/trusted"], "\(targets)")
        #expect(receiver.requests.first { $0.target.hasPrefix("/t/") }?.headers.first(named: "x-tenant") == "tenant-../admin@evil")
        #expect(dead.stdout.contains("host 'evil.example.com' is not in allowed_hosts"), "\(dead.stdout)")
        #expect(dead.stdout.contains("169.254.169.254 is a link-local address"), "\(dead.stdout)")
        // localhost is ::1 or 127.0.0.1, whichever libcurl tries first.
        #expect(dead.stdout.contains("::1 is a loopback address") || dead.stdout.contains("127.0.0.1 is a loopback address"), "\(dead.stdout)")
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        #expect(harness.log.contains("dead=3"), "\(harness.log)")
    }

    @Test("adaptive concurrency falls under a receiver that answers 429 above 4 concurrent requests, and rises again when it stops")
    func adaptiveConcurrency() async throws {
        /// Requests being answered now; the receiver holds each for 20 ms on its own connection thread.
        let active = Locked(0), peakWhileLimited = Locked(0), limiting = Locked(true), served = Locked(0)
        let receiver = try Receiver { _, _ in
            let now = active.withLock { $0 += 1; return $0 }
            defer { active.withLock { $0 -= 1 } }
            let limited = limiting.withLock { $0 }
            if limited, served.withLock({ $0 }) > 300 { peakWhileLimited.withLock { $0 = max($0, now) } }
            usleep(20_000)
            if limited, now > 4 { return ServerResponse(status: 429) }
            served.withLock { $0 += 1 }
            return ServerResponse(status: 204)
        }
        defer { receiver.stop() }
        let admin = try PortReservation()
        defer { admin.release() }
        let harness = try SidecarHarness(config: SidecarHarness.config(url: receiver.url, settings: """
            concurrency: { max: 32, adaptive: true }
            retry: { schedule: [\(Array(repeating: "10ms", count: 40).joined(separator: ", "))], max_age: 1h }
            breaker: { failures: 0 }
            """) + "\nadmin: { listen: \"127.0.0.1:\(admin.port)\" }\n")
        try harness.append((0..<6_000).map { #"{"type":"a","id":"e-\#($0)"}"# })
        try harness.start()
        #expect(await waitUntil(timeout: .seconds(120)) { served.withLock { $0 } >= 600 })
        let metrics = try AdminMetrics(port: admin.port)
        let limited = try await metrics.fetch().value("herald_endpoint_concurrency_limit", ["endpoint": "receiver"])
        #expect(limited.map { $0 <= 6 } == true, "limit while the receiver allows 4: \(String(describing: limited))")
        // Once the limit has found the receiver's capacity, it stays near it (a probe above it is answered 429).
        #expect(peakWhileLimited.withLock { $0 } <= 8, "peak concurrency while limited: \(peakWhileLimited.withLock { $0 })")
        limiting.withLock { $0 = false }
        let risen = try await metrics.value("herald_endpoint_concurrency_limit", ["endpoint": "receiver"], atLeast: 10, timeout: .seconds(120))
        #expect(risen != nil, "the limit rose again once the receiver stopped refusing")
        let client = try HTTPClient()
        defer { client.shutdown() }
        let ready = await client.send(HTTPRequest(method: "GET", url: "http://127.0.0.1:\(admin.port)/readyz", timeout: .seconds(30)))
        #expect(String(decoding: ready.body, as: UTF8.self).contains(#""concurrency_limits":{"receiver":"#))
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
    }

    @Test("OAuth2 against a loopback token server that expires tokens every 2 s and a receiver that answers 401 once: every request carries an issued token, one fetch per expiry")
    func oauth2() async throws {
        /// Token -> when it was issued; fetches counted; the credentials each fetch presented.
        let issued = Locked<[String: ContinuousClock.Instant]>([:]), fetches = Locked(0), badFetches = Locked(0)
        let tokenServer = try HTTPServer { request in
            let n = fetches.withLock { $0 += 1; return $0 }
            let body = String(decoding: request.body, as: UTF8.self)
            let authorization = request.headers.first(named: "authorization") ?? ""
            if !body.hasPrefix("grant_type=client_credentials") || !body.contains("scope=hooks%3Awrite") { badFetches.withLock { $0 += 1 } }
            let decoded = Data(base64Encoded: String(authorization.dropFirst("Basic ".count))).map { String(decoding: $0, as: UTF8.self) }
            if decoded != "herald-client:s3cret%2B%2Fvalue" { badFetches.withLock { $0 += 1 } }
            let token = "tok-\(n)-\(UUID().uuidString.prefix(8))"
            issued.withLock { $0[token] = .now }
            return ServerResponse(status: 200, headers: [HTTPHeader("Content-Type", "application/json")],
                                  body: Array(#"{"access_token":"\#(token)","token_type":"Bearer","expires_in":2}"#.utf8))
        }
        defer { tokenServer.stop() }
        /// Requests that came with no token or one never issued; expired ones; the one 401 given to a valid token.
        let unknown = Locked(0), expired = Locked(0), revoked = Locked(false)
        let receiver = try Receiver { request, _ in
            guard let header = request.headers.first(named: "authorization"), header.hasPrefix("Bearer "),
                let at = issued.withLock({ $0[String(header.dropFirst("Bearer ".count))] })
            else {
                unknown.withLock { $0 += 1 }
                return ServerResponse(status: 401)
            }
            if ContinuousClock.now - at > .seconds(2) {
                expired.withLock { $0 += 1 }
                return ServerResponse(status: 401)
            }
            let first = revoked.withLock { wasRevoked -> Bool in
                defer { wasRevoked = true }
                return !wasRevoked
            }
            if first { return ServerResponse(status: 401) }
            return ServerResponse(status: 204)
        }
        defer { receiver.stop() }
        let harness = try SidecarHarness(config: SidecarHarness.config(url: receiver.url, settings: """
            retry: { schedule: [50ms, 50ms, 50ms, 50ms, 50ms], max_age: 1h }
            oauth2:
              token_url: "\(tokenServer.baseURL)/token"
              client_id: herald-client
              client_secret: "s3cret+/value"
              scope: "hooks:write"
            """))
        try harness.start()
        let began = ContinuousClock.now
        for batch in 0..<25 {
            try harness.append((0..<8).map { #"{"type":"a","id":"e-\#(batch)-\#($0)"}"# })
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(await receiver.wait(timeout: .seconds(120)) { Set($0.map(\.id)).count >= 200 })
        let elapsed = ContinuousClock.now - began
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        #expect(unknown.withLock { $0 } == 0, "requests without an issued token reached the receiver")
        #expect(badFetches.withLock { $0 } == 0, "a token request without the client's credentials, grant type or scope")
        let count = fetches.withLock { $0 }
        let expiries = Int((Double(elapsed.components.seconds) + 0.5) / 1.8) + 1
        // One per expiry, plus the one the 401 caused; a loaded machine may see an expired token
        // refused at arrival, and each such refusal is one more fetch at most.
        #expect(count >= 2 && count <= expiries + 2 + expired.withLock { $0 }, "\(count) fetches in \(elapsed)")
        #expect(!harness.log.contains("tok-"), "the token is redacted in the log")
        let log = try await HeraldProcess.run(["log", "--json", "-c", harness.configPath], directory: harness.folder)
        #expect(!log.stdout.contains("tok-"))
        let explained = try await HeraldProcess.run(["explain", "-c", harness.configPath, #"{"type":"a","id":"x"}"#])
        #expect(explained.stdout.contains("  Authorization: Bearer [a token from \(tokenServer.baseURL)/token, fetched when the request is sent]"), "\(explained.stdout)")
    }
}
