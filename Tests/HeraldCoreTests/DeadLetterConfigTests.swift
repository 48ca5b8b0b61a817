import HeraldCore
import Testing

@Suite("dead_letters config")
struct DeadLetterConfigTests {
    static func config(_ extra: String) -> String {
        """
        version: 1
        source: { file: ./events.jsonl }
        endpoints:
          erp: { url: https://erp.example.com/hooks }
        routes:
          - { name: orders, events: ["order.*"], to: erp }
        \(extra)
        """
    }

    enum Loaded {
        case success(HeraldConfig)
        case failure([String])

        func get() throws -> HeraldConfig {
            guard case .success(let config) = self else { throw LoadFailed() }
            return config
        }
    }

    struct LoadFailed: Error {}

    func load(_ extra: String) -> Loaded {
        switch ConfigLoader.load(text: Self.config(extra), path: "c.yaml", environment: [:]) {
        case .success(let config): .success(config)
        case .failure(let errors): .failure(errors.diagnostics.map(\.description))
        }
    }

    @Test("without the block: 256MiB and 30d, or a quarter of a smaller journal budget")
    func defaults() throws {
        let plain = try load("").get()
        #expect(plain.deadLetters == DeadLetterConfig(maxBytes: 256 << 20, maxAge: .seconds(30 * 86_400)))
        let small = try load("journal: { max_bytes: 64MiB }").get()
        #expect(small.deadLetters.maxBytes == 16 << 20)
    }

    @Test("max_bytes and max_age are read as a size and a duration")
    func values() throws {
        let config = try load("dead_letters: { max_bytes: 1GiB, max_age: 7d }\njournal: { max_bytes: 4GiB }").get()
        #expect(config.deadLetters == DeadLetterConfig(maxBytes: 1 << 30, maxAge: .seconds(7 * 86_400)))
    }

    @Test("bad values are located errors", arguments: [
        ("dead_letters: { max_bytes: 1GiB }", "c.yaml:7:28: 'dead_letters.max_bytes' must be at most half of 'journal.max_bytes' (536870912 bytes): dead letters count toward the journal's budget, and must not fill it"),
        ("dead_letters: { max_bytes: 1KiB }", "c.yaml:7:28: 'dead_letters.max_bytes' must be at least 64KiB"),
        ("dead_letters: { max_bytes: lots }", "c.yaml:7:28: 'dead_letters.max_bytes' must be a size like 1048576, 512KiB, 64MiB or 1GiB, found 'lots'"),
        ("dead_letters: { max_age: 0s }", "c.yaml:7:26: 'dead_letters.max_age' must be at least 1s"),
        ("dead_letters: { max_age: soon }", "c.yaml:7:26: 'dead_letters.max_age' must be a duration like 500ms, 10s, 5m, 2h or 3d, found 'soon'"),
    ])
    func errors(extra: String, message: String) {
        guard case .failure(let errors) = load(extra) else {
            Issue.record("\(extra) loaded")
            return
        }
        #expect(errors == [message])
    }

    @Test("an unknown key under dead_letters is an error")
    func unknownKey() {
        guard case .failure(let errors) = load("dead_letters: { keep: 3 }") else {
            Issue.record("loaded")
            return
        }
        #expect(errors.count == 1)
        #expect(errors.first?.contains("keep") == true)
    }

    @Test("a reload keeps the running dead_letters and names it as needing a restart")
    func reload() throws {
        let current = try load("").get()
        let loaded = try load("dead_letters: { max_age: 1d }").get()
        let plan = ReloadPlan(current: current, loaded: loaded)
        #expect(plan.needsRestart == ["dead_letters"])
        #expect(plan.config.deadLetters == current.deadLetters)
    }
}
