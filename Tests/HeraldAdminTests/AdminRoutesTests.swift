import Foundation
import HeraldCore
import Prometheus
import Synchronization
import Testing

@testable import HeraldAdmin

@Suite("admin routes")
struct AdminRoutesTests {
    /// A stand-in for the delivery log's query: records what it was asked, answers what it is told.
    final class FakeQuery: Sendable {
        let asked = Mutex<[[String: String]]>([])
        let answer: DeliveriesAnswer

        init(answer: DeliveriesAnswer) {
            self.answer = answer
        }

        var query: DeliveriesQuery {
            { parameters in
                self.asked.withLock { $0.append(parameters) }
                return self.answer
            }
        }
    }

    func routes(readiness: Readiness = Readiness(), query: FakeQuery? = nil, registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) -> AdminRoutes {
        AdminRoutes(registry: registry, readiness: readiness, deliveries: query?.query)
    }

    func text(_ reply: AdminReply) -> String { String(decoding: reply.body, as: UTF8.self) }

    @Test("/healthz answers 200 ok")
    func health() async {
        let reply = await routes().reply(method: "GET", path: "/healthz", query: nil)
        #expect(reply.status == 200)
        #expect(text(reply) == "ok\n")
    }

    @Test("/readyz: 503 naming each unmet condition, 200 once all hold; paused endpoints and open circuits are warnings, still 200")
    func readiness() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("herald-ready-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("events.jsonl").path
        let readiness = Readiness()
        let routes = routes(readiness: readiness)
        readiness.source(file: file)

        var reply = await routes.reply(method: "GET", path: "/readyz", query: nil)
        #expect(reply.status == 503)
        #expect(reply.contentType == "application/json")
        var body = try JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: Any]
        #expect(body?["ready"] as? Bool == false)
        // A source file that does not exist yet is waited for, not a problem.
        #expect(body?["problems"] as? [String] == ["config is not loaded", "journal is not open"])

        readiness.configLoaded()
        readiness.journal(open: true)
        reply = await routes.reply(method: "GET", path: "/readyz", query: nil)
        #expect(reply.status == 200)
        _ = FileManager.default.createFile(atPath: file, contents: nil)
        reply = await routes.reply(method: "GET", path: "/readyz", query: nil)
        #expect(reply.status == 200)
        #expect(text(reply) == #"{"concurrency_limits":{},"open_circuits":[],"paused_endpoints":[],"problems":[],"ready":true,"warnings":[]}"# + "\n")

        // A path that cannot be read for another reason is (tests run as root, who reads any file:
        // a path through a regular file stands in).
        _ = FileManager.default.createFile(atPath: folder.appendingPathComponent("plain").path, contents: nil)
        readiness.source(file: folder.appendingPathComponent("plain").path + "/events.jsonl")
        reply = await routes.reply(method: "GET", path: "/readyz", query: nil)
        #expect(reply.status == 503)
        body = try JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: Any]
        #expect((body?["problems"] as? [String])?.first?.contains("is not readable: Not a directory") == true)
        readiness.source(file: nil)

        readiness.dispatch(DispatchStatus(openCircuits: ["crm"], gone: ["erp": "HTTP 410 Gone: the receiver retired endpoint 'erp'"],
                                          concurrencyLimits: ["crm": 3]))
        reply = await routes.reply(method: "GET", path: "/readyz", query: nil)
        #expect(reply.status == 200)
        body = try JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: Any]
        #expect(body?["problems"] as? [String] == [])
        #expect(body?["warnings"] as? [String] == [
            "endpoint 'erp' is paused: HTTP 410 Gone: the receiver retired endpoint 'erp'", "endpoint 'crm' is failing: its circuit is open",
        ])
        let paused = body?["paused_endpoints"] as? [[String: String]]
        #expect(paused == [["endpoint": "erp", "reason": "HTTP 410 Gone: the receiver retired endpoint 'erp'"]])
        #expect(body?["open_circuits"] as? [String] == ["crm"])
        #expect(body?["concurrency_limits"] as? [String: Int] == ["crm": 3])
    }

    @Test("/metrics is the registry in Prometheus text format")
    func metrics() async {
        let registry = PrometheusCollectorRegistry()
        let metrics = HeraldMetrics(endpoints: ["erp"], factory: PrometheusSetup.factory(registry: registry))
        metrics.countReload(valid: true)
        let reply = await routes(registry: registry).reply(method: "GET", path: "/metrics", query: nil)
        #expect(reply.status == 200)
        #expect(reply.contentType == "text/plain; version=0.0.4; charset=utf-8")
        #expect(text(reply).contains("herald_config_reloads_total{result=\"ok\"} 1\n"))
        #expect(text(reply).contains("herald_delivery_duration_seconds_bucket{endpoint=\"erp\",le=\"30.0\"} 0\n"))
    }

    @Test("/deliveries hands the decoded parameters to the query and answers its page as JSON")
    func deliveriesPage() async {
        let page = Array(#"{"items":[],"next_cursor":null}"#.utf8)
        let query = FakeQuery(answer: .page(json: page))
        let reply = await routes(query: query).reply(method: "GET", path: "/deliveries",
                                                     query: "endpoint=erp&event_type=order.%2A&status=failed&since=1h&limit=2&cursor=abc&route=r+1")
        #expect(reply.status == 200)
        #expect(reply.contentType == "application/json")
        #expect(reply.body == page)
        #expect(query.asked.withLock { $0 } == [[
            "endpoint": "erp", "event_type": "order.*", "status": "failed", "since": "1h", "limit": "2", "cursor": "abc", "route": "r 1",
        ]])
    }

    @Test("/deliveries: a value the query refuses is a 400 with its reason")
    func deliveriesRefused() async {
        let query = FakeQuery(answer: .badRequest("'limit' must be a whole number from 1 to 1000, found 'abc'"))
        let reply = await routes(query: query).reply(method: "GET", path: "/deliveries", query: "limit=abc")
        #expect(reply.status == 400)
        #expect(text(reply) == #"{"error":"'limit' must be a whole number from 1 to 1000, found 'abc'"}"# + "\n")
    }

    @Test("/deliveries: unknown, repeated, empty or badly encoded parameters are a 400 before any query", arguments: [
        ("lmit=5", "unknown parameter 'lmit'; did you mean 'limit'?"),
        ("colour=red", "unknown parameter 'colour'; known: endpoint, route, event_type, status, since, limit, cursor"),
        ("limit=5&limit=6", "parameter 'limit' is given more than once"),
        ("since=", "parameter 'since' has no value"),
        ("endpoint=%E0%A4", "'%E0%A4' does not decode to UTF-8 text"),
    ])
    func deliveriesBadParameters(query text: String, reason: String) async throws {
        let query = FakeQuery(answer: .page(json: []))
        let reply = await routes(query: query).reply(method: "GET", path: "/deliveries", query: text)
        #expect(reply.status == 400)
        let body = try JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: String]
        #expect(body == ["error": reason])
        #expect(query.asked.withLock { $0 }.isEmpty)
    }

    @Test("/deliveries without a delivery log answers 503")
    func deliveriesUnavailable() async {
        let reply = await routes().reply(method: "GET", path: "/deliveries", query: nil)
        #expect(reply.status == 503)
    }

    @Test("an unknown path is a 404; another method than GET on a known path is a 405 with Allow: GET")
    func notFoundAndMethod() async {
        for path in ["/", "/metrics/", "/health", "/deliveries/1"] {
            #expect(await routes().reply(method: "GET", path: path, query: nil).status == 404, "\(path)")
        }
        for method in ["POST", "PUT", "DELETE", "HEAD", "PATCH"] {
            let reply = await routes().reply(method: method, path: "/metrics", query: nil)
            #expect(reply.status == 405)
            #expect(reply.allow == "GET")
        }
    }
}
