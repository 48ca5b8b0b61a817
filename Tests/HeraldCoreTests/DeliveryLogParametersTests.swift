import HeraldCore
import HeraldJournal
import Testing

@Suite("delivery log filters from text")
struct DeliveryLogParametersTests {
    static let now: Int64 = 1_764_079_038_123

    func parse(_ parameters: [(String, String)]) -> Result<DeliveryLogQuery, DeliveryLogParameterError> {
        DeliveryLogQuery.parse(parameters, now: Self.now)
    }

    @Test("no parameters: everything, 50 at a time")
    func defaults() throws {
        let query = try parse([]).get()
        #expect(query.limit == 50)
        #expect(query.cursor == nil)
        #expect(query.filter.endpoint == nil && query.filter.route == nil && query.filter.eventType == nil)
        #expect(query.filter.status == nil && query.filter.since == nil)
    }

    @Test("every parameter is read")
    func everything() throws {
        let query = try parse([("endpoint", "erp"), ("route", "orders"), ("event_type", "order.*"), ("status", "5xx"), ("since", "1h"),
                               ("limit", "1000"), ("cursor", "a-b-c")]).get()
        #expect(query.filter.endpoint == "erp")
        #expect(query.filter.route == "orders")
        #expect(query.filter.eventType?.matches("order.created") == true)
        #expect(query.filter.eventType?.matches("invoice.sent") == false)
        #expect(query.filter.eventType?.exact == nil)
        #expect(query.filter.status == .statusClass(5))
        #expect(query.filter.since == Self.now - 3_600_000)
        #expect(query.limit == 1000)
        #expect(query.cursor?.description == "a-b-c")
        #expect(try parse([("event_type", "order.created")]).get().filter.eventType?.exact == "order.created")
    }

    @Test("statuses", arguments: [
        ("failed", DeliveryStatusFilter.failed), ("delivered", .delivered), ("ok", .delivered), ("OK", .delivered),
        ("error", .transportError), ("503", .code(503)), ("2xx", .statusClass(2)), ("4XX", .statusClass(4)),
    ])
    func statuses(text: String, status: DeliveryStatusFilter) throws {
        #expect(try parse([("status", text)]).get().filter.status == status)
    }

    @Test("since takes a duration back from now or an RFC 3339 time", arguments: [
        ("90s", now - 90_000), ("1h30m", now - 5_400_000), ("3d", now - 259_200_000),
        ("2026-01-31T09:00:00Z", 1_769_850_000_000), ("2026-01-31T10:00:00.250+01:00", 1_769_850_000_250),
    ])
    func since(text: String, milliseconds: Int64) throws {
        #expect(try parse([("since", text)]).get().filter.since == milliseconds)
    }

    @Test("each bad parameter names itself and says what would work", arguments: [
        ("since", "1x", "since: '1x' is not a duration or a time: use 500ms, 10s, 5m, 2h or 3d, or an RFC 3339 time like 2026-01-31T09:00:00Z"),
        ("since", "yesterday", "since: 'yesterday' is not a duration or a time: use 500ms, 10s, 5m, 2h or 3d, or an RFC 3339 time like 2026-01-31T09:00:00Z"),
        ("status", "bad", "status: 'bad' is not a status: use failed, delivered, error, a code like 503 or a class like 5xx"),
        ("status", "999", "status: '999' is not a status: use failed, delivered, error, a code like 503 or a class like 5xx"),
        ("status", "6xx", "status: '6xx' is not a status: use failed, delivered, error, a code like 503 or a class like 5xx"),
        ("limit", "0", "limit: '0' must be a whole number from 1 to 1000"),
        ("limit", "1001", "limit: '1001' must be a whole number from 1 to 1000"),
        ("limit", "ten", "limit: 'ten' must be a whole number from 1 to 1000"),
        ("cursor", "nope", "cursor: 'nope' is not a cursor from a previous page"),
        ("event_type", "order.[a]", "event_type: invalid glob 'order.[a]': '[' is not allowed (patterns use only '*' and '?')"),
        ("endpoint", "", "endpoint: needs a value"),
        ("limt", "5", "limt: unknown parameter, did you mean 'limit'?"),
        ("colour", "red", "colour: unknown parameter (known: endpoint, route, event_type, status, since, limit, cursor)"),
    ])
    func bad(name: String, value: String, message: String) {
        guard case .failure(let error) = parse([(name, value)]) else {
            Issue.record("\(name)=\(value) was accepted")
            return
        }
        #expect(error.description == message)
    }

    @Test("the command line names the flag; a repeated parameter is refused")
    func flagsAndRepeats() {
        guard case .failure(let error) = parse([("event_type", "a b")]) else {
            Issue.record("accepted")
            return
        }
        #expect(error.commandLineDescription.hasPrefix("--event-type: invalid glob 'a b'"))
        guard case .failure(let repeated) = parse([("limit", "5"), ("limit", "6")]) else {
            Issue.record("accepted")
            return
        }
        #expect(repeated.description == "limit: given more than once")
    }

    @Test("delivery_log in the config: defaults, and each key")
    func config() throws {
        let base = ConfigLoaderTests.minimal
        let plain = try ConfigLoader.load(text: base, path: "/srv/herald.yaml", environment: [:]).get()
        #expect(plain.deliveryLog == DeliveryLogConfig(enabled: true, maxBytes: 64 << 20, keep: 4))
        #expect(plain.deliveryLogDirectory == "/srv/.herald/log")
        let set = try ConfigLoader.load(text: base + "\ndelivery_log: { enabled: false, max_bytes: 1MiB, keep: 0 }", path: "/srv/herald.yaml", environment: [:]).get()
        #expect(set.deliveryLog == DeliveryLogConfig(enabled: false, maxBytes: 1 << 20, keep: 0))
    }
}
