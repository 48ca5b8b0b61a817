/// How a Kafka source consumes: the brokers to bootstrap from, the topics of its consumer group,
/// where a group with no committed offset starts, and librdkafka properties passed through as
/// they are (applied last, so they win).
public struct KafkaSettings: Sendable, Equatable {
    /// Where a partition with no committed offset for the group starts.
    public enum StartAt: String, Sendable, Equatable, CaseIterable {
        case earliest
        case latest
    }

    public var brokers: [String]
    public var topics: [String]
    public var group: String
    public var startAt: StartAt
    /// librdkafka configuration properties (`session.timeout.ms`, `security.protocol`, …).
    public var options: [String: String]
    /// Messages handed over, journaled and committed together.
    public var maxBatch: Int

    public init(brokers: [String], topics: [String], group: String, startAt: StartAt = .earliest, options: [String: String] = [:], maxBatch: Int = 1024) {
        self.brokers = brokers
        self.topics = topics
        self.group = group
        self.startAt = startAt
        self.options = options
        self.maxBatch = maxBatch
    }

    /// The properties Herald sets, then `options`. Offsets are stored and committed by Herald only
    /// once a batch is fsynced in the journal: never what was merely read.
    public var properties: [(String, String)] {
        var list: [(String, String)] = [
            ("bootstrap.servers", brokers.joined(separator: ",")),
            ("group.id", group),
            ("client.id", "herald"),
            ("auto.offset.reset", startAt.rawValue),
            ("enable.auto.offset.store", "false"),
            ("enable.auto.commit", "false"),
            ("enable.partition.eof", "false"),
        ]
        for (key, value) in options.sorted(by: { $0.key < $1.key }) {
            list.removeAll { $0.0 == key }
            list.append((key, value))
        }
        return list
    }

    /// Properties Herald owns: passing them in `options` would break the commit-after-fsync rule.
    public static let reservedOptions: Set<String> = [
        "bootstrap.servers", "group.id", "enable.auto.offset.store", "enable.auto.commit", "auto.offset.reset", "enable.partition.eof",
    ]
}
