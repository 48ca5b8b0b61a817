/// The delivery log's answer to `GET /deliveries`: a page, or why the parameters were refused.
public enum DeliveriesAnswer: Sendable, Equatable {
    /// `{"items": [...], "next_cursor": "…" | null}`, already encoded.
    case page(json: [UInt8])
    /// A parameter value that does not parse (`limit=abc`, `since=yesterday`): answered 400 with this reason.
    case badRequest(String)
    /// The log cannot be read right now: answered 503 with this reason.
    case unavailable(String)
}

/// Runs a delivery-log query for `GET /deliveries`. Gets the decoded query parameters, each
/// one of ``DeliveriesParameters/names`` and given once; parses their values as `herald log`
/// parses its flags.
public typealias DeliveriesQuery = @Sendable (_ parameters: [String: String]) async -> DeliveriesAnswer

/// The parameters `GET /deliveries` takes: the filters of `herald log`, and paging.
public enum DeliveriesParameters {
    public static let names = ["endpoint", "route", "event_type", "status", "since", "limit", "cursor"]
}
