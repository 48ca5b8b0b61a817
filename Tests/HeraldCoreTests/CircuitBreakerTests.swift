import Testing

@testable import HeraldCore

@Suite("circuit breaker")
struct CircuitBreakerTests {
    @Test("opens after N consecutive failures, probes once after the cool-down, closes on success")
    func lifecycle() {
        var breaker = CircuitBreaker(threshold: 3, cooldown: .seconds(30))
        #expect(breaker.failed(now: 0) == nil)
        #expect(breaker.failed(now: 10) == nil)
        #expect(breaker.blockedUntil(now: 10) == nil)
        #expect(breaker.failed(now: 20) == .opened(failures: 3, until: 30_020))
        #expect(breaker.blockedUntil(now: 20) == 30_020)
        #expect(breaker.blockedUntil(now: 30_019) == 30_020)
        #expect(breaker.blockedUntil(now: 30_020) == nil)
        breaker.started(now: 30_020)
        #expect(breaker.state == .halfOpen(probing: true))
        #expect(breaker.blockedUntil(now: 30_021) == .max, "only the probe goes while it is in flight")
        #expect(breaker.succeeded() == .closed)
        #expect(breaker.blockedUntil(now: 30_022) == nil)
        #expect(breaker.state == .closed(consecutiveFailures: 0))
    }

    @Test("a failed probe opens the circuit for another cool-down")
    func failedProbe() {
        var breaker = CircuitBreaker(threshold: 1, cooldown: .seconds(5))
        #expect(breaker.failed(now: 0) == .opened(failures: 1, until: 5_000))
        breaker.started(now: 5_000)
        #expect(breaker.failed(now: 5_100) == .reopened(until: 10_100))
        #expect(breaker.blockedUntil(now: 9_000) == 10_100)
    }

    @Test("a success in between resets the count; failures of requests sent before opening change nothing")
    func resets() {
        var breaker = CircuitBreaker(threshold: 2, cooldown: .seconds(1))
        _ = breaker.failed(now: 0)
        #expect(breaker.succeeded() == nil)
        #expect(breaker.failed(now: 1) == nil)
        #expect(breaker.failed(now: 2) == .opened(failures: 2, until: 1_002))
        #expect(breaker.failed(now: 3) == nil)
        #expect(breaker.blockedUntil(now: 3) == 1_002)
    }

    @Test("threshold 0 never opens")
    func off() {
        var breaker = CircuitBreaker(threshold: 0, cooldown: .seconds(1))
        for time in 0..<100 { #expect(breaker.failed(now: Int64(time)) == nil) }
        #expect(breaker.blockedUntil(now: 100) == nil)
    }
}
