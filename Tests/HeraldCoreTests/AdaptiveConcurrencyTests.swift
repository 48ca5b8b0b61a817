import HeraldJournal
import Testing

@testable import HeraldCore

@Suite("adaptive concurrency")
struct AdaptiveConcurrencyTests {
    @Test("a saturated endpoint that answers well gains one per limit's worth of answers, up to max")
    func additiveIncrease() {
        var limiter = AdaptiveConcurrency(maximum: 4)
        var limits: [Int] = []
        for step in 0..<12 {
            _ = limiter.observe(.answered(rtt: 5), saturated: true, now: Int64(step))
            limits.append(limiter.limit)
        }
        // 1 answer at 1, 2 at 2, 3 at 3, then held at the maximum.
        #expect(limits == [2, 2, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4])
    }

    @Test("an endpoint that never uses its limit gives no reason to raise it")
    func unsaturatedHolds() {
        var limiter = AdaptiveConcurrency(maximum: 64)
        for step in 0..<100 { _ = limiter.observe(.answered(rtt: 5), saturated: false, now: Int64(step)) }
        #expect(limiter.limit == 1)
    }

    @Test("backpressure cuts the limit to nine tenths, once per round trip however many failures it brings")
    func multiplicativeDecrease() {
        var limiter = AdaptiveConcurrency(maximum: 64)
        var now: Int64 = 0
        while limiter.limit < 40 {
            now += 1
            _ = limiter.observe(.answered(rtt: 10), saturated: true, now: now)
        }
        now += 100
        var changed = limiter.observe(.backpressure, saturated: true, now: now)
        #expect(changed)
        #expect(limiter.limit == 36)
        // The other requests of the same overload fail within the round trip: no further cut.
        for _ in 0..<30 {
            changed = limiter.observe(.backpressure, saturated: true, now: now + 5)
            #expect(!changed)
        }
        #expect(limiter.limit == 36)
        changed = limiter.observe(.backpressure, saturated: true, now: now + 11)
        #expect(changed)
        #expect(limiter.limit == 32)
        // Never below one.
        for step in 0..<200 { _ = limiter.observe(.backpressure, saturated: true, now: now + 100 * Int64(step + 1)) }
        #expect(limiter.limit == 1)
    }

    @Test("round trips grown to twice their long-run mean count as backpressure; neutral outcomes change nothing")
    func risingLatency() {
        var limiter = AdaptiveConcurrency(maximum: 64)
        var now: Int64 = 0
        for _ in 0..<200 {
            now += 1
            _ = limiter.observe(.answered(rtt: 10), saturated: true, now: now)
        }
        let settled = limiter.limit
        #expect(settled > 10)
        for _ in 0..<20 {
            let changed = limiter.observe(.neutral, saturated: true, now: now)
            #expect(!changed)
        }
        var cut = false
        for _ in 0..<10 {
            now += 100
            cut = limiter.observe(.answered(rtt: 60), saturated: true, now: now) || cut
        }
        #expect(cut && limiter.limit < settled)
    }

    @Test("property: the limit stays within 1...max under any sequence of outcomes")
    func bounded() {
        var generator = Seeded(SplitMix64(seed: 7))
        for maximum in [1, 2, 5, 64] {
            var limiter = AdaptiveConcurrency(maximum: maximum)
            var now: Int64 = 0
            for _ in 0..<5_000 {
                now += Int64.random(in: 0...20, using: &generator)
                let signal: AdaptiveConcurrency.Signal = switch Int.random(in: 0..<10, using: &generator) {
                case 0: .backpressure
                case 1: .neutral
                default: .answered(rtt: Int64.random(in: 1...200, using: &generator))
                }
                _ = limiter.observe(signal, saturated: Bool.random(using: &generator), now: now)
                #expect((1...maximum).contains(limiter.limit))
            }
        }
    }

    @Test("in the machine: a receiver that answers 429 above 4 concurrent requests holds the limit near 4, and it rises again when that stops")
    func machineFollowsReceiver() {
        var config = endpoint("erp", concurrency: 64, retry: Array(repeating: .milliseconds(10), count: 1_000))
        config.adaptiveConcurrency = true
        var run = MachineHarness([config])
        run.submit((0..<3_000).map { pendingDelivery("d\($0)") })
        var peak = 0
        var limits: [Int] = []
        /// One round: every request in flight is answered 10 ms later; those beyond `capacity` get 429.
        func round(capacity: Int) {
            run.advance(by: 10)
            let answers = run.inFlight.count
            peak = max(peak, answers)
            for index in 0..<answers { run.finish(nil, index < capacity ? ok : AttemptResult.status(429, retryAfter: nil)) }
            run.settleIO()
            limits.append(run.machine.currentStatus.concurrencyLimits["erp"] ?? -1)
        }
        for _ in 0..<200 { round(capacity: 4) }
        let overloaded = limits.suffix(100)
        #expect(overloaded.allSatisfy { $0 <= 6 }, "\(overloaded)")
        #expect(Double(overloaded.reduce(0, +)) / Double(overloaded.count) >= 3, "\(overloaded)")
        for _ in 0..<200 { round(capacity: 1_000) }
        #expect(limits.last! > 12, "\(limits.suffix(10))")
        #expect(limits.allSatisfy { (1...64).contains($0) })
    }
}

/// The machine's generator as a standard one, for `random(in:using:)`.
private struct Seeded: RandomNumberGenerator {
    var base: SplitMix64
    init(_ base: SplitMix64) { self.base = base }
    mutating func next() -> UInt64 { base.next() }
}
