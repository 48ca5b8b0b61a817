import Testing

@testable import HeraldCore

@Suite("reload plan")
struct ReloadPlanTests {
    func config(_ text: String) throws -> HeraldConfig {
        try ConfigLoader.load(text: text, path: "/etc/herald/config.yaml", environment: [:]).get()
    }

    @Test("endpoints and routes apply; process-level settings keep their running values and are named")
    func plan() throws {
        let current = try config("""
            version: 1
            state_dir: /var/lib/herald
            source: { file: /var/log/app/events.jsonl }
            endpoints:
              a: { url: "http://127.0.0.1:9000/a" }
              b: { url: "http://127.0.0.1:9000/b" }
            routes:
              - { name: r1, events: ["*"], to: [a, b] }
            """)
        let loaded = try config("""
            version: 1
            state_dir: /tmp/elsewhere
            source: { file: /var/log/app/other.jsonl }
            endpoints:
              a: { url: "http://127.0.0.1:9000/a", concurrency: 2 }
              c: { url: "http://127.0.0.1:9000/c" }
            routes:
              - { name: r2, events: ["order.*"], to: [a, c] }
            delivery_log: { enabled: false }
            """)
        let plan = ReloadPlan(current: current, loaded: loaded)
        #expect(plan.needsRestart == ["state_dir", "source", "delivery_log"])
        #expect(plan.config.deliveryLog.enabled)
        #expect(plan.config.stateDir == "/var/lib/herald")
        #expect(plan.config.source == current.source)
        #expect(plan.config.endpoints.map(\.name) == ["a", "c"])
        #expect(plan.config.routes.map(\.name) == ["r2"])
        #expect(plan.addedEndpoints == ["c"])
        #expect(plan.removedEndpoints == ["b"])
        #expect(plan.changedEndpoints == ["a"])
        #expect(plan.addedRoutes == ["r2"])
        #expect(plan.removedRoutes == ["r1"])
    }

    @Test("a live config hands out whole generations")
    func generations() throws {
        let first = try config("""
            version: 1
            source: { stdin: true }
            endpoints: { a: { url: "http://127.0.0.1:9000/a" } }
            routes: [{ name: r1, events: ["*"], to: a }]
            """)
        let live = LiveConfig(first)
        #expect(live.current.number == 1)
        var next = first
        next.routes = []
        let generation = live.replace(with: next)
        #expect(generation.number == 2)
        #expect(live.current.routes.isEmpty)
        #expect(live.current.endpoints["a"] != nil)
    }
}
