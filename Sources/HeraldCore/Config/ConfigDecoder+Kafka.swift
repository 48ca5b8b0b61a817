import Foundation
import HeraldKafka

extension ConfigDecoder {
    /// `kafka: { brokers, topics, group, start_at, key_field, options }`.
    func decodeKafka(_ node: YAMLNode) -> KafkaSourceConfig? {
        let keys = ["brokers", "topics", "group", "start_at", "key_field", "options"]
        guard let fields = reader.fields(node, of: "'source.kafka'", allowed: keys, required: ["brokers", "topics", "group"]),
            let brokerNode = fields["brokers"], let topicNode = fields["topics"], let groupNode = fields["group"]
        else { return nil }
        // A comma-separated string is what librdkafka itself takes; a list reads better in YAML.
        let brokers = (reader.strings(brokerNode, "'source.kafka.brokers'") ?? [])
            .flatMap { entry in entry.0.split(separator: ",").map { ($0.trimmingCharacters(in: .whitespaces), entry.1) } }
        for (broker, mark) in brokers where !Self.isBrokerAddress(broker) {
            reader.error("each broker must be HOST:PORT, found '\(broker)'", at: mark)
        }
        if brokers.isEmpty { reader.error("'source.kafka.brokers' needs at least one HOST:PORT", at: brokerNode.mark) }
        let topics = reader.strings(topicNode, "'source.kafka.topics'") ?? []
        for (topic, mark) in topics where topic.isEmpty || topic.utf8.count > 249 || !topic.utf8.allSatisfy(Self.isNameByte) {
            reader.error("a Kafka topic name is 1 to 249 letters, digits, '.', '_' or '-', found '\(topic)'", at: mark)
        }
        if topics.isEmpty { reader.error("'source.kafka.topics' needs at least one topic", at: topicNode.mark) }
        let group = reader.string(groupNode, "'source.kafka.group'")
        if group?.isEmpty == true { reader.error("'source.kafka.group' must not be empty", at: groupNode.mark) }
        let startAt = fields["start_at"].flatMap { reader.choice($0, "'source.kafka.start_at'", as: KafkaSettings.StartAt.self) } ?? .earliest
        let keyField = fields["key_field"].flatMap { reader.fieldPath($0, "'source.kafka.key_field'") }
        if keyField?.metadata != nil { reader.error("'source.kafka.key_field' must name a field of the event, not metadata", at: fields["key_field"]?.mark) }
        var options: [String: String] = [:]
        if let node = fields["options"] {
            if case .mapping(let pairs) = node.kind {
                for pair in pairs {
                    guard let key = pair.key.scalar, let value = reader.string(pair.value, "kafka option '\(pair.key.scalar ?? "")'", secret: true) else { continue }
                    if KafkaSettings.reservedOptions.contains(key) {
                        reader.error("kafka option '\(key)' is Herald's to set (offsets are committed only once journaled); use the kafka keys instead",
                                     at: pair.key.mark)
                    }
                    options[key] = value
                }
            } else if !node.isNull {
                reader.error("'source.kafka.options' must be a mapping of librdkafka properties, found \(node.kindName)", at: node.mark)
            }
        }
        guard let group, !brokers.isEmpty, !topics.isEmpty else { return nil }
        let settings = KafkaSettings(brokers: brokers.map(\.0), topics: topics.map(\.0), group: group, startAt: startAt, options: options)
        return KafkaSourceConfig(settings: settings, keyField: keyField)
    }

    private static func isBrokerAddress(_ text: String) -> Bool {
        guard let colon = text.lastIndex(of: ":"), colon != text.startIndex, let port = Int(text[text.index(after: colon)...]) else { return false }
        return (1...65535).contains(port)
    }
}
