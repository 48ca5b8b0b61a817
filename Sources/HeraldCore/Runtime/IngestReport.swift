/// What became of a batch of lines: how many deliveries were journaled, how many were already
/// known, and each rejected line with its reason (what HTTP ingest answers with).
public struct IngestReport: Sendable, Equatable {
    /// A line that was not taken, with its number in the batch and why.
    public struct Rejected: Sendable, Equatable, Encodable {
        public var line: Int?
        public var reason: String
        public var message: String

        enum CodingKeys: String, CodingKey {
            case line, reason
            case message = "error"
        }
    }

    /// Non-blank lines read.
    public var lines = 0
    /// Deliveries journaled.
    public var stored = 0
    /// Deliveries not journaled because they already were (pending, or sent before).
    public var duplicates = 0
    /// Events no route took.
    public var unrouted = 0
    public var rejected: [Rejected] = []

    public init() {}
}
