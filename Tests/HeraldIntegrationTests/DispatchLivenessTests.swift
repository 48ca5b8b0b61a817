import Foundation
import HeraldHTTP
import Testing

@testable import HeraldCore

@Suite("the dispatcher never stalls, and keeps per-key order", .serialized)
struct DispatchLivenessTests {
    @Test("a backlog behind an open circuit is delivered after the cool-down with no new line, signal or restart")
    func openCircuitWithQuietSource() async throws {
        let reserved = try PortReservation()
        let config = SidecarHarness.config(url: "http://127.0.0.1:\(reserved.port)/hooks", settings: """
            breaker: { failures: 3, cooldown: 2s }
            retry: { schedule: [1s, 2s, 4s\(String(repeating: ", 4s", count: 100))], max_age: 1h }
            """)
        let harness = try SidecarHarness(config: config)
        try harness.append([#"{"type":"t","id":"q-1"}"#, #"{"type":"t","id":"q-2"}"#])
        try harness.start()
        #expect(await waitUntil { harness.log.contains("circuit opened") })
        // The receiver comes up; from here on nothing is appended and no signal is sent.
        let receiver = try Receiver(port: reserved.port)
        defer { receiver.stop() }
        reserved.release()
        let back = ContinuousClock.now
        // Cool-down (2 s) + one schedule step (4 s) on an idle machine; the bound leaves room for a slow one.
        #expect(await receiver.wait(timeout: .seconds(60)) { Set($0.map(\.id)).count == 2 })
        let took = ContinuousClock.now - back
        #expect(took < .seconds(60), "delivered \(took) after the receiver came back")
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        #expect(harness.log.contains("circuit closed"))
    }

    @Test("retries that all fall due during the cool-down are sent once the circuit lets a probe through")
    func retriesDueDuringCooldown() async throws {
        // 503 for the first 1.5 s after the first request, then 204.
        let firstRequest = Locked<ContinuousClock.Instant?>(nil)
        let delivered = Locked<Set<String>>([])
        let receiver = try Receiver { request, _ in
            let now = ContinuousClock.now
            let first = firstRequest.withLock { first in
                if first == nil { first = now }
                return first!
            }
            guard now - first >= .milliseconds(1500) else { return ServerResponse(status: 503) }
            delivered.withLock { _ = $0.insert(request.headers.first(named: "webhook-id") ?? "") }
            return ServerResponse(status: 204)
        }
        defer { receiver.stop() }
        let config = SidecarHarness.config(url: receiver.url, settings: """
            breaker: { failures: 3, cooldown: 2s }
            retry: { schedule: [100ms\(String(repeating: ", 100ms", count: 49))], max_age: 1h }
            """)
        let harness = try SidecarHarness(config: config)
        try harness.append((1...3).map { #"{"type":"t","id":"c-\#($0)"}"# })
        try harness.start()
        #expect(await waitUntil { harness.log.contains("circuit opened") })
        #expect(await waitUntil(timeout: .seconds(60)) { harness.log.contains("circuit closed") })
        #expect(await waitUntil(timeout: .seconds(60)) { delivered.withLock { $0.count } == 3 })
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        #expect(harness.log.contains("delivered=3"), "every delivery arrives once the receiver answers")
    }

    @Test("10 keys × 1,000 events with random 503s: at the receiver, each key's deliveries arrive exactly in read order")
    func perKeyOrder() async throws {
        let keys = 10, perKey = 1_000
        struct Seen: Sendable { var key: Int; var seq: Int; var accepted: Bool }
        let seen = Locked<[Seen]>([])
        let random = Locked(SplitMix64(seed: 20_261_202))
        let receiver = try Receiver { request, _ in
            let body = String(decoding: request.body, as: UTF8.self)
            // "id":"k3-17" → key 3, sequence 17.
            guard let range = body.range(of: #""id":"k"#) else { return ServerResponse(status: 400) }
            let digits = body[range.upperBound...].prefix { $0 != "\"" }.split(separator: "-")
            let accepted = random.withLock { $0.next() % 10 != 0 }
            seen.withLock { $0.append(Seen(key: Int(digits[0])!, seq: Int(digits[1])!, accepted: accepted)) }
            return ServerResponse(status: accepted ? 204 : 503)
        }
        defer { receiver.stop() }
        let config = SidecarHarness.config(url: receiver.url, settings: """
            concurrency: 16
            ordering: { key: data.key }
            breaker: { failures: 0 }
            retry: { schedule: [20ms\(String(repeating: ", 20ms", count: 200))], max_age: 1h }
            """)
        let harness = try SidecarHarness(config: config)
        // Interleaved: k0-0, k1-0, …, k9-0, k0-1, …
        var lines: [String] = []
        for seq in 0..<perKey {
            for key in 0..<keys { lines.append(#"{"type":"t","id":"k\#(key)-\#(seq)","data":{"key":"k\#(key)"}}"#) }
        }
        try harness.append(lines)
        try harness.start()
        #expect(await waitUntil(timeout: .seconds(180)) { seen.withLock { $0.filter(\.accepted).count } >= keys * perKey })
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        let log = seen.withLock { $0 }
        for key in 0..<keys {
            let attempts = log.filter { $0.key == key }
            #expect(attempts.filter(\.accepted).map(\.seq) == Array(0..<perKey), "key \(key): accepted out of order")
            // Stronger: no attempt of a later event before the earlier one was accepted.
            var acceptedUpTo = -1
            for attempt in attempts {
                #expect(attempt.seq <= acceptedUpTo + 1, "key \(key): \(attempt.seq) sent before \(acceptedUpTo + 1) was delivered")
                if attempt.accepted { acceptedUpTo = max(acceptedUpTo, attempt.seq) }
            }
        }
        #expect(log.contains { !$0.accepted }, "the receiver did answer some requests 503")
    }
}
