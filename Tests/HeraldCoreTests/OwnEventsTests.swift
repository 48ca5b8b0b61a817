import Foundation
import HeraldSource
import Testing

@testable import HeraldCore

@Suite("Herald's own events")
struct OwnEventsUnitTests {
    static func drain(_ events: OwnEvents) async throws -> [[String: Any]] {
        events.stop()
        var lines: [[String: Any]] = []
        while let batch = try await events.next() {
            for line in batch.lines { lines.append(try JSONSerialization.jsonObject(with: Data(line.bytes)) as! [String: Any]) }
        }
        return lines
    }

    @Test("notices become herald.* events with unique herald: ids; burials are grouped by endpoint and reason; none for Herald's own events")
    func fromNotices() async throws {
        let events = OwnEvents(now: { 1_764_000_000_000 })
        events.observe(.breaker(endpoint: "erp", .opened(failures: 10, until: 1_764_000_030_000)))
        events.observe(.breaker(endpoint: "erp", .reopened(until: 1_764_000_060_000)))
        events.observe(.breaker(endpoint: "erp", .closed))
        events.observe(.endpointGone(endpoint: "crm", reason: .gone(endpoint: "crm")))
        events.observe(.delivered(endpoint: "erp"))
        events.observe(.buried([
            .init(id: "d1", endpoint: "crm", reason: .permanent(status: 400), eventID: "e1", route: "r"),
            .init(id: "d2", endpoint: "crm", reason: .permanent(status: 400), eventID: "e2", route: "r"),
            .init(id: "d3", endpoint: "pager", reason: .permanent(status: 400), eventID: "herald:1:1", route: "ops"),
        ]))
        let lines = try await Self.drain(events)
        #expect(lines.map { $0["type"] as? String } == [
            "herald.endpoint.circuit_opened", "herald.endpoint.circuit_closed", "herald.endpoint.disabled", "herald.delivery.dead_lettered",
        ])
        #expect(Set(lines.compactMap { $0["id"] as? String }).count == 4)
        #expect(lines.allSatisfy { ($0["id"] as? String)?.hasPrefix("herald:") == true && $0["time"] as? String == "2025-11-24T16:00:00.000Z" })
        let dead = try #require(lines.last?["data"] as? [String: Any])
        #expect(dead["endpoint"] as? String == "crm")
        #expect(dead["count"] as? Int == 2)
        #expect(dead["event_ids"] as? [String] == ["e1", "e2"])
        #expect(dead["reason"] as? String == "permanent")
    }

    @Test("a full buffer drops and counts; after stop nothing is added and the source ends")
    func bounded() async throws {
        let events = OwnEvents()
        for _ in 0..<(OwnEvents.capacity + 5) { events.emit("x", []) }
        #expect(events.dropped == 5)
        #expect(try await Self.drain(events).count == OwnEvents.capacity)
        events.emit("late", [])
        #expect(try await events.next() == nil)
    }

    @Test("config: one herald source, beside files or stdin")
    func config() throws {
        func load(_ sources: String) -> Result<HeraldConfig, ConfigErrors> {
            ConfigLoader.load(text: """
                version: 1
                source:
                \(sources)
                endpoints: { a: { url: "https://a.example.com" } }
                routes: [{ name: r, events: ["herald.*"], to: a }]
                """, path: "c.yaml", environment: [:])
        }
        #expect(try load("  - { name: in, stdin: true }\n  - { name: own, herald: true }").get().sources.map(\.input) == [.stdin, .herald])
        guard case .failure(let errors) = load("  - { name: a, herald: true }\n  - { name: b, herald: true }") else {
            Issue.record("two herald sources accepted")
            return
        }
        #expect(errors.diagnostics.map(\.description) == ["c.yaml:4:5: only one source may be 'herald: true'"])
    }
}
