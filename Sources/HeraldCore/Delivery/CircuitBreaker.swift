/// A per-endpoint circuit breaker. After `failures` consecutive retryable failures the circuit
/// opens: nothing is sent to the endpoint for `cooldown`; then one request probes it. A probe
/// that succeeds closes the circuit, one that fails opens it again. Any answer that shows the
/// endpoint is alive (2xx, or a permanent 4xx) counts as a success. Pure: time is an input in
/// Unix milliseconds.
struct CircuitBreaker: Sendable, Equatable {
    enum State: Sendable, Equatable {
        case closed(consecutiveFailures: Int)
        case open(until: Int64)
        /// Cool-down over: one probe may go (`probing` once it has).
        case halfOpen(probing: Bool)
    }

    /// A change worth telling the operator about.
    enum Transition: Sendable, Equatable {
        case opened(failures: Int, until: Int64)
        case reopened(until: Int64)
        case closed
    }

    let threshold: Int
    let cooldownMs: Int64
    private(set) var state: State = .closed(consecutiveFailures: 0)

    /// `threshold` 0 turns the breaker off.
    init(threshold: Int, cooldown: Duration) {
        self.threshold = threshold
        cooldownMs = cooldown.components.seconds * 1000 + cooldown.components.attoseconds / 1_000_000_000_000_000
    }

    var isOpen: Bool {
        if case .closed = state { return false }
        return true
    }

    /// nil when a request may start at `now`; otherwise until when none may (`Int64.max`: until
    /// the probe in flight reports).
    func blockedUntil(now: Int64) -> Int64? {
        switch state {
        case .closed: nil
        case .open(let until): now >= until ? nil : until
        case .halfOpen(let probing): probing ? .max : nil
        }
    }

    /// A request starts (the caller checked `blockedUntil`): past the cool-down it is the probe.
    mutating func started(now: Int64) {
        switch state {
        case .closed: break
        case .open, .halfOpen: state = .halfOpen(probing: true)
        }
    }

    /// The endpoint answered in a way that shows it is alive.
    mutating func succeeded() -> Transition? {
        defer { state = .closed(consecutiveFailures: 0) }
        if case .closed = state { return nil }
        return .closed
    }

    /// A retryable failure: network error, timeout, 3xx, 408, 429 or 5xx.
    mutating func failed(now: Int64) -> Transition? {
        guard threshold > 0 else { return nil }
        switch state {
        case .closed(let failures):
            guard failures + 1 >= threshold else {
                state = .closed(consecutiveFailures: failures + 1)
                return nil
            }
            state = .open(until: now + cooldownMs)
            return .opened(failures: failures + 1, until: now + cooldownMs)
        case .halfOpen:
            state = .open(until: now + cooldownMs)
            return .reopened(until: now + cooldownMs)
        case .open:
            // A request started before the circuit opened: the cool-down already runs.
            return nil
        }
    }
}
