import Foundation
import HeraldCore
import HeraldHTTP
import Testing

/// Issue 13 part 4 against the binary: Herald's own events, routed like any others.
@Suite("Herald's own events")
struct OwnEventsTests {
    @Test("a circuit opening, a 410 and dead letters become herald.* events delivered to another endpoint; the pager's own failures make none")
    func ownEvents() async throws {
        // /ops receives Herald's events; /gone answers 410; /bad answers 400 (dead letters); /pager-down always 500s.
        let receiver = try Receiver { request, _ in
            switch request.target {
            case "/gone": ServerResponse(status: 410)
            case "/bad": ServerResponse(status: 400)
            case "/pager": ServerResponse(status: 400)
            default: ServerResponse(status: 204)
            }
        }
        defer { receiver.stop() }
        let down = try PortReservation()
        defer { down.release() }
        let base = receiver.url.replacingOccurrences(of: "/hooks", with: "")
        let config = """
            version: 1
            state_dir: ./state
            shutdown_grace: 3s
            source:
              - { name: app, file: ./events.jsonl }
              - { name: herald, herald: true }
            endpoints:
              down: { url: "http://127.0.0.1:\(down.port)/x", retry: { schedule: [100ms], max_age: 1h }, breaker: { failures: 2, cooldown: 1h } }
              gone: { url: "\(base)/gone" }
              bad: { url: "\(base)/bad" }
              ops: { url: "\(base)/ops" }
              pager: { url: "\(base)/pager" }
            routes:
              - { name: to-down, events: ["down.*"], to: down }
              - { name: to-gone, events: ["gone.*"], to: gone }
              - { name: to-bad, events: ["bad.*"], to: bad }
              - { name: ops, events: ["herald.*"], to: [ops, pager], where: { $source: herald } }
            """
        let harness = try SidecarHarness(config: config)
        try harness.append([
            #"{"type":"down.x","id":"d-1"}"#, #"{"type":"gone.x","id":"g-1"}"#, #"{"type":"bad.x","id":"b-1"}"#,
        ])
        try harness.start()
        func types() -> [String] {
            receiver.requests.filter { $0.target == "/ops" }.compactMap { request in
                (try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])?["type"] as? String
            }
        }
        let expected: Set = ["herald.endpoint.circuit_opened", "herald.endpoint.disabled", "herald.delivery.dead_lettered"]
        #expect(await waitUntil { Set(types()).isSuperset(of: expected) }, "\(types())\n\(harness.log.suffix(3000))")
        // The dead letters of the 410 and the 400, each its own event; the pager's 400s on Herald's
        // own events are dead-lettered too, but make no event.
        try await Task.sleep(for: .seconds(1))
        let bodies = receiver.requests.filter { $0.target == "/ops" }.map { String(decoding: $0.body, as: UTF8.self) }
        let dead = bodies.filter { $0.contains("herald.delivery.dead_lettered") }
        #expect(dead.contains { $0.contains(#""endpoint":"bad""#) && $0.contains(#""event_ids":["b-1"]"#) }, "\(dead)")
        #expect(!dead.contains { $0.contains(#""endpoint":"pager""#) }, "no event about Herald's own events: \(dead)")
        let opened = try #require(bodies.first { $0.contains("herald.endpoint.circuit_opened") })
        #expect(opened.contains(#""endpoint":"down""#) && opened.contains(#""id":"herald:"#), "\(opened)")
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
    }

    @Test("beside an HTTP source alone, Herald's own events go on until shutdown")
    func besideHTTPOnly() async throws {
        let receiver = try Receiver { request, _ in ServerResponse(status: request.target == "/bad" ? 400 : 204) }
        defer { receiver.stop() }
        let port = try PortReservation()
        let base = receiver.url.replacingOccurrences(of: "/hooks", with: "")
        let harness = try SidecarHarness(config: """
            version: 1
            state_dir: ./state
            shutdown_grace: 3s
            source:
              - { name: api, http: { listen: "127.0.0.1:\(port.port)" } }
              - { name: herald, herald: true }
            endpoints:
              bad: { url: "\(base)/bad" }
              ops: { url: "\(base)/ops" }
            routes:
              - { name: to-bad, events: ["bad.*"], to: bad }
              - { name: ops, events: ["herald.*"], to: ops }
            """)
        port.release()
        try harness.start()
        #expect(await waitUntil { harness.log.contains("http source listening") })
        let client = try HTTPClient()
        defer { client.shutdown() }
        let posted = await client.send(HTTPRequest(method: "POST", url: "http://127.0.0.1:\(port.port)/events",
                                                   headers: [HTTPHeader("Content-Type", "application/json")],
                                                   body: Array(#"{"type":"bad.x","id":"b-1"}"#.utf8), timeout: .seconds(30)))
        #expect(posted.status == 202)
        #expect(await receiver.wait { $0.contains { $0.target == "/ops" && String(decoding: $0.body, as: UTF8.self).contains("herald.delivery.dead_lettered") } })
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
    }
    @Test("disable_after: an endpoint failing that long is paused, says so in a herald.endpoint.disabled event, and its failing-since survives a restart")
    func disableAfter() async throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let down = try PortReservation()
        defer { down.release() }
        let base = receiver.url.replacingOccurrences(of: "/hooks", with: "")
        func config(disableAfter: String) -> String {
            """
            version: 1
            state_dir: ./state
            shutdown_grace: 3s
            source:
              - { name: app, file: ./events.jsonl }
              - { name: herald, herald: true }
            endpoints:
              crm: { url: "http://127.0.0.1:\(down.port)/x", retry: { schedule: [\(Array(repeating: "200ms", count: 200).joined(separator: ", "))], max_age: 1h }, breaker: { failures: 0, cooldown: 1s }, disable_after: \(disableAfter) }
              ops: { url: "\(base)/ops" }
            routes:
              - { name: to-crm, events: ["order.*"], to: crm }
              - { name: ops, events: ["herald.*"], to: ops, where: { $source: herald } }
            """
        }
        // A first run that fails for a while without reaching its (long) limit, and stops.
        let harness = try SidecarHarness(config: config(disableAfter: "1h"))
        try harness.append([#"{"type":"order.created","id":"o-1"}"#])
        try harness.start()
        let file = harness.stateDir + "/failing-since.json"
        #expect(await waitUntil { FileManager.default.fileExists(atPath: file) }, "\(harness.log)")
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        let saved = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any])
        let since = try #require((saved["crm"] as? NSNumber)?.int64Value)
        // Restarted with a 2 s limit once more than 2 s have passed since the first failure: the
        // first failure of the new run pauses it, counting from the first run's.
        try await Task.sleep(for: .milliseconds(2_200))
        try harness.rewriteConfig(config(disableAfter: "2s"))
        // A fresh delivery too, so that the new run fails at once whatever became of the first one.
        try harness.append([#"{"type":"order.created","id":"o-2"}"#])
        try harness.start()
        #expect(await waitUntil { harness.log.contains("endpoint failing for longer than disable_after") }, "\(harness.log)")
        #expect(await receiver.wait { requests in requests.contains { String(decoding: $0.body, as: UTF8.self).contains("herald.endpoint.disabled") } })
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        let event = try #require(receiver.requests.compactMap { request -> [String: Any]? in
            guard let object = try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any], object["type"] as? String == "herald.endpoint.disabled"
            else { return nil }
            return object["data"] as? [String: Any]
        }.first)
        #expect(event["endpoint"] as? String == "crm")
        #expect(event["reason"] as? String == "disable_after")
        #expect(event["failing_since"] as? String == UnixTime.rfc3339(since))
        #expect(harness.log.contains("reason=\"endpoint 'crm' disabled: failing continuously since"), "the delivery is dead-lettered with the reason")
    }
}
