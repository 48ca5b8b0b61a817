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

    init(sourceIndex: Int, metadata: EventMetadata, stamped: Bool, checkpoints: CheckpointStore? = nil) {
        self.sourceIndex = sourceIndex
        self.metadata = metadata
        self.stamped = stamped
        self.checkpoints = checkpoints
    }

    /// The origin of `config`'s first source (single-source configs and tests).
    static func first(of config: HeraldConfig, file: String? = nil, checkpoints: CheckpointStore? = nil) -> IngestOrigin {
        IngestOrigin(sourceIndex: 0, metadata: EventMetadata(source: config.sources[0].name, file: file), stamped: config.sourcesListed,
                     checkpoints: checkpoints)
    }
}
