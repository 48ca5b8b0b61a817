/// An endpoint's `batch`: several deliveries in one request. Opt-in; without it every delivery is
/// one request.
public struct BatchConfig: Sendable, Equatable {
    public enum Format: String, Sendable, CaseIterable {
        /// `[payload, payload, …]`, `application/json`.
        case jsonArray = "json_array"
        /// One payload per line, each ending in a newline, `application/x-ndjson`.
        case ndjson
    }

    /// The most deliveries in one request.
    public var maxEvents: Int
    /// The most payload bytes in one request (a single larger payload still goes, alone).
    public var maxBytes: Int
    /// How long the oldest ready delivery may wait for the batch to fill.
    public var maxWait: Duration
    public var format: Format

    public static let eventsRange = 1...10_000
}
