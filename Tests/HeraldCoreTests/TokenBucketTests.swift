import Testing

@testable import HeraldCore

@Suite("token bucket")
struct TokenBucketTests {
    /// Drives the bucket the way the dispatcher does: take whenever a token is there, otherwise
    /// jump to the time it says the next one comes.
    func sends(rate: Rate, over milliseconds: Int64, from start: Int64 = 1_000) -> [Int64] {
        var bucket = TokenBucket(rate: rate, now: start)
        var now = start
        var times: [Int64] = []
        while now < start + milliseconds {
            if bucket.available(now: now) {
                bucket.take(now: now)
                times.append(now)
            } else {
                now = bucket.nextToken(now: now)
            }
        }
        return times
    }

    @Test("holds 100/s within 10% over any 5-second window, burst included")
    func holdsTheRate() {
        let times = sends(rate: Rate(count: 100, period: .seconds(1)), over: 20_000)
        #expect(times.count >= 2_000 && times.count <= 2_010)
        for start in stride(from: Int64(1_000), to: 16_000, by: 500) {
            let inWindow = times.filter { $0 >= start && $0 < start + 5_000 }.count
            #expect(inWindow >= 450 && inWindow <= 550, "window at \(start): \(inWindow)")
        }
    }

    @Test("the default burst is a tenth of a second's worth, at least one")
    func burst() {
        #expect(TokenBucket.defaultBurst(for: Rate(count: 100, period: .seconds(1))) == 10)
        #expect(TokenBucket.defaultBurst(for: Rate(count: 5, period: .seconds(1))) == 1)
        #expect(TokenBucket.defaultBurst(for: Rate(count: 600, period: .seconds(60))) == 1)
        var bucket = TokenBucket(rate: Rate(count: 100, period: .seconds(1)), now: 0)
        var burst = 0
        while bucket.available(now: 0) {
            bucket.take(now: 0)
            burst += 1
        }
        #expect(burst == 10)
        #expect(bucket.nextToken(now: 0) == 10)
    }

    @Test("slow rates per minute space requests evenly and never drift")
    func perMinute() {
        let times = sends(rate: Rate(count: 6, period: .seconds(60)), over: 600_000)
        #expect(times.count == 60)
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
        #expect(gaps.allSatisfy { $0 == 10_000 })
    }

    @Test("a quiet spell refills no more than the burst")
    func quietSpell() {
        var bucket = TokenBucket(rate: Rate(count: 50, period: .seconds(1)), now: 0)
        while bucket.available(now: 0) { bucket.take(now: 0) }
        var taken = 0
        while bucket.available(now: 3_600_000) {
            bucket.take(now: 3_600_000)
            taken += 1
        }
        #expect(taken == 5)
    }

    @Test("no rate, burst or clock traps: the largest rates, a clock at its ends and a jump across them", arguments: [
        Rate(count: Rate.maxCount, period: .seconds(1)), Rate(count: Rate.maxCount, period: .seconds(3600)),
        Rate(count: Int.max, period: .seconds(1)), Rate(count: 1, period: .seconds(Int64.max)), Rate(count: 0, period: .zero),
    ])
    func noTrap(rate: Rate) {
        for start in [Int64.min, -1, 0, 1_700_000_000_000, Int64.max] {
            var bucket = TokenBucket(rate: rate, now: start)
            for now in [start, start &+ 1, Int64.max, Int64.min, 0] {
                if bucket.available(now: now) { bucket.take(now: now) }
                #expect(bucket.nextToken(now: now) >= now)
            }
            // Taking without checking (the caller's mistake) saturates rather than wrapping.
            for _ in 0..<3 { bucket.take(now: Int64.max) }
            #expect(bucket.nextToken(now: Int64.max) == Int64.max)
        }
        #expect(TokenBucket(rate: rate, burst: Int.max, now: 0).burst == Int.max)
    }

    @Test("the largest configurable rate still holds within 1%: 1,000,000/s over 2 s")
    func largestRate() {
        let times = sends(rate: Rate(count: Rate.maxCount, period: .seconds(1)), over: 2_000)
        #expect(times.count >= 2_000_000 && times.count <= 2_000_000 + 100_000 + 10_000)
    }
}
