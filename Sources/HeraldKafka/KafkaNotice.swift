/// What a consumer tells its owner besides messages: group membership changes, errors (a broker
/// down is one, and librdkafka keeps reconnecting by itself), and librdkafka's own warnings.
public enum KafkaNotice: Sendable, Equatable {
    case assigned([KafkaPartition])
    /// Revoked after committing the offsets stored so far; `commitError` when that commit failed
    /// (the next owner then starts from the last committed offset, and sends a few again).
    case revoked([KafkaPartition], commitError: String?)
    case error(code: Int32, message: String, fatal: Bool)
    case log(level: Int32, facility: String, message: String)
}
