import HeraldKafka
import HeraldSource

/// Where a batch of lines comes from: its source (whose decoding settings apply), the metadata
/// its events carry, and where the position after it is saved.
struct IngestOrigin: Sendable {
    /// The source's place in the config, for its decoder (sources change only with a restart).
    var sourceIndex: Int
    /// `$source` and, for files, `$file`.
    var metadata: EventMetadata
    /// Keep the metadata with each journaled payload (the config names its sources): the delivery
    /// log records it, and a later render decodes under the right source.
    var stamped: Bool
    /// Where the file's checkpoint is saved; nil for stdin.
    var checkpoints: CheckpointStore?
    /// Kafka: the event field that is `$key` for a message without a key.
    var keyField: FieldPath?

    init(sourceIndex: Int, metadata: EventMetadata, stamped: Bool, checkpoints: CheckpointStore? = nil, keyField: FieldPath? = nil) {
        self.sourceIndex = sourceIndex
        self.metadata = metadata
        self.stamped = stamped
        self.checkpoints = checkpoints
        self.keyField = keyField
    }

    /// The origin of `config`'s first source (single-source configs and tests).
    static func first(of config: HeraldConfig, file: String? = nil, checkpoints: CheckpointStore? = nil) -> IngestOrigin {
        IngestOrigin(sourceIndex: 0, metadata: EventMetadata(source: config.sources[0].name, file: file), stamped: config.sourcesListed,
                     checkpoints: checkpoints)
    }
}

/// Where one Kafka message of a batch is: its key (`$key`, the default ordering key) and its
/// place in its partition, the id of an event that has none of its own (the same message read
/// again is known by it; two equal messages are not taken for one).
struct MessageOrigin: Sendable {
    var key: String?
    var partition: KafkaPartition
    var offset: Int64

    /// `topic/partition@offset`, made only when needed (a rejected line, an event without an id).
    var position: String { "\(partition)@\(offset)" }
}
