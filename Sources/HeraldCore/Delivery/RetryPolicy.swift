/// What one attempt produced, as the retry policy sees it.
public enum AttemptResult: Sendable, Equatable {
    /// The endpoint answered; `retryAfter` is its `Retry-After`, already parsed.
    case status(Int, retryAfter: Duration?)
    /// No usable answer: connection refused, timeout, TLS or DNS failure. `timedOut` marks a
    /// timeout, which adaptive concurrency reads as the endpoint being overloaded.
    case transportError(String, timedOut: Bool = false)

    /// The message of a transport error; nil when the endpoint answered.
    public var transportError: String? {
        if case .transportError(let message, _) = self { return message }
        return nil
    }

    public var summary: String {
        switch self {
        case .status(let code, _): "HTTP \(code)"
        case .transportError(let message, _): message
        }
    }
}

/// What to do with a delivery after an attempt.
public enum RetryDecision: Sendable, Equatable {
    case delivered
    case retry(after: Duration)
    case dead(DeadLetterReason)
    /// 410 Gone: the receiver retired the endpoint.
    case endpointGone
}

/// Decides retries per DESIGN.md §4, unless the endpoint's ``OutcomeRules`` name the code: 2xx succeeds; network errors, timeouts, 3xx, 408, 429 and
/// 5xx retry on the schedule with ±20% jitter (`Retry-After` honoured up to the schedule's
/// largest step); other 4xx are permanent; an exhausted schedule or `max_age` dead-letters.
/// Pure: time and randomness are inputs.
public struct RetryPolicy: Sendable {
    public var config: RetryConfig

    public init(_ config: RetryConfig) { self.config = config }

    /// - Parameters:
    ///   - attempts: attempts made so far, this one included (1 after the first).
    ///   - age: time since the event was journaled.
    ///   - jitter: a random number in -1...1 (0 in tests that want the exact schedule), drawn only
    ///     for a retry: deliveries that succeed cost no random number.
    public func decide(_ result: AttemptResult, attempts: Int, age: Duration, jitter: @autoclosure () -> Double) -> RetryDecision {
        let retryAfter: Duration?
        switch result {
        case .status(let code, let after):
            switch config.outcomes.outcome(for: code) {
            case .success?: return .delivered
            case .dead?: return .dead(.permanent(status: code))
            case .retry?: retryAfter = after
            case nil:
                if (200..<300).contains(code) { return .delivered }
                if code == 410 { return .endpointGone }
                guard Self.isRetryable(code) else { return .dead(.permanent(status: code)) }
                retryAfter = after
            }
        case .transportError:
            retryAfter = nil
        }
        guard attempts - 1 < config.schedule.count else {
            return .dead(.exhausted(attempts: attempts, last: result.summary))
        }
        let step = config.schedule[attempts - 1]
        var delay = step * (1 + 0.2 * max(-1, min(1, jitter())))
        if let retryAfter, let largest = config.schedule.max() {
            delay = max(delay, min(retryAfter, largest))
        }
        if age + delay > config.maxAge {
            return .dead(.maxAge(limit: config.maxAge, attempts: attempts, last: result.summary))
        }
        return .retry(after: delay)
    }

    /// 3xx (redirects are never followed), 408, 429 and 5xx.
    public static func isRetryable(_ code: Int) -> Bool {
        (300..<400).contains(code) || code == 408 || code == 429 || (500..<600).contains(code)
    }
}
