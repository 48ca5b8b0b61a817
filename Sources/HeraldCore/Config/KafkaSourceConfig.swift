import HeraldKafka

/// A Kafka source: one member of a consumer group (the fleet is every Herald with the same `group`).
public struct KafkaSourceConfig: Sendable, Equatable {
    public var settings: KafkaSettings
    /// For messages without a key: the event field whose value is `$key` (and so the default
    /// ordering key) instead.
    public var keyField: FieldPath?

    public init(settings: KafkaSettings, keyField: FieldPath? = nil) {
        self.settings = settings
        self.keyField = keyField
    }
}
