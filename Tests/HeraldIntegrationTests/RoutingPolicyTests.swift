import Foundation
import HeraldHTTP
import Testing

@Suite("where expressions and endpoint policies through the built binary")
struct RoutingPolicyTests {
    static let filtered = """
        version: 1
        state_dir: ./state
        source: { file: ./events.jsonl }
        endpoints:
          receiver: { url: "URL", retry: { schedule: [100ms], max_age: 1h } }
        routes:
          - name: important
            events: ["order.*"]
            where:
              any:
                - { data.total: { gte: 1000 } }
                - all: [ { data.country: { in: [DE, FR] } }, { not: { data.ref: { matches: "^TEST-" } } } ]
            to: receiver
        """

    @Test("nested any/all/not filters with a regular expression pick exactly the events they describe")
    func nestedFilters() async throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let harness = try SidecarHarness(config: Self.filtered.replacingOccurrences(of: "URL", with: receiver.url))
        try harness.append([
            #"{"type":"order.created","id":"big","data":{"total":5000,"country":"US"}}"#,
            #"{"type":"order.created","id":"de","data":{"total":10,"country":"DE","ref":"A-1"}}"#,
            #"{"type":"order.created","id":"de-test","data":{"total":10,"country":"DE","ref":"TEST-1"}}"#,
            #"{"type":"order.created","id":"us","data":{"total":10,"country":"US"}}"#,
            #"{"type":"order.paid","id":"fr","data":{"country":"FR"}}"#,
            #"{"type":"user.created","id":"other","data":{"total":5000}}"#,
        ])
        try harness.start()
        #expect(await receiver.wait { $0.count >= 3 })
        try await Task.sleep(for: .milliseconds(300))
        let ids = Set(receiver.requests.compactMap { request in
            (try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])?["id"] as? String
        })
        #expect(ids == ["big", "de", "fr"])
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        #expect(harness.log.contains("unrouted=3"), "\(harness.log)")
    }

    @Test("explain says which test of each unmatched route failed and what the event had")
    func explainUnmatched() async throws {
        let harness = try SidecarHarness(config: Self.filtered.replacingOccurrences(of: "URL", with: "http://127.0.0.1:9/hooks"))
        let event = #"{"type":"order.created","id":"x","data":{"total":10,"country":"DE","ref":"TEST-9"}}"#
        let result = try await HeraldProcess.run(["explain", "-c", harness.configPath, event])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("matches no route"))
        #expect(result.stdout.contains("routes not matched:\n  important: where: none of 'any' matched (data.total >= 1000 failed: data.total is 10; 'not' failed: data.ref matches /^TEST-/ matched)"), "\(result.stdout)")
        let other = try await HeraldProcess.run(["explain", "-c", harness.configPath, #"{"type":"user.created"}"#])
        #expect(other.stdout.contains("  important: event type 'user.created' is not one of order.*"), "\(other.stdout)")
    }

    @Test("PUT and DELETE arrive as such; success_on: [409] acks a 409; retry_on: [404] retries a 404")
    func methodsAndOutcomes() async throws {
        let receiver = try Receiver { request, previous in
            if request.target.hasSuffix("/put") { return ServerResponse(status: 409) }
            if request.target.hasSuffix("/delete") { return ServerResponse(status: previous == 0 ? 404 : 204) }
            return ServerResponse(status: 204)
        }
        defer { receiver.stop() }
        let base = receiver.url
        let harness = try SidecarHarness(config: """
            version: 1
            state_dir: ./state
            source: { file: ./events.jsonl }
            endpoints:
              put: { url: "\(base)/put", method: PUT, success_on: [409], retry: { schedule: [100ms], max_age: 1h } }
              delete: { url: "\(base)/delete", method: delete, retry_on: [404], retry: { schedule: [200ms, 200ms], max_age: 1h } }
            routes:
              - { name: all, events: ["*"], to: [put, delete] }
            """)
        try harness.append([#"{"type":"a","id":"1"}"#])
        try harness.start()
        #expect(await receiver.wait { $0.count >= 3 })
        try await Task.sleep(for: .milliseconds(500))
        let requests = receiver.requests
        let puts = requests.filter { $0.target.hasSuffix("/put") }
        let deletes = requests.filter { $0.target.hasSuffix("/delete") }
        #expect(puts.count == 1 && puts.allSatisfy { $0.method == "PUT" })
        #expect(deletes.count == 2 && deletes.allSatisfy { $0.method == "DELETE" })
        #expect(deletes.first?.body == Array(#"{"type":"a","id":"1"}"#.utf8))
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        #expect(harness.log.contains("delivered=2"), "\(harness.log)")
        #expect(harness.log.contains("status=\"HTTP 404\""))
        let dead = try await harness.dead(["list"])
        #expect(!dead.stdout.contains("HTTP 409"), "\(dead.stdout)")
    }

    @Test("a traceparent in the event arrives intact and the delivery log records its trace id")
    func traceparent() async throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        let harness = try SidecarHarness(config: """
            version: 1
            state_dir: ./state
            source: { file: ./events.jsonl }
            delivery_log: { enabled: true }
            endpoints:
              receiver: { url: "\(receiver.url)", trace_field: otel }
            routes:
              - { name: all, events: ["*"], to: receiver }
            """)
        try harness.append([
            #"{"type":"a","id":"1","otel":{"traceparent":"\#(parent)","tracestate":"vendor=abc"}}"#,
            #"{"type":"a","id":"2","otel":"00-bad"}"#,
        ])
        try harness.start()
        #expect(await receiver.wait { $0.count >= 2 })
        let byID = Dictionary(receiver.requests.map { request in
            ((try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])?["id"] as? String ?? "", request)
        }, uniquingKeysWith: { first, _ in first })
        #expect(byID["1"]?.headers.first(named: "traceparent") == parent)
        #expect(byID["1"]?.headers.first(named: "tracestate") == "vendor=abc")
        #expect(byID["2"]?.headers.first(named: "traceparent") == nil)
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        let log = try await HeraldProcess.run(["log", "--json", "-c", harness.configPath], directory: harness.folder)
        #expect(log.stdout.contains(#""trace_id":"4bf92f3577b34da6a3ce929d0e0e4736""#), "\(log.stdout) \(log.stderr)")
    }
}
