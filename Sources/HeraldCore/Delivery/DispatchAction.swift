import HeraldJournal

/// What the dispatch machine asks its shell to do; the shell reports each one's result back as
/// an input.
enum DispatchAction: Sendable {
    /// Send this delivery now (its payload is in memory), under this endpoint config. The box is
    /// the one the queue held: shared, not copied.
    case start(HeldDelivery.Box, CurrentEndpoint)
    /// Send these deliveries as one request (the endpoint's `batch`), reported as one attempt
    /// under `id`, the first member's id.
    case startBatch(id: String, [HeldDelivery.Box], CurrentEndpoint)
    /// Journal these acks and attempt records together (one fdatasync), then report
    /// ``DispatchMachine/journalWritten(now:)`` or ``DispatchMachine/journalFailed(_:now:)``.
    case journal([JournalRecord])
    /// Move these deliveries to the dead letters, then report ``DispatchMachine/buried(_:now:)``.
    case bury([DispatchMachine.Burial])
    /// Read these stubs' payloads back from the journal, then report
    /// ``DispatchMachine/readBack(endpoint:_:now:)``.
    case readBack(endpoint: String, ids: [String])
    /// The one wake-up: call ``DispatchMachine/timeReached(now:)`` at this time (Unix ms); nil
    /// disarms it. Emitted only when it changes.
    case arm(Int64?)
    /// Something to count or log.
    case notice(DispatchNotice)
}

/// What happened, for the shell's logs, counters and status.
enum DispatchNotice: Sendable, Equatable {
    /// A 2xx answer (its ack is journaled in the next batch).
    case delivered(endpoint: String)
    /// A failed attempt that will be tried again after `delay` ms.
    case retrying(PendingDelivery, error: String, delay: Int64)
    case breaker(endpoint: String, CircuitBreaker.Transition)
    /// The endpoint answered 410 Gone (`reason` .gone) or failed for longer than its
    /// `disable_after` (.disabled): it is paused and its deliveries are being buried.
    case endpointGone(endpoint: String, reason: DeadLetterReason)
    /// Deliveries are now in the dead letters, durably (one notice per batch and reason).
    case buried([DispatchMachine.Burial])
    /// A batch of dead letters could not be written; they stay pending and are tried again.
    /// `failures`: consecutive failures so far, 1 for the first of an episode (the one to log).
    case buryFailed(count: Int, error: JournalError, retryIn: Int64, failures: Int)
    /// Acks and attempt records could not be journaled; they are tried again.
    case journalFailed(records: Int, error: JournalError, retryIn: Int64, failures: Int)
    /// Payloads could not be read back from the journal; those deliveries wait and are read again.
    case readBackFailed(endpoint: String, count: Int, error: JournalError, retryIn: Int64, failures: Int)
    /// A journal operation that had failed `failures` times in a row has succeeded: the episode is over.
    case recovered(JournalTask, failures: Int)
    /// Queued deliveries that the journal no longer holds as pending (settled elsewhere).
    case dropped(endpoint: String, ids: [String])
    /// Which endpoints are paused or failing changed.
    case status(DispatchStatus)
}

/// The dispatcher's uses of the journal that can fail and are retried, for the notices that say so.
enum JournalTask: Sendable, Equatable {
    /// Journaling acks and attempt records.
    case outcomes
    /// Writing dead letters and their `dead` records.
    case burial
    /// Reading an endpoint's queued payloads back.
    case readBack(endpoint: String)
}

/// Endpoints that are not sending normally, pushed to readiness and metrics when it changes.
public struct DispatchStatus: Sendable, Equatable {
    /// Endpoints whose circuit is open (failing; probed after the cool-down).
    public var openCircuits: [String] = []
    /// Endpoints paused after answering 410 Gone, with the reason.
    public var gone: [String: String] = [:]
    /// The current limit of each endpoint with adaptive concurrency.
    public var concurrencyLimits: [String: Int] = [:]
    /// Since when (Unix ms) each failing endpoint has failed without a success: kept across
    /// restarts for `disable_after`.
    public var failingSince: [String: Int64] = [:]

    public init(openCircuits: [String] = [], gone: [String: String] = [:], concurrencyLimits: [String: Int] = [:], failingSince: [String: Int64] = [:]) {
        self.openCircuits = openCircuits
        self.gone = gone
        self.concurrencyLimits = concurrencyLimits
        self.failingSince = failingSince
    }
}
