import HeraldCore
import Testing

@Suite("retry policy")
struct RetryPolicyTests {
    let policy = RetryPolicy(RetryConfig(schedule: [.seconds(5), .seconds(300), .seconds(1800)], maxAge: .seconds(86_400)))

    @Test("2xx is delivered", arguments: [200, 201, 202, 204, 299])
    func success(code: Int) {
        #expect(policy.decide(.status(code, retryAfter: nil), attempts: 1, age: .zero, jitter: 0) == .delivered)
    }

    @Test("network errors, 3xx, 408, 429 and 5xx retry on the schedule", arguments: [
        AttemptResult.transportError("connection refused"), .status(301, retryAfter: nil), .status(302, retryAfter: nil),
        .status(408, retryAfter: nil), .status(429, retryAfter: nil), .status(500, retryAfter: nil), .status(503, retryAfter: nil),
    ])
    func retryable(result: AttemptResult) {
        #expect(policy.decide(result, attempts: 1, age: .zero, jitter: 0) == .retry(after: .seconds(5)))
        #expect(policy.decide(result, attempts: 2, age: .seconds(5), jitter: 0) == .retry(after: .seconds(300)))
        #expect(policy.decide(result, attempts: 3, age: .seconds(305), jitter: 0) == .retry(after: .seconds(1800)))
    }

    @Test("other 4xx are permanent", arguments: [400, 401, 403, 404, 409, 422])
    func permanent(code: Int) {
        #expect(policy.decide(.status(code, retryAfter: nil), attempts: 1, age: .zero, jitter: 0) == .dead(.permanent(status: code)))
    }

    @Test("410 Gone retires the endpoint")
    func gone() {
        #expect(policy.decide(.status(410, retryAfter: nil), attempts: 1, age: .zero, jitter: 0) == .endpointGone)
    }

    @Test("jitter moves a step by at most 20%")
    func jitter() {
        #expect(policy.decide(.status(503, retryAfter: nil), attempts: 2, age: .zero, jitter: 1) == .retry(after: .seconds(360)))
        #expect(policy.decide(.status(503, retryAfter: nil), attempts: 2, age: .zero, jitter: -1) == .retry(after: .seconds(240)))
        #expect(policy.decide(.status(503, retryAfter: nil), attempts: 2, age: .zero, jitter: 7) == .retry(after: .seconds(360)))
    }

    @Test("Retry-After lengthens a step, up to the schedule's largest")
    func retryAfter() {
        #expect(policy.decide(.status(429, retryAfter: .seconds(60)), attempts: 1, age: .zero, jitter: 0) == .retry(after: .seconds(60)))
        #expect(policy.decide(.status(429, retryAfter: .seconds(1)), attempts: 1, age: .zero, jitter: 0) == .retry(after: .seconds(5)))
        #expect(policy.decide(.status(503, retryAfter: .seconds(99_999)), attempts: 1, age: .zero, jitter: 0) == .retry(after: .seconds(1800)))
    }

    @Test("an exhausted schedule dead-letters with the last error")
    func exhausted() {
        #expect(policy.decide(.status(503, retryAfter: nil), attempts: 4, age: .seconds(2105), jitter: 0)
            == .dead(.exhausted(attempts: 4, last: "HTTP 503")))
        let none = RetryPolicy(RetryConfig(schedule: [], maxAge: .seconds(60)))
        #expect(none.decide(.transportError("timeout"), attempts: 1, age: .zero, jitter: 0)
            == .dead(.exhausted(attempts: 1, last: "timeout")))
    }

    @Test("a retry that would land past max_age dead-letters instead")
    func maxAge() {
        #expect(policy.decide(.status(500, retryAfter: nil), attempts: 3, age: .seconds(85_000), jitter: 0)
            == .dead(.maxAge(limit: .seconds(86_400), attempts: 3, last: "HTTP 500")))
    }
}

@Suite("durations")
struct ConfigDurationTests {
    @Test("parse and format round-trip config spellings", arguments: ["500ms", "10s", "5m", "2h", "3d"])
    func roundTrip(text: String) throws {
        #expect(ConfigDuration.format(try #require(ConfigDuration.parse(text))) == text)
    }

    @Test("sums parse; odd values format to a readable unit")
    func oddValues() {
        #expect(ConfigDuration.parse("1h30m") == .seconds(5400))
        #expect(ConfigDuration.parse("10 s") == nil)
        #expect(ConfigDuration.parse("5w") == nil)
        #expect(ConfigDuration.format(.milliseconds(1234)) == "1.2s")
        #expect(ConfigDuration.format(.milliseconds(3_576_916)) == "59m36s")
        #expect(ConfigDuration.format(.seconds(7500)) == "125m")
        #expect(ConfigDuration.format(.milliseconds(7_530_400)) == "2h5m")
    }
}
