/// A per-endpoint rate limit as a token bucket: `rate.count` tokens per `rate.period`, holding
/// at most `burst`. Every attempt (retries included) takes one token. Pure: time is an input in
/// Unix milliseconds. Exact integer arithmetic: one token is `periodMs` units and each
/// millisecond adds `rate.count` units, so no rounding drifts over a long run.
struct TokenBucket: Sendable, Equatable {
    let rate: Rate
    /// Most tokens held at once: what may go out back to back after a quiet spell.
    let burst: Int
    private let periodMs: Int64
    private var units: Int64
    private var updatedAt: Int64

    /// A tenth of a second's worth of the rate, at least 1: small enough that any 5-second window
    /// stays within 10% of the rate, large enough to absorb timer granularity.
    static func defaultBurst(for rate: Rate) -> Int {
        max(1, Int(Int64(rate.count) * 100 / (rate.period.components.seconds * 1000)))
    }

    init(rate: Rate, burst: Int? = nil, now: Int64) {
        self.rate = rate
        self.burst = max(1, burst ?? Self.defaultBurst(for: rate))
        periodMs = rate.period.components.seconds * 1000
        units = Int64(self.burst) * periodMs
        updatedAt = now
    }

    private mutating func refill(now: Int64) {
        guard now > updatedAt else { return }
        units = min(Int64(burst) * periodMs, units + (now - updatedAt) * Int64(rate.count))
        updatedAt = now
    }

    /// Whether a token is there at `now`.
    mutating func available(now: Int64) -> Bool {
        refill(now: now)
        return units >= periodMs
    }

    /// Takes a token; the caller checked `available(now:)`.
    mutating func take(now: Int64) {
        refill(now: now)
        units -= periodMs
    }

    /// When the next whole token will be there (≥ `now`).
    mutating func nextToken(now: Int64) -> Int64 {
        refill(now: now)
        guard units < periodMs else { return now }
        let count = Int64(rate.count)
        return now + (periodMs - units + count - 1) / count
    }
}
