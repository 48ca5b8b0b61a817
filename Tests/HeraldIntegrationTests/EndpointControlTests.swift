import Foundation
import HeraldHTTP
import Testing

@Suite("rate limits and circuit breakers")
struct EndpointControlTests {
    @Test("rate_limit: 40/s holds within 10% over 5 seconds, with a backlog waiting")
    func rateLimit() async throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let config = SidecarHarness.config(url: receiver.url).replacingOccurrences(of: "concurrency: 8", with: "concurrency: 8\n    rate_limit: 40/s")
        let harness = try SidecarHarness(config: config)
        try harness.append((0..<400).map { #"{"type":"tick","id":"t-\#($0)"}"# })
        try harness.start()
        #expect(await receiver.wait { $0.count >= 10 })
        try await Task.sleep(for: .seconds(6))
        let times = receiver.requests.map(\.receivedAt)
        let start = try #require(times.first)
        let inWindow = times.filter { $0 >= start && $0 < start + .seconds(5) }.count
        // 5 s × 40/s = 200, plus the burst of 4 at the start.
        #expect(inWindow >= 180 && inWindow <= 220, "\(inWindow) requests in 5 s")
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
    }

    /// Sixty 50 ms steps: the failing endpoint is probed once a cool-down while the test sleeps, and each probe uses
    /// a step, so a short schedule could run out (dead-lettering a probe) on a machine slow enough to stretch the sleep.
    static let manyShortRetries = "[50ms" + String(repeating: ", 50ms", count: 59) + "]"

    @Test("the breaker opens after consecutive failures, probes after the cool-down, and closes when the endpoint answers")
    func breaker() async throws {
        let healthy = Locked(false)
        let receiver = try Receiver { _, _ in ServerResponse(status: healthy.withLock { $0 } ? 204 : 503) }
        defer { receiver.stop() }
        let other = try Receiver()
        defer { other.stop() }
        let config = """
            version: 1
            state_dir: ./state
            source: { file: ./events.jsonl }
            defaults:
              retry: { schedule: \(Self.manyShortRetries), max_age: 1h }
              breaker: { failures: 3, cooldown: 1s }
            endpoints:
              flaky: { url: "\(receiver.url)", concurrency: 1 }
              steady: { url: "\(other.url)" }
            routes:
              - { name: all, events: ["*"], to: [flaky, steady] }
            """
        let harness = try SidecarHarness(config: config)
        try harness.append((0..<5).map { #"{"type":"x","id":"b-\#($0)"}"# })
        try harness.start()
        #expect(await receiver.wait { $0.count >= 3 })
        // The other endpoint is not held back by the failing one.
        #expect(await other.wait { $0.count == 5 })
        try await Task.sleep(for: .milliseconds(2_600))
        let whileFailing = receiver.requests.map(\.receivedAt)
        // 3 failures open the circuit; then one probe per cool-down, not a retry every 50 ms.
        let open = ContinuousClock.now - whileFailing[2]
        let probes = whileFailing.count - 3
        #expect(probes >= 1 && Double(probes) <= open / .seconds(1) + 1, "\(probes) probes in \(open)")
        for (earlier, later) in zip(whileFailing.dropFirst(2), whileFailing.dropFirst(3)) {
            #expect(later - earlier >= .milliseconds(900), "probes are a cool-down apart")
        }
        #expect(harness.logCount("circuit opened: endpoint keeps failing; pausing it, then probing with one request") == 1)
        #expect(harness.logCount("circuit probe failed; endpoint stays paused") >= 1)
        healthy.withLock { $0 = true }
        #expect(await receiver.wait { requests in Set(requests.suffix(5).map(\.id)).count == 5 && requests.count >= whileFailing.count + 5 })
        #expect(await waitUntil { harness.logCount("circuit closed: endpoint answers again; sending resumes") == 1 })
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        #expect(harness.log.contains("delivered=10"))
    }
}
