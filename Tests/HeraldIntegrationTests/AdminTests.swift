import Foundation
import HeraldHTTP
import Testing

@Suite("herald run with the admin listener")
struct AdminTests {
    @Test("/healthz, /readyz (ready; a 410 Gone shows as a warning), /metrics counting deliveries, rejects, unrouted events, an open breaker and reloads, 400/404/405")
    func adminAPI() async throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let retired = try Receiver { _, _ in ServerResponse(status: 410) }
        defer { retired.stop() }
        // Held for the whole test: herald's admin API binds the first, nothing ever listens on the second.
        let admin = try PortReservation(), down = try PortReservation()
        defer { admin.release(); down.release() }
        let port = admin.port, downPort = down.port
        let base = "http://127.0.0.1:\(port)"
        let config = SidecarHarness.config(url: receiver.url, extraEndpoint: """
              retired:
                url: "\(retired.url)"
              down:
                url: "http://127.0.0.1:\(downPort)/hooks"
                retry: { schedule: [50ms, 50ms, 50ms, 50ms, 50ms, 50ms], max_age: 1h }
                breaker: { failures: 2, cooldown: 1h }
            """)
            .replacingOccurrences(of: #"- { name: all, events: ["*"], to: receiver }"#, with: """
            - { name: orders, events: ["order.*"], to: receiver }
              - { name: legacy, events: ["legacy.*"], to: retired }
              - { name: flaky, events: ["flaky.*"], to: down }
            """)
            + "\nadmin: { listen: \"127.0.0.1:\(port)\" }\n"
        let harness = try SidecarHarness(config: config)
        let orders = (0..<5).map { #"{"type":"order.created","id":"o-\#($0)"}"# }
        try harness.append(orders + ["this is not json", #"{"type":"user.signed_up","id":"u-1"}"#])
        try harness.start()
        let client = try HTTPClient()
        defer { client.shutdown() }
        func get(_ path: String, method: String = "GET") async -> HTTPResult {
            await client.send(HTTPRequest(method: method, url: base + path, timeout: .seconds(30)))
        }
        func metrics() async throws -> PrometheusText {
            let reply = await get("/metrics")
            #expect(reply.status == 200)
            #expect(reply.headers.first(named: "content-type")?.hasPrefix("text/plain; version=0.0.4") == true)
            return try PrometheusText(String(decoding: reply.body, as: UTF8.self))
        }

        #expect(await waitUntil { harness.log.contains("admin API listening") })
        #expect(await receiver.wait { $0.count >= 5 })
        #expect(await get("/healthz").status == 200)
        let ready = await get("/readyz")
        #expect(ready.status == 200, "\(String(decoding: ready.body, as: UTF8.self))")

        var text = try await metrics()
        text = try await poll(metrics, until: { $0.value("herald_deliveries_total", ["endpoint": "receiver", "outcome": "delivered"]) == 5 })
        #expect(text.value("herald_deliveries_total", ["endpoint": "receiver", "outcome": "delivered"]) == 5)
        #expect(text.value("herald_deliveries_total", ["endpoint": "receiver", "outcome": "retry"]) == 0)
        #expect(text.value("herald_events_read_total") == 7)
        #expect(text.value("herald_events_routed_total") == 5)
        #expect(text.value("herald_events_unrouted_total") == 1)
        #expect(text.value("herald_events_rejected_total", ["reason": "invalid_json"]) == 1)
        #expect(text.value("herald_events_rejected_total", ["reason": "too_long"]) == 0)
        #expect(text.value("herald_deliveries_enqueued_total") == 5)
        #expect(text.value("herald_delivery_duration_seconds_count", ["endpoint": "receiver"]) == 5)
        #expect(text.value("herald_delivery_duration_seconds_bucket", ["endpoint": "receiver", "le": "+Inf"]) == 5)
        #expect(text.value("herald_config_reloads_total", ["result": "ok"]) == 0)
        #expect(text.value("herald_endpoint_breaker_open", ["endpoint": "retired"]) == 0)

        try harness.append([#"{"type":"legacy.ping","id":"l-1"}"#])
        #expect(await retired.wait { $0.count >= 1 })
        func paused(_ reply: HTTPResult) -> [String]? {
            let body = try? JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: Any]
            return (body?["paused_endpoints"] as? [[String: String]])?.compactMap { $0["endpoint"] }
        }
        let readiness = try await poll({ await get("/readyz") }, until: { paused($0) == ["retired"] })
        #expect(readiness.status == 200, "a retired receiver must not take the pod out of service")
        #expect(paused(readiness) == ["retired"])
        let body = try JSONSerialization.jsonObject(with: Data(readiness.body)) as? [String: Any]
        #expect((body?["warnings"] as? [String])?.first?.contains("endpoint 'retired' is paused: HTTP 410 Gone") == true)

        // Paused endpoints are pushed at once; the journal and the source lag are sampled each second.
        text = try await poll(metrics, until: { (text: PrometheusText) -> Bool in
            let paused = text.value("herald_endpoint_paused", ["endpoint": "retired"]) == 1
            let pending = text.value("herald_journal_pending_deliveries") == 0
            return paused && pending && text.value("herald_source_lag_bytes") == 0
        })
        #expect(text.value("herald_endpoint_paused", ["endpoint": "retired"]) == 1)
        #expect(text.value("herald_endpoint_paused", ["endpoint": "receiver"]) == 0)
        #expect(text.value("herald_dead_letters_total", ["endpoint": "retired", "reason": "gone"]) == 1)
        #expect(text.value("herald_deliveries_total", ["endpoint": "retired", "outcome": "dead"]) == 1)
        // Journal and lag gauges are sampled once a second, not pushed: wait for a sample after the burial.
        text = try await poll(metrics, until: { $0.value("herald_journal_pending_deliveries") == 0 && $0.value("herald_source_lag_bytes") == 0 })
        #expect(text.value("herald_journal_pending_deliveries") == 0)
        #expect(text.value("herald_source_lag_bytes") == 0)
        #expect((text.value("herald_journal_bytes") ?? 0) > 0)

        // Two refused connections open the circuit of `down` (pushed at once); the pending gauge follows at the next sample.
        try harness.append([#"{"type":"flaky.ping","id":"f-1"}"#])
        text = try await poll(metrics, until: { (text: PrometheusText) -> Bool in
            let open = text.value("herald_endpoint_breaker_open", ["endpoint": "down"]) == 1
            return open && text.value("herald_journal_pending_deliveries") == 1
        })
        #expect(text.value("herald_endpoint_breaker_open", ["endpoint": "down"]) == 1)
        #expect(text.value("herald_deliveries_total", ["endpoint": "down", "outcome": "retry"]) == 2)
        text = try await poll(metrics, until: { $0.value("herald_journal_pending_deliveries") == 1 })
        #expect(text.value("herald_journal_pending_deliveries") == 1)

        // A valid reload, then an invalid one (the old config stays).
        harness.signal(SIGHUP)
        #expect(await waitUntil { harness.log.contains("msg=\"config reloaded\"") })
        try "version: 1\nbogus: true\n".write(toFile: harness.configPath, atomically: true, encoding: .utf8)
        harness.signal(SIGHUP)
        #expect(await waitUntil { harness.log.contains("config reload rejected") })
        text = try await metrics()
        #expect(text.value("herald_config_reloads_total", ["result": "ok"]) == 1)
        #expect(text.value("herald_config_reloads_total", ["result": "invalid"]) == 1)

        // The delivery log through /deliveries: cursor paging over the 5 orders, newest first.
        var seen: [String] = []
        var cursor: String?
        var pages = 0
        repeat {
            let path = "/deliveries?endpoint=receiver&limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")
            let page = await get(path)
            #expect(page.status == 200)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(page.body)) as? [String: Any])
            let items = try #require(object["items"] as? [[String: Any]])
            seen += items.compactMap { $0["event_id"] as? String }
            cursor = object["next_cursor"] as? String
            #expect(cursor != nil || object["next_cursor"] is NSNull)
            pages += 1
        } while cursor != nil && pages < 10
        #expect(pages == 3)
        #expect(Set(seen) == Set((0..<5).map { "o-\($0)" }) && seen.count == 5)
        let badSince = await get("/deliveries?since=1x")
        #expect(badSince.status == 400)
        #expect(String(decoding: badSince.body, as: UTF8.self).contains("since"))

        let refused = await get("/deliveries?limit=5&lmit=5")
        #expect(refused.status == 400)
        #expect(String(decoding: refused.body, as: UTF8.self).contains("unknown parameter 'lmit'; did you mean 'limit'?"))
        #expect(await get("/nothing-here").status == 404)
        #expect(await get("/metrics", method: "DELETE").status == 405)

        let stopping = ContinuousClock.now
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        #expect(ContinuousClock.now - stopping < .seconds(15), "the listener does not hold up the stop")
        #expect(await get("/healthz").status == nil)
    }

    @Test("an admin address already in use stops herald run with exit 3 and says why")
    func addressInUse() async throws {
        // Bound to a port the kernel picks, so no other test can take it first.
        let holder = try HTTPServer(host: "127.0.0.1", port: 0, handler: { _ in ServerResponse(status: 204) })
        defer { holder.stop() }
        let port = holder.port
        let harness = try SidecarHarness(config: SidecarHarness.config(url: "http://127.0.0.1:9/hooks") + "\nadmin: { listen: \"127.0.0.1:\(port)\" }\n")
        try harness.start()
        #expect(await harness.waitForExit() == 3)
        #expect(harness.log.contains("cannot listen on 127.0.0.1:\(port) (admin.listen)"))
    }
}
