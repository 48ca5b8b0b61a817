/// A per-endpoint rate limit as a token bucket: `rate.count` tokens per `rate.period`, holding
/// at most `burst`. Every attempt (retries included) takes one token. Pure: time is an input in
/// Unix milliseconds. Exact integer arithmetic: one token is `periodMs` units and each
/// millisecond adds `rate.count` units, so no rounding drifts over a long run. Every step
/// saturates instead of overflowing: config check bounds the rate, but a bucket must not trap
/// on any rate or clock it is handed.
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
        // count × 100 / (seconds × 1000), divided first so that no count overflows.
        max(1, rate.count / Int(max(1, Self.periodMs(of: rate) / 100)))
    }

    init(rate: Rate, burst: Int? = nil, now: Int64) {
        self.rate = rate
        self.burst = max(1, burst ?? Self.defaultBurst(for: rate))
        periodMs = Self.periodMs(of: rate)
        units = Self.saturatingProduct(Int64(self.burst), periodMs)
        updatedAt = now
    }

    /// The rate's period in milliseconds, at least 1.
    private static func periodMs(of rate: Rate) -> Int64 {
        let (seconds, attoseconds) = rate.period.components
        let ms = saturatingProduct(max(0, seconds), 1000).addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
        return ms.overflow ? .max : max(1, ms.partialValue)
    }

    private static func saturatingProduct(_ a: Int64, _ b: Int64) -> Int64 {
        let (product, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? .max : product
    }

    private var capacity: Int64 { Self.saturatingProduct(Int64(burst), periodMs) }

    private mutating func refill(now: Int64) {
        guard now > updatedAt else { return }
        let (elapsed, overflow) = now.subtractingReportingOverflow(updatedAt)
        let added = overflow ? Int64.max : Self.saturatingProduct(elapsed, Int64(max(0, rate.count)))
        let (sum, full) = units.addingReportingOverflow(added)
        units = full ? capacity : min(capacity, sum)
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
        let (left, overflow) = units.subtractingReportingOverflow(periodMs)
        units = overflow ? .min : left
    }

    /// When the next whole token will be there (≥ `now`).
    mutating func nextToken(now: Int64) -> Int64 {
        refill(now: now)
        guard units < periodMs else { return now }
        let count = Int64(max(1, rate.count))
        // periodMs - units > 0 here; dividing before rounding up keeps it in range.
        let (difference, tooFar) = periodMs.subtractingReportingOverflow(units)
        let missing = tooFar ? Int64.max : difference
        let wait = missing / count + (missing % count == 0 ? 0 : 1)
        let (next, overflow) = now.addingReportingOverflow(wait)
        return overflow ? .max : next
    }
}
