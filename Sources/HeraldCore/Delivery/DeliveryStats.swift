import Synchronization

/// Counters of everything that happened to events and deliveries, each with a reason where one
/// applies, so that nothing disappears silently. Shared by the ingest loop and the dispatcher.
public final class DeliveryStats: Sendable {
    public struct Snapshot: Sendable, Equatable {
        public var linesRead = 0
        public var eventsRouted = 0
        public var eventsUnrouted = 0
        /// Rejected lines by reason (`invalid_json`, …).
        public var rejected: [String: Int] = [:]
        public var deliveriesEnqueued = 0
        public var duplicatesSkipped = 0
        public var delivered = 0
        public var retried = 0
        /// Dead letters by reason kind (`permanent`, `exhausted`, `max_age`, `gone`, `render`, `removed`).
        public var dead: [String: Int] = [:]
        public var replayed = 0
        /// Config reloads by result: `applied` or `rejected`.
        public var reloads: [String: Int] = [:]

        public var rejectedTotal: Int { rejected.values.reduce(0, +) }
        public var deadTotal: Int { dead.values.reduce(0, +) }
    }

    private let state = Mutex(Snapshot())

    public init() {}

    public var snapshot: Snapshot { state.withLock { $0 } }

    func update(_ body: (inout Snapshot) -> Void) {
        state.withLock { body(&$0) }
    }
}
