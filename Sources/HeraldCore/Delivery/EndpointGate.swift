/// Whether an endpoint may start another request now: its circuit breaker and its rate limit
/// together (the delivery queue separately bounds requests in flight). Pure: time is an input.
struct EndpointGate: Sendable, Equatable {
    private(set) var breaker: CircuitBreaker
    private(set) var bucket: TokenBucket?

    init(endpoint: EndpointConfig, now: Int64) {
        breaker = CircuitBreaker(threshold: endpoint.breaker.failures, cooldown: endpoint.breaker.cooldown)
        bucket = endpoint.rateLimit.map { TokenBucket(rate: $0, now: now) }
    }

    /// The gate under a new config: state carries over where the setting did not change.
    func reconfigured(for endpoint: EndpointConfig, now: Int64) -> EndpointGate {
        var next = EndpointGate(endpoint: endpoint, now: now)
        if next.breaker.threshold == breaker.threshold, next.breaker.cooldownMs == breaker.cooldownMs { next.breaker = breaker }
        if let bucket, next.bucket?.rate == bucket.rate { next.bucket = bucket }
        return next
    }

    /// nil when a request may start at `now`, otherwise the earliest time to ask again
    /// (`Int64.max`: when a probe in flight reports).
    mutating func blockedUntil(now: Int64) -> Int64? {
        if let until = breaker.blockedUntil(now: now) { return until }
        guard var bucket else { return nil }
        defer { self.bucket = bucket }
        return bucket.available(now: now) ? nil : bucket.nextToken(now: now)
    }

    /// A request starts: takes a token, and past a cool-down makes it the breaker's probe.
    mutating func started(now: Int64) {
        breaker.started(now: now)
        bucket?.take(now: now)
    }

    mutating func succeeded() -> CircuitBreaker.Transition? { breaker.succeeded() }

    mutating func failed(now: Int64) -> CircuitBreaker.Transition? { breaker.failed(now: now) }
}
