import HeraldCore
import Testing

@Suite("where expressions")
struct WhereExpressionTests {
    static let config = try! ConfigLoader.load(text: """
        version: 1
        source: { file: ./events.jsonl }
        endpoints:
          erp: { url: https://erp.example.com }
        routes:
          - name: nested
            events: ["order.*"]
            where:
              any:
                - { data.total: { gte: 1000 } }
                - all:
                    - { data.country: { in: [DE, FR] } }
                    - not: { data.test: true }
              data.email: { not_in: [ops@example.com] }
            to: erp
          - { name: ne, events: [ne], where: { data.env: { ne: test } }, to: erp }
          - { name: prefix, events: [prefix], where: { data.sku: { prefix: "AB-" } }, to: erp }
          - { name: suffix, events: [suffix], where: { data.email: { suffix: "@example.com" } }, to: erp }
          - { name: contains-text, events: [contains-text], where: { data.note: { contains: urgent } }, to: erp }
          - { name: contains-member, events: [contains-member], where: { data.tags: { contains: vip } }, to: erp }
          - { name: matches, events: [matches], where: { data.ref: { matches: "^INV-[0-9]{4}$" } }, to: erp }
          - { name: matches-inner, events: [matches-inner], where: { data.path: { matches: "/admin(/|$)" } }, to: erp }
          - { name: not-exists, events: [not-exists], where: { not: { data.deleted_at: { exists: true } } }, to: erp }
        """, path: "w.yaml", environment: [:]).get()
    static let router = Router(config: config)

    static let table: [(event: String, routes: [String])] = [
        (#"{"type":"order.created","data":{"total":1000}}"#, ["nested"]),
        (#"{"type":"order.created","data":{"total":999,"country":"DE"}}"#, ["nested"]),
        (#"{"type":"order.created","data":{"total":999,"country":"DE","test":true}}"#, []),
        (#"{"type":"order.created","data":{"total":999,"country":"DE","test":false}}"#, ["nested"]),
        (#"{"type":"order.created","data":{"total":999,"country":"US"}}"#, []),
        (#"{"type":"order.created","data":{"total":5000,"email":"ops@example.com"}}"#, []),
        (#"{"type":"order.created","data":{"country":"FR","email":"a@b.c"}}"#, ["nested"]),
        (#"{"type":"ne","data":{"env":"prod"}}"#, ["ne"]),
        (#"{"type":"ne","data":{"env":"test"}}"#, []),
        (#"{"type":"ne","data":{}}"#, ["ne"]),
        (#"{"type":"prefix","data":{"sku":"AB-12"}}"#, ["prefix"]),
        (#"{"type":"prefix","data":{"sku":"ab-12"}}"#, []),
        (#"{"type":"prefix","data":{"sku":12}}"#, []),
        (#"{"type":"suffix","data":{"email":"x@example.com"}}"#, ["suffix"]),
        (#"{"type":"suffix","data":{"email":"x@example.com.evil"}}"#, []),
        (#"{"type":"contains-text","data":{"note":"this is urgent!"}}"#, ["contains-text"]),
        (#"{"type":"contains-text","data":{"note":["urgent"]}}"#, ["contains-text"]),
        (#"{"type":"contains-text","data":{"note":"URGENT"}}"#, []),
        (#"{"type":"contains-text","data":{"note":5}}"#, []),
        (#"{"type":"contains-member","data":{"tags":["new","vip"]}}"#, ["contains-member"]),
        (#"{"type":"contains-member","data":{"tags":["vipx"]}}"#, []),
        (#"{"type":"contains-member","data":{"tags":"vip"}}"#, ["contains-member"]),
        (#"{"type":"contains-member","data":{"tags":[["vip"]]}}"#, []),
        (#"{"type":"matches","data":{"ref":"INV-0042"}}"#, ["matches"]),
        (#"{"type":"matches","data":{"ref":"INV-00421"}}"#, []),
        (#"{"type":"matches","data":{"ref":4242}}"#, []),
        (#"{"type":"matches-inner","data":{"path":"/v1/admin/users"}}"#, ["matches-inner"]),
        (#"{"type":"matches-inner","data":{"path":"/v1/administrator"}}"#, []),
        (#"{"type":"not-exists","data":{}}"#, ["not-exists"]),
        (#"{"type":"not-exists","data":{"deleted_at":null}}"#, []),
    ]

    static func event(_ line: String) throws -> Event {
        try EventDecoder(typeField: FieldPath("type")!, idField: FieldPath("id")!).decode(Array(line.utf8)).get()
    }

    @Test("events pass exactly the filters the table says", arguments: table)
    func matches(event: String, routes: [String]) throws {
        #expect(Self.router.match(try Self.event(event)).map(\.route.name) == routes)
    }

    @Test("a failed filter names the test that failed and the value the event had")
    func failureExplains() throws {
        let nested = try #require(Self.config.routes.first { $0.name == "nested" })
        let usa = try Self.event(#"{"type":"order.created","data":{"total":999,"country":"US"}}"#)
        let why = try #require(nested.filter.failure(usa))
        #expect(why.contains("none of 'any' matched"), "\(why)")
        #expect(why.contains("data.total >= 1000 failed: data.total is 999"), "\(why)")
        #expect(why.contains("data.country in [\"DE\",\"FR\"] failed: data.country is \"US\""), "\(why)")
        let flagged = try Self.event(#"{"type":"order.created","data":{"total":999,"country":"DE","test":true}}"#)
        #expect(try #require(nested.filter.failure(flagged)).contains("'not' failed: data.test == true matched"))
        let ops = try Self.event(#"{"type":"order.created","data":{"total":5000,"email":"ops@example.com"}}"#)
        #expect(nested.filter.failure(ops) == #"data.email not in ["ops@example.com"] failed: data.email is "ops@example.com""#)
        let missing = try #require(Self.config.routes.first { $0.name == "prefix" })
        #expect(missing.filter.failure(try Self.event(#"{"type":"prefix","data":{}}"#)) == #"data.sku starts with "AB-" failed: the event has no data.sku"#)
        #expect(nested.filter.failure(try Self.event(#"{"type":"order.created","data":{"total":1000}}"#)) == nil)
    }

    @Test("bad filters are refused at their line and column", arguments: [
        ("{ data.ref: { matches: \"INV-(\" } }", "7:35", "'matches' is not a valid regular expression"),
        ("{ any: { data.a: 1 } }", "7:19", "'any' takes a non-empty list of filters"),
        ("{ any: [] }", "7:19", "'any' takes a non-empty list of filters"),
        ("{ all: [ data.a ] }", "7:21", "each entry of 'all' is a filter"),
        ("{ not: [ { data.a: 1 } ] }", "7:19", "'not' takes one filter"),
        ("{ data.a: { prefix: 3 } }", "7:32", "'prefix' must be a string"),
        ("{ data.a: { not_in: x } }", "7:32", "'not_in' must be a list of values"),
        ("{ data.a: { contain: x } }", "7:24", "did you mean 'contains'?"),
    ])
    func badFilters(filter: String, at position: String, message: String) {
        let text = """
            version: 1
            source: { file: ./events.jsonl }
            endpoints:
              erp: { url: https://erp.example.com }
            routes:
              - name: r
                where: \(filter)
                events: [a]
                to: erp
            """
        guard case .failure(let failure) = ConfigLoader.load(text: text, path: "w.yaml", environment: [:]) else {
            Issue.record("accepted: \(filter)")
            return
        }
        let described = "\(failure)"
        #expect(described.contains("w.yaml:\(position)"), "\(described)")
        #expect(described.contains(message), "\(described)")
    }

    @Test("nesting is bounded")
    func depthBound() {
        var filter = "{ data.a: 1 }"
        for _ in 0..<WhereExpression.maxDepth { filter = "{ not: \(filter) }" }
        let text = "version: 1\nsource: { file: ./e.jsonl }\nendpoints: { erp: { url: https://e.example.com } }\nroutes:\n  - { name: r, events: [a], to: erp, where: \(filter) }\n"
        guard case .failure(let failure) = ConfigLoader.load(text: text, path: "w.yaml", environment: [:]) else {
            Issue.record("accepted a filter nested \(WhereExpression.maxDepth + 1) deep")
            return
        }
        #expect("\(failure)".contains("nests deeper than \(WhereExpression.maxDepth)"))
    }
}

@Suite("matches patterns")
struct FieldPatternTests {
    @Test("PCRE2 syntax, unanchored unless anchored, on UTF-8 text")
    func syntax() throws {
        #expect(try FieldPattern(#"\d{4}"#).matches("INV-2026-x"))
        #expect(try FieldPattern("(?i)^urgent").matches("URGENT: disk"))
        #expect(try !FieldPattern("^urgent$").matches("urgent!"))
        #expect(try FieldPattern("café").matches("le café ☕"))
        #expect(try FieldPattern("^$").matches(""))
        #expect(try FieldPattern("x(?=y)").matches("xy") && !FieldPattern("x(?=y)").matches("xz"))
    }

    @Test("a pattern that would backtrack for ever on a hostile value stops at the limit and counts as no match")
    func runawayStops() throws {
        let pattern = try FieldPattern("^(a+)+$")
        #expect(!pattern.matches(String(repeating: "a", count: 5_000) + "!"))
        #expect(pattern.matches(String(repeating: "a", count: 5_000)))
    }

    @Test("a bad pattern says what is wrong and where")
    func compileError() {
        #expect(throws: FieldPattern.CompileError.self) { try FieldPattern("INV-(") }
        do {
            _ = try FieldPattern("ab[c")
        } catch {
            #expect(error.offset == 4, "\(error)")
            #expect("\(error)".contains("missing terminating ]"), "\(error)")
        }
    }
}
