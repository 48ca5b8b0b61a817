/// One consumed message, copied out of librdkafka's buffer.
public struct KafkaMessage: Sendable, Equatable {
    public var partition: KafkaPartition
    public var offset: Int64
    /// nil when the producer sent none.
    public var key: [UInt8]?
    public var payload: [UInt8]

    public init(topic: String, partition: Int32, offset: Int64, key: [UInt8]?, payload: [UInt8]) {
        self.partition = KafkaPartition(topic: topic, partition: partition)
        self.offset = offset
        self.key = key
        self.payload = payload
    }
}

/// Messages handed over together: journaled as one batch, then stored as consumed.
public struct KafkaBatch: Sendable, Equatable {
    public var messages: [KafkaMessage]

    public init(messages: [KafkaMessage]) {
        self.messages = messages
    }

    /// The next offset to consume per partition: each partition's last offset + 1.
    public var nextOffsets: [KafkaPartition: Int64] {
        var next: [KafkaPartition: Int64] = [:]
        for message in messages { next[message.partition] = max(next[message.partition] ?? 0, message.offset + 1) }
        return next
    }
}

/// A topic's partition.
public struct KafkaPartition: Sendable, Hashable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(topic)/\(partition)" }
}
