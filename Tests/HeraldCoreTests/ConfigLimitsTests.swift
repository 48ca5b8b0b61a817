import Foundation
import HeraldCore
import Testing

/// Hostile configs: each is refused by `check` with a located error, quickly and without a trap.
@Suite("config limits")
struct ConfigLimitsTests {
    static func config(endpoint: String = "", route: String = "") -> String {
        """
        version: 1
        source: { file: ./events.jsonl }
        endpoints:
          erp:
            url: https://erp.example.com/hooks
        \(endpoint)
        routes:
          - name: orders
            events: ["order.*"]
            to: erp
        \(route)
        """
    }

    func diagnostics(_ text: String) -> [String] {
        switch ConfigLoader.load(text: text, path: "c.yaml", environment: [:]) {
        case .success: return []
        case .failure(let errors): return errors.diagnostics.map(\.description)
        }
    }

    @Test("rate_limit: 100000000000000000/s and a 40-digit rate are located errors, not traps", arguments: [
        "100000000000000000/s", "1000000000000000000000000000000000000000/m", "1000001/h",
    ])
    func rateTooLarge(rate: String) {
        let errors = diagnostics(Self.config(endpoint: "    rate_limit: \(rate)"))
        #expect(errors == ["c.yaml:6:17: 'rate_limit' allows at most 1000000 requests per period, found '\(rate)'"])
    }

    @Test("the largest accepted rate loads, and a token bucket built from it holds it")
    func largestRate() throws {
        let config = try ConfigLoader.load(text: Self.config(endpoint: "    rate_limit: 1000000/s"), path: "c.yaml", environment: [:]).get()
        #expect(config.endpoint(named: "erp")?.rateLimit == Rate(count: 1_000_000, period: .seconds(1)))
    }

    @Test("durations past 100 years and sizes past 1TiB are located errors, even when they overflow 64 bits", arguments: [
        ("    timeout: 36501d", "c.yaml:6:14: 'timeout' must be at most 36500d (100 years), found '36501d'"),
        ("    timeout: 99999999999999999999999s", "c.yaml:6:14: 'timeout' must be at most 36500d (100 years), found '99999999999999999999999s'"),
        ("    timeout: 20000d20000d", "c.yaml:6:14: 'timeout' must be at most 36500d (100 years), found '20000d20000d'"),
        ("journal: { max_bytes: 2TiB }", "c.yaml:6:23: 'journal.max_bytes' must be at most 1TiB, found '2TiB'"),
        ("journal: { max_bytes: 99999999999999999999G }", "c.yaml:6:23: 'journal.max_bytes' must be at most 1TiB, found '99999999999999999999G'"),
    ])
    func durationsAndSizes(line: String, expected: String) {
        #expect(diagnostics(Self.config(endpoint: line)) == [expected])
    }

    @Test("80,000 nested '[' are refused at the 64th level within seconds, before any tree is built")
    func deepNesting() {
        let depth = 80_000
        let text = Self.config(route: "    body: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth))
        let started = ContinuousClock.now
        let errors = diagnostics(text)
        let elapsed = ContinuousClock.now - started
        // The root mapping, routes, the route and body's list make the first '[' level 4.
        #expect(errors == ["c.yaml:11:\(11 + 61): lists and mappings are nested more than 64 levels deep"])
        #expect(elapsed < .seconds(5), "took \(elapsed)")
    }

    @Test("64 levels parse, 65 do not")
    func depthBoundary() throws {
        let inner = { (depth: Int) in String(repeating: "[", count: depth) + String(repeating: "]", count: depth) }
        #expect(try YAMLParser.parse(inner(64)) != nil)
        #expect(throws: YAMLSyntaxError.self) { try YAMLParser.parse(inner(65)) }
    }

    /// Nine levels of nine aliases: 596 bytes that expand to 9^9 (387 million) nodes.
    static let aliasBomb: String = {
        var lines = ["      a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        for level in 1...8 {
            let previous = "*a\(level - 1)"
            lines.append("      a\(level): &a\(level) [\(Array(repeating: previous, count: 9).joined(separator: ", "))]")
        }
        return lines.joined(separator: "\n")
    }()

    @Test("a ~600-byte alias bomb under body: is refused within seconds at the alias that crosses 100,000 nodes")
    func aliasBomb() throws {
        #expect(Self.aliasBomb.utf8.count < 700)
        let text = Self.config(route: "    body:\n" + Self.aliasBomb)
        let started = ContinuousClock.now
        let errors = diagnostics(text)
        let elapsed = ContinuousClock.now - started
        let error = try #require(errors.first)
        #expect(errors.count == 1)
        #expect(error.hasPrefix("c.yaml:17:"), "\(error)")
        #expect(error.hasSuffix(": the document expands to more than 100000 YAML nodes (each alias counts as all it stands for)"))
        #expect(elapsed < .seconds(5), "took \(elapsed)")
    }

    @Test("aliases of a long scalar count its bytes each time: 100 copies of 256 KiB are refused")
    func aliasedText() {
        let long = String(repeating: "x", count: 256 << 10)
        let text = Self.config(route: "    body:\n      text: &t \(long)\n      copies: [" + Array(repeating: "*t", count: 100).joined(separator: ", ") + "]")
        let errors = diagnostics(text)
        #expect(errors.count == 1)
        #expect(errors.first?.hasSuffix(": the document expands to more than 16MiB of text (each alias counts as all it stands for)") == true)
    }

    @Test("a config larger than 8 MiB is refused whole, from text and from a file")
    func tooLarge() throws {
        let text = Self.config() + "\n# " + String(repeating: "x", count: 8 << 20)
        #expect(diagnostics(text) == ["c.yaml: the config is larger than 8MiB"])
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("herald-large-\(UUID().uuidString).yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: ConfigErrors.self) { try ConfigLoader.read(path: path).get() }
    }

    @Test("aliases under the limits still expand: three levels of nine make a body of 729 strings")
    func ordinaryAliases() throws {
        let lines = Self.aliasBomb.split(separator: "\n").prefix(3).joined(separator: "\n")
        let config = try ConfigLoader.load(text: Self.config(route: "    body:\n" + lines), path: "c.yaml", environment: [:]).get()
        #expect(config.routes.first?.body != nil)
    }
}
