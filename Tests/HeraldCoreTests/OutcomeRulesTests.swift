import HeraldCore
import Testing

@Suite("outcome rules")
struct OutcomeRulesTests {
    static func endpoint(_ settings: String) -> Result<HeraldConfig, ConfigErrors> {
        ConfigLoader.load(text: """
            version: 1
            source: { file: ./events.jsonl }
            endpoints:
              erp:
                url: https://erp.example.com
                retry: { schedule: [5s, 1m], max_age: 1d }
                \(settings)
            routes:
              - { name: r, events: ["*"], to: erp }
            """, path: "o.yaml", environment: [:])
    }

    static let rules = "success_on: [409]\n    retry_on: [404, 420-423]\n    dead_on: [500-504]"

    /// (status, decision at the first attempt) under `rules`; codes the rules do not name keep the default reading.
    static let table: [(Int, RetryDecision)] = [
        (200, .delivered), (204, .delivered), (409, .delivered),
        (404, .retry(after: .seconds(5))), (420, .retry(after: .seconds(5))), (423, .retry(after: .seconds(5))),
        (424, .dead(.permanent(status: 424))), (400, .dead(.permanent(status: 400))),
        (500, .dead(.permanent(status: 500))), (504, .dead(.permanent(status: 504))),
        (505, .retry(after: .seconds(5))), (503 + 100, .dead(.permanent(status: 603))), (410, .endpointGone), (429, .retry(after: .seconds(5))),
    ]

    @Test("codes the endpoint names are read its way; the rest keep the default", arguments: table)
    func decisions(code: Int, decision: RetryDecision) throws {
        let config = try Self.endpoint(Self.rules).get()
        let policy = RetryPolicy(config.endpoints[0].retry)
        #expect(policy.decide(.status(code, retryAfter: nil), attempts: 1, age: .zero, jitter: 0) == decision)
    }

    @Test("a retried code follows the schedule to its end, then dead-letters as exhausted")
    func retriedCodeExhausts() throws {
        let policy = RetryPolicy(try Self.endpoint(Self.rules).get().endpoints[0].retry)
        #expect(policy.decide(.status(404, retryAfter: nil), attempts: 2, age: .seconds(5), jitter: 0) == .retry(after: .seconds(60)))
        #expect(policy.decide(.status(404, retryAfter: nil), attempts: 3, age: .seconds(65), jitter: 0) == .dead(.exhausted(attempts: 3, last: "HTTP 404")))
    }

    @Test("410 named in a list loses its pausing")
    func goneOverridden() throws {
        let policy = RetryPolicy(try Self.endpoint("dead_on: [410]").get().endpoints[0].retry)
        #expect(policy.decide(.status(410, retryAfter: nil), attempts: 1, age: .zero, jitter: 0) == .dead(.permanent(status: 410)))
    }

    @Test("bad rules are refused at the entry", arguments: [
        ("success_on: [409]\n    retry_on: [400-409]", "status 409 is in both 'success_on' and 'retry_on'", "8:16"),
        ("retry_on: [404, 404]", "status 404 is twice in 'retry_on'", "7:21"),
        ("dead_on: [99]", "status codes in 'dead_on' are between 100 and 599, found 99", "7:15"),
        ("dead_on: [500-600]", "status codes in 'dead_on' are between 100 and 599, found 500-600", "7:15"),
        ("dead_on: [504-500]", "the range 504-500 in 'dead_on' runs backwards", "7:15"),
        ("dead_on: [5xx]", "each entry of 'dead_on' is a status code or a range such as 500-504, found '5xx'", "7:15"),
        ("dead_on: 500", "'dead_on' must be a list of status codes and ranges", "7:14"),
        ("method: GET", "'method' is one of POST, PUT, PATCH, DELETE, found 'GET'", "7:13"),
        ("batch: { max_events: 0 }", "'batch.max_events' must be", "7:26"),
        ("batch: { format: csv }", "'batch.format' is one of json_array, ndjson, found 'csv'", "7:22"),
        ("batch: {}\n    format: xml", "'batch' sends JSON arrays or NDJSON: it needs format: json", "7:12"),
        ("batch: {}\n    trace_field: t", "'batch' and 'trace_field' do not mix", "7:12"),
    ])
    func refused(settings: String, message: String, at position: String) {
        guard case .failure(let failure) = Self.endpoint(settings) else {
            Issue.record("accepted: \(settings)")
            return
        }
        #expect("\(failure)".contains("o.yaml:\(position): \(message)"), "\(failure)")
    }

    @Test("method: each one is sent as configured, in any case; POST by default")
    func methods() throws {
        #expect(try Self.endpoint("").get().endpoints[0].method == .post)
        #expect(try Self.endpoint("method: put").get().endpoints[0].method == .put)
        #expect(try Self.endpoint("method: DELETE").get().endpoints[0].method == .delete)
        #expect(try Self.endpoint("method: PATCH").get().endpoints[0].method == .patch)
    }
}
