import HeraldCore
import Testing

@Suite("routing")
struct RouterTests {
    static let config = try! ConfigLoader.load(text: """
        version: 1
        source: { file: ./events.jsonl }
        endpoints:
          erp: { url: https://erp.example.com }
          chat: { url: https://chat.example.com }
          audit: { url: https://audit.example.com }
          off: { url: https://off.example.com, enabled: false }
        routes:
          - { name: eur-orders, events: ["order.*"], where: { data.currency: EUR }, to: erp }
          - { name: all-created, events: ["*.created"], to: audit }
          - { name: shipments, events: [shipment.delivered, shipment.failed], to: [chat, off] }
          - { name: big, events: [payment.captured], where: { data.amount: { gt: 100, lte: 1000 } }, to: [erp, chat] }
          - { name: vip, events: ["*"], where: { data.tier: { in: [gold, platinum] }, data.flagged: { exists: false } }, to: chat }
          - { name: single-char, events: ["user.?"], to: audit }
          - { name: quoted, events: [code.set], where: { data.code: "007", data.ok: true, data.n: null }, to: audit }
          - { name: disabled-only, events: [ping], to: off }
        """, path: "r.yaml", environment: [:]).get()
    static let router = Router(config: config)

    static let table: [(event: String, routes: [String])] = [
        (#"{"type":"order.created","data":{"currency":"EUR"}}"#, ["eur-orders", "all-created"]),
        (#"{"type":"order.created","data":{"currency":"USD"}}"#, ["all-created"]),
        (#"{"type":"order.paid"}"#, []),
        (#"{"type":"order","data":{"currency":"EUR"}}"#, []),
        (#"{"type":"booking.created"}"#, ["all-created"]),
        (#"{"type":"shipment.delivered"}"#, ["shipments"]),
        (#"{"type":"shipment.delayed"}"#, []),
        (#"{"type":"payment.captured","data":{"amount":100}}"#, []),
        (#"{"type":"payment.captured","data":{"amount":100.5}}"#, ["big"]),
        (#"{"type":"payment.captured","data":{"amount":1000}}"#, ["big"]),
        (#"{"type":"payment.captured","data":{"amount":"500"}}"#, []),
        (#"{"type":"x","data":{"tier":"gold"}}"#, ["vip"]),
        (#"{"type":"x","data":{"tier":"gold","flagged":null}}"#, []),
        (#"{"type":"x","data":{"tier":"silver"}}"#, []),
        (#"{"type":"user.a"}"#, ["single-char"]),
        (#"{"type":"user.ab"}"#, []),
        (#"{"type":"code.set","data":{"code":"007","ok":true,"n":null}}"#, ["quoted"]),
        (#"{"type":"code.set","data":{"code":7,"ok":true,"n":null}}"#, []),
        (#"{"type":"code.set","data":{"code":"007","ok":"true","n":null}}"#, []),
        (#"{"type":"ping"}"#, ["disabled-only"]),
    ]

    @Test("events match exactly the routes the table says", arguments: table)
    func matches(event: String, routes: [String]) throws {
        let decoded = try EventDecoder(typeField: FieldPath("type")!, idField: FieldPath("id")!).decode(Array(event.utf8)).get()
        #expect(Self.router.match(decoded).map(\.route.name) == routes)
    }

    @Test("one event fans out to every enabled endpoint of every matching route; disabled ones receive nothing")
    func fanOut() throws {
        let decoder = EventDecoder(typeField: FieldPath("type")!, idField: FieldPath("id")!)
        let payment = try decoder.decode(Array(#"{"type":"payment.captured","data":{"amount":500,"tier":"gold"}}"#.utf8)).get()
        let matches = Self.router.match(payment)
        #expect(matches.map(\.route.name) == ["big", "vip"])
        #expect(matches.flatMap { $0.endpoints.map(\.name) } == ["erp", "chat", "chat"])
        let shipment = try decoder.decode(Array(#"{"type":"shipment.failed"}"#.utf8)).get()
        #expect(Self.router.match(shipment).first?.endpoints.map(\.name) == ["chat"])
        #expect(Self.router.match(shipment).first?.disabledEndpoints == ["off"])
        let ping = try decoder.decode(Array(#"{"type":"ping"}"#.utf8)).get()
        #expect(Self.router.match(ping).first?.endpoints.isEmpty == true)
    }

    @Test("globs", arguments: [
        ("order.*", "order.created", true), ("order.*", "order.", true), ("order.*", "orders.created", false),
        ("*.created", "a.b.created", true), ("*", "anything", true), ("a*b*c", "aXbYc", true), ("a*b*c", "aXbY", false),
        ("?", "ab", false), ("order.created", "order.created", true), ("order.created", "order.createdX", false),
    ])
    func globs(pattern: String, name: String, matches: Bool) throws {
        #expect(try #require(EventPattern(pattern)).matches(name) == matches)
    }

    @Test("invalid globs are refused with a reason", arguments: ["", "order.[ab]", "a b", "{a,b}", "order.**"])
    func badGlobs(pattern: String) {
        #expect(EventPattern(pattern) == nil)
        #expect(EventPattern.problem(with: pattern) != nil)
    }
}
