import HeraldCore
import HeraldKafka
import Testing

@testable import HeraldCore

/// `source: { kafka: … }` and what Herald sets in librdkafka from it.
@Suite("Kafka sources in the config")
struct KafkaSourceConfigTests {
    func load(_ source: String) -> Result<HeraldConfig, ConfigErrors> {
        ConfigLoader.load(text: SourceConfigTests.config(source: source), path: "/etc/herald/c.yaml", environment: [:])
    }

    func errors(_ source: String) -> [String] {
        guard case .failure(let errors) = load(source) else { return ["accepted"] }
        return errors.diagnostics.map(\.description)
    }

    @Test("brokers as a list or a comma-separated string; topics, group, start_at, key_field and librdkafka options")
    func decoded() throws {
        let config = try load("""
              - name: orders
                kafka:
                  brokers: ["k1:9092", "k2:9092,k3:9093"]
                  topics: [orders, refunds]
                  group: herald-orders
                  start_at: latest
                  key_field: customer.id
                  options: { session.timeout.ms: 10000, security.protocol: ssl }
            """).get()
        guard case .kafka(let kafka) = config.sources[0].input else { Issue.record("not kafka"); return }
        #expect(kafka.settings.brokers == ["k1:9092", "k2:9092", "k3:9093"])
        #expect(kafka.settings.topics == ["orders", "refunds"])
        #expect(kafka.settings.group == "herald-orders")
        #expect(kafka.settings.startAt == .latest)
        #expect(kafka.keyField == FieldPath("customer.id"))
        #expect(kafka.settings.options == ["session.timeout.ms": "10000", "security.protocol": "ssl"])
        #expect(config.sources[0].input.kind == "kafka")
    }

    @Test("bad Kafka sources are refused at their line", arguments: [
        ("  { kafka: { brokers: [k1:9092], topics: [t] } }", "missing required key 'group' in 'source.kafka'"),
        ("  { kafka: { brokers: [k1], topics: [t], group: g } }", "each broker must be HOST:PORT, found 'k1'"),
        ("  { kafka: { brokers: [k1:9092], topics: [\"a b\"], group: g } }", "a Kafka topic name is 1 to 249 letters, digits, '.', '_' or '-', found 'a b'"),
        ("  { kafka: { brokers: [k1:9092], topics: [t], group: g, start_at: begining } }", "'source.kafka.start_at' must be 'earliest' or 'latest', found 'begining'"),
        ("  { kafka: { brokers: [k1:9092], topics: [t], group: g, options: { enable.auto.commit: true } } }",
         "kafka option 'enable.auto.commit' is Herald's to set"),
        ("  { kafka: { brokers: [k1:9092], topics: [t], group: g, key_field: $source } }", "'source.kafka.key_field' must name a field of the event, not metadata"),
        ("  { kafka: { brokers: [k1:9092], topics: [t], group: g }, file: ./a.jsonl }", "takes one of 'file', 'stdin: true', 'http', 'herald: true' and 'kafka', not several"),
        ("  { kafka: { brokers: [k1:9092], topics: [t], group: g }, max_open_files: 4 }", "'max_open_files' applies to file sources, not kafka"),
    ])
    func refused(source: String, message: String) {
        let found = errors(source)
        #expect(found.contains { $0.contains(message) }, "\(found)")
    }

    @Test("Herald's settings come first and options after them; offsets are never stored or committed by librdkafka itself")
    func properties() {
        let settings = KafkaSettings(brokers: ["a:1", "b:2"], topics: ["t"], group: "g", options: ["client.id": "mine", "fetch.max.bytes": "1000"])
        let properties = Dictionary(settings.properties, uniquingKeysWith: { _, last in last })
        #expect(properties["bootstrap.servers"] == "a:1,b:2")
        #expect(properties["enable.auto.offset.store"] == "false")
        #expect(properties["enable.auto.commit"] == "false")
        #expect(properties["auto.offset.reset"] == "earliest")
        #expect(properties["client.id"] == "mine")
        #expect(properties["fetch.max.bytes"] == "1000")
        #expect(settings.properties.filter { $0.0 == "client.id" }.count == 1)
    }

    @Test("a batch's next offsets are each partition's last offset + 1")
    func nextOffsets() {
        let batch = KafkaBatch(messages: [(0, 5), (1, 9), (0, 6), (0, 7), (1, 10)].map {
            KafkaMessage(topic: "t", partition: $0.0, offset: $0.1, key: nil, payload: [])
        })
        #expect(batch.nextOffsets == [KafkaPartition(topic: "t", partition: 0): 8, KafkaPartition(topic: "t", partition: 1): 11])
    }

    @Test("the backlog counts each partition's unsettled deliveries; recovered ones hold every partition")
    func backlog() {
        let backlog = KafkaBacklog(recovered: ["r1"])
        let p0 = KafkaPartition(topic: "t", partition: 0), p1 = KafkaPartition(topic: "t", partition: 1)
        backlog.journaled([("a", p0), ("b", p0)])
        backlog.journaled([("c", p1)])
        backlog.journaled([("a", p0)])  // the same delivery twice is counted once
        #expect(backlog.unsettled(in: [p0]) == 3)
        backlog.settled(["r1", "other-source"])
        #expect(backlog.unsettledRecovered == 0)
        #expect(backlog.unsettled(in: [p0]) == 2)
        backlog.settled(["a", "b"])
        #expect(backlog.unsettled(in: [p0]) == 0)
        #expect(backlog.unsettled(in: [p0, p1]) == 1)
        #expect(backlog.waitUntilSettled([p1], timeout: .milliseconds(30)) == 1)
        backlog.settled(["c"])
        #expect(backlog.waitUntilSettled([p0, p1], timeout: .seconds(5)) == 0)
    }
}

@Suite("repeat limiter")
struct RepeatLimiterTests {
    @Test("one report per kind per interval, with the count held back", arguments: [
        // (kind, seconds, expected)
        [("a", 0, 0), ("a", 10, nil), ("a", 59, nil), ("a", 60, 2), ("a", 61, nil), ("a", 200, 1)],
        [("a", 0, 0), ("b", 1, 0), ("a", 2, nil), ("b", 3, nil), ("b", 70, 1), ("a", 70, 1)],
    ] as [[(String, Int, Int?)]])
    func table(steps: [(String, Int, Int?)]) {
        var limiter = RepeatLimiter(interval: .seconds(60))
        for (kind, second, expected) in steps {
            #expect(limiter.admit(kind, at: .seconds(second)) == expected, "\(kind) at \(second)s")
        }
    }
}
