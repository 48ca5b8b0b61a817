import Foundation
import HeraldCore
import HeraldHTTP
import Testing

@Suite("batched deliveries through the built binary")
struct BatchDeliveryTests {
    static let whsec = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    /// `maxWait` long enough that every batch fills by count: under load the source may be
    /// journaled a piece at a time, and a short wait would close a batch early.
    static func config(_ url: String, format: String = "json_array", maxWait: String = "200ms") -> String {
        SidecarHarness.config(url: url, settings: """
            retry: { schedule: [300ms, 300ms, 300ms], max_age: 1h }
            batch: { max_events: 100, max_wait: \(maxWait), format: \(format) }
            signing: { scheme: standard-webhooks, secret: \(whsec) }
            """)
    }

    /// The event ids in a batch body (a JSON array, or NDJSON).
    static func ids(_ body: [UInt8]) -> [String] {
        let text = String(decoding: body, as: UTF8.self)
        let objects: [Any] = text.hasPrefix("[")
            ? ((try? JSONSerialization.jsonObject(with: Data(body))) as? [Any] ?? [])
            : text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) }
        return objects.compactMap { ($0 as? [String: Any])?["id"] as? String }
    }

    @Test("batches of 100, signed over the batch body; a 503 retries the batch whole, under the same webhook-id")
    func batchesSignedAndRetriedWhole() async throws {
        let first = Locked(true)
        let flaky = try Receiver { _, _ in
            first.withLock { wasFirst in
                defer { wasFirst = false }
                return ServerResponse(status: wasFirst ? 503 : 204)
            }
        }
        defer { flaky.stop() }
        let harness = try SidecarHarness(config: Self.config(flaky.url, maxWait: "60s"))
        try harness.append((0..<300).map { #"{"type":"a","id":"e-\#($0)"}"# })
        try harness.start()
        // Three batches, and the first (answered 503) once more.
        #expect(await flaky.wait { $0.count >= 4 })
        try await Task.sleep(for: .milliseconds(300))
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        let requests = flaky.requests
        #expect(requests.allSatisfy { Self.ids($0.body).count <= 100 })
        #expect(requests.map { Self.ids($0.body).count } == [100, 100, 100, 100], "\(requests.map { "\($0.id):\(Self.ids($0.body).count):\(Self.ids($0.body).first ?? "")" })")
        // The 503 was the first request: the same members, body and webhook-id went again.
        let again = try #require(requests.dropFirst().first { $0.id == requests[0].id })
        #expect(again.body == requests[0].body)
        for request in requests {
            #expect(request.headers.first(named: "content-type") == "application/json")
            let timestamp = try #require(Int64(request.headers.first(named: "webhook-timestamp") ?? ""))
            #expect(SignatureVerifier.verify(headers: request.headers, body: request.body, secret: Self.whsec, now: timestamp) == .valid)
        }
        let members = requests.flatMap { Self.ids($0.body) }
        #expect(Set(members).count == 300)
        #expect(members.count == 400, "300 members, and the first batch of 100 twice")
        #expect(harness.log.contains("delivered=300"), "\(harness.log)")
    }

    @Test("kill -9 while a batch is in flight loses nothing: after a restart every event arrives, repeats only from that batch")
    func killMidBatch() async throws {
        let stall = Locked(true)
        let receiver = try Receiver { _, _ in
            stall.withLock { $0 } ? ServerResponse(status: 204, delay: .seconds(30)) : ServerResponse(status: 204)
        }
        defer { receiver.stop() }
        let harness = try SidecarHarness(config: Self.config(receiver.url, format: "ndjson"))
        try harness.append((0..<150).map { #"{"type":"a","id":"k-\#($0)"}"# })
        try harness.start()
        #expect(await receiver.wait { $0.count >= 1 })
        harness.signal(SIGKILL)
        _ = await harness.waitForExit()
        let killedAt = ContinuousClock.now
        let inFlightAtKill = receiver.requests
        stall.withLock { $0 = false }
        try harness.start()
        #expect(await receiver.wait { requests in Set(requests.flatMap { Self.ids($0.body) }).count >= 150 })
        try await Task.sleep(for: .milliseconds(300))
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        let first = Set(inFlightAtKill.flatMap { Self.ids($0.body) })
        let later = receiver.requests.filter { $0.receivedAt > killedAt }.flatMap { Self.ids($0.body) }
        #expect(Set(later) == Set((0..<150).map { "k-\($0)" }), "everything arrives after the restart")
        let repeated = Dictionary(grouping: later, by: { $0 }).filter { $0.value.count > 1 }
        #expect(repeated.isEmpty, "no member twice after the restart: \(repeated.keys.sorted().prefix(5))")
        #expect(first.isSubset(of: Set(later)))
        #expect(receiver.requests.allSatisfy { $0.headers.first(named: "content-type") == "application/x-ndjson" })
    }
}
