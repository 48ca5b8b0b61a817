/// Why a delivery went to the dead letters: one value that gives both the metric label
/// (`herald_dead_letters_total{reason=…}`) and the message stored with the letter and logged, so
/// the two can never disagree and nothing matches on the text.
public enum DeadLetterReason: Sendable, Equatable {
    /// The receiver answered with a status that retrying cannot change (a 4xx other than 408/429/410).
    case permanent(status: Int)
    /// Every step of the retry schedule was used.
    case exhausted(attempts: Int, last: String)
    /// The next retry would come after the schedule's `max_age`.
    case maxAge(limit: Duration, attempts: Int, last: String)
    /// The endpoint answered 410 Gone: its receiver retired it.
    case gone(endpoint: String)
    /// The endpoint failed continuously from `since` (Unix ms) for longer than its `disable_after`.
    case disabled(endpoint: String, since: Int64, after: Duration)
    /// The endpoint is no longer in the config.
    case removed(endpoint: String)
    /// The route's transform or template cannot render this event under the config in force.
    case render(String)
    /// The journaled payload does not decode.
    case corrupt
    /// The body passed the endpoint's `max_body_bytes` while it was rendered (and was never built).
    case bodyTooLarge(String)
    /// The destination the event chose is not allowed: a host outside `allowed_hosts`, a value that
    /// is not a host name, or an address in a private range (server-side request forgery guard).
    case refused(String)

    /// The `reason` label of the dead-letter metric.
    public var label: String {
        switch self {
        case .permanent: "permanent"
        case .exhausted: "exhausted"
        case .maxAge: "max_age"
        case .gone: "gone"
        case .disabled: "disabled"
        case .removed: "removed"
        case .render: "render"
        case .corrupt: "corrupt"
        case .bodyTooLarge: "body_too_large"
        case .refused: "refused_destination"
        }
    }

    /// What an operator reads in `herald dead list` and the log.
    public var message: String {
        switch self {
        case .permanent(let status): "permanent failure: HTTP \(status)"
        case .exhausted(let attempts, let last): "retry schedule exhausted after \(attempts) attempts; last: \(last)"
        case .maxAge(let limit, let attempts, let last):
            "max_age \(ConfigDuration.format(limit)) exceeded after \(attempts) attempts; last: \(last)"
        case .gone(let endpoint): "HTTP 410 Gone: the receiver retired endpoint '\(endpoint)'"
        case .disabled(let endpoint, let since, let after):
            "endpoint '\(endpoint)' disabled: failing continuously since \(UnixTime.rfc3339(since)), longer than disable_after \(ConfigDuration.format(after))"
        case .removed(let endpoint): "endpoint '\(endpoint)' was removed from the config"
        case .render(let message): message
        case .corrupt: "the journaled payload is unreadable"
        case .bodyTooLarge(let message): message
        case .refused(let message): "refused destination: \(message)"
        }
    }

    /// What the failure showed of the endpoint, for its circuit breaker: a permanent answer shows
    /// it alive, an exhausted schedule failing; the others say nothing about it.
    var health: EndpointHealth? {
        switch self {
        case .permanent: .alive
        case .exhausted, .maxAge: .failing
        case .gone, .disabled, .removed, .render, .corrupt, .bodyTooLarge, .refused: nil
        }
    }
}

/// What an attempt showed of its endpoint, for the circuit breaker.
enum EndpointHealth: Sendable, Equatable {
    /// It answered: 2xx or a permanent 4xx.
    case alive
    /// A retryable failure: network error, timeout, 3xx, 408, 429 or 5xx.
    case failing
}

/// A reason is also the failure of building a request: a delivery whose payload cannot be sent
/// carries it straight to the dead letters.
extension DeadLetterReason: Error {}
