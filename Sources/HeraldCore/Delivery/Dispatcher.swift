import Glibc
import HeraldHTTP
import HeraldJournal
import Logging
import Synchronization

/// Sends journaled deliveries: one queue per endpoint with at most `concurrency` requests in
/// flight, retries on the endpoint's schedule, dead letters for what cannot be delivered.
/// Every outcome is journaled before the delivery is forgotten.
///
/// The books (queues, counters, idle workers) sit behind one mutex that is held only to update
/// them; everything else — resuming workers, starting tasks, I/O — happens after it is released.
/// Each endpoint has up to `concurrency` worker tasks that run attempts and, in one call, report
/// an outcome and take the next delivery, without a hop to another executor.
///
/// Memory stays bounded however large the backlog: payloads are kept in memory only for due
/// deliveries within `payloadBudget` bytes; every other delivery is held as its id and read back
/// from the journal shortly before its turn.
public final class Dispatcher: Sendable {
    /// What a finished attempt means for the books.
    enum Outcome: Sendable {
        /// 2xx: the ack is journaled in the next batch of acks.
        case delivered
        /// Dead-lettered or dropped; `health` is what the attempt showed of the endpoint, if it made one.
        case settled(EndpointHealth?)
        case retry(PendingDelivery)
        case endpointGone(String)
    }

    /// What an attempt showed of its endpoint, for the circuit breaker.
    enum EndpointHealth: Sendable {
        /// It answered: 2xx or a permanent 4xx.
        case alive
        /// A retryable failure: network error, timeout, 3xx, 408, 429 or 5xx.
        case failing
    }

    /// A delivery handed to a worker, with its endpoint's config in force at that moment.
    struct Assignment: Sendable {
        var held: HeldDelivery
        var endpoint: EndpointConfig
    }

    /// Everything that changes, guarded by `books`.
    private struct Books: ~Copyable {
        /// Endpoints of the config in force (a reload replaces them).
        var endpoints: [String: EndpointConfig]
        /// Rate limit and circuit breaker per endpoint.
        var gates: [String: EndpointGate] = [:]
        var queues: [String: DeliveryQueue] = [:]
        var heldBytes = 0
        /// Deliveries submitted and not yet settled (the journal holds their ids).
        var pending = 0
        /// Endpoints that answered 410 Gone, with the reason their deliveries are dead-lettered.
        var gone: [String: String] = [:]
        var inFlight = 0
        var accepting = true
        var timerDeadline: Int64?
        /// Acks not yet journaled, written together by one flusher (one fdatasync for many).
        var unflushedAcks: [String] = []
        var flushing = false
        /// Endpoints with a read-ahead of stubs from the journal under way.
        var hydrating: Set<String> = []
        /// Workers waiting for a delivery, by endpoint.
        var idleWorkers: [String: [CheckedContinuation<Assignment?, Never>]] = [:]
    }

    /// What to do once the lock is released.
    private struct Effects {
        var resume: [(CheckedContinuation<Assignment?, Never>, Assignment?)] = []
        var startWorkers: [Assignment] = []
        var bury: [(HeldDelivery, String, String)] = []
        var readAhead: [(String, [String])] = []
        var wakeup: Int64?
        var startFlusher = false
        var goneEndpoint: String?
        var breakerChanges: [(String, CircuitBreaker.Transition)] = []
    }

    /// How many due deliveries ahead of the line are read back from the journal in one go.
    private static let readAhead = 256
    /// How long acks gather before they are journaled together.
    private static let ackInterval = Duration.milliseconds(10)

    private let payloadBudget: Int
    private let context: AttemptContext
    private let logger: Logger
    private let books: Mutex<Books>
    private let timer = Mutex<Task<Void, Never>?>(nil)

    public init(live: LiveConfig, client: HTTPClient, journal: Journal, deadLetters: DeadLetterStore, stats: DeliveryStats, logger: Logger,
                payloadBudget: Int = 1 << 20, now: @escaping @Sendable () -> Int64 = UnixTime.milliseconds,
                jitter: @escaping @Sendable () -> Double = { Double.random(in: -1...1) }, deliveryLog: DeliveryLog? = nil) {
        self.payloadBudget = payloadBudget
        let endpoints = live.current.endpoints
        let start = now()
        var books = Books(endpoints: endpoints)
        for (name, endpoint) in endpoints { books.gates[name] = EndpointGate(endpoint: endpoint, now: start) }
        self.books = Mutex(books)
        context = AttemptContext(client: client, journal: journal, deadLetters: deadLetters, stats: stats, logger: logger, now: now, jitter: jitter, live: live,
                                 recorder: deliveryLog.map { AttemptRecorder(log: $0, secrets: .shared) })
        self.logger = logger
    }

    /// Deliveries not yet settled (queued, waiting for a retry, or in flight).
    public var pendingCount: Int { books.withLock { $0.pending } }

    /// Requests in flight now.
    public var inFlightCount: Int { books.withLock { $0.inFlight } }

    /// Endpoints whose circuit is open now (failing; probed after the cool-down).
    public var openCircuits: [String] {
        books.withLock { books in books.gates.filter { $0.value.breaker.isOpen }.map(\.key).sorted() }
    }

    /// Endpoints paused after answering 410 Gone, with the reason.
    public var goneEndpoints: [String: String] { books.withLock { $0.gone } }

    /// Puts a reloaded config's endpoints in force. Queued and in-flight deliveries carry on:
    /// an endpoint that is gone from the config has its queue dead-lettered (replayable once it
    /// is back), a disabled one keeps its queue without sending, a changed one sends the rest
    /// under its new settings. Endpoints paused by 410 Gone are resumed.
    public func reconfigure(_ generation: ConfigGeneration) {
        let now = context.now()
        var effects = Effects()
        books.withLock { books in
            books.endpoints = generation.endpoints
            books.gone.removeAll()
            var gates: [String: EndpointGate] = [:]
            for (name, endpoint) in generation.endpoints {
                gates[name] = books.gates[name].map { $0.reconfigured(for: endpoint, now: now) } ?? EndpointGate(endpoint: endpoint, now: now)
                books.queues[name]?.concurrency = max(1, endpoint.concurrency)
            }
            books.gates = gates
            for name in Array(books.queues.keys) where generation.endpoints[name] == nil {
                for held in books.queues[name]?.removeAll() ?? [] {
                    books.heldBytes -= held.payloadBytes
                    effects.bury.append((held, "endpoint '\(name)' was removed from the config", "removed"))
                }
            }
            pump(&books, now: now, &effects)
        }
        perform(effects)
    }

    /// Takes journaled deliveries, each id once (the ingestor and the replayer make sure of it).
    public func submit(_ deliveries: [PendingDelivery]) {
        let now = context.now()
        var effects = Effects()
        books.withLock { books in
            books.pending += deliveries.count
            for delivery in deliveries {
                if let reason = books.gone[delivery.endpoint] {
                    effects.bury.append((HeldDelivery(id: delivery.id, box: .init(delivery)), reason, "gone"))
                } else if let endpoint = books.endpoints[delivery.endpoint] {
                    let held = hold(delivery, now: now, books: &books)
                    books.queues[delivery.endpoint, default: DeliveryQueue(concurrency: endpoint.concurrency)].add(held, notBefore: delivery.notBefore, now: now)
                } else {
                    effects.bury.append((HeldDelivery(id: delivery.id, box: .init(delivery)), "endpoint '\(delivery.endpoint)' is no longer in the config", "removed"))
                }
            }
            pump(&books, now: now, &effects)
        }
        perform(effects)
    }

    /// Stops starting requests; those in flight finish.
    public func stop() {
        let idle = books.withLock { books in
            books.accepting = false
            defer { books.idleWorkers.removeAll() }
            return Array(books.idleWorkers.values.joined())
        }
        timer.withLock { $0?.cancel() }
        for worker in idle { worker.resume(returning: nil) }
    }

    /// Waits until every ack so far is journaled.
    public func flush() async {
        while books.withLock({ $0.flushing }) { try? await Task.sleep(for: .milliseconds(2)) }
    }

    /// Starts what can start now, in every queue. Called with the books locked.
    private func pump(_ books: inout Books, now: Int64, _ effects: inout Effects) {
        guard books.accepting else { return }
        for name in Array(books.queues.keys) {
            while let assignment = take(name, now: now, &books, &effects) {
                if let worker = books.idleWorkers[name]?.popLast() {
                    effects.resume.append((worker, assignment))
                } else {
                    effects.startWorkers.append(assignment)
                }
            }
            if let next = books.queues[name]!.nextWakeup { wake(at: next, &books, &effects) }
        }
    }

    /// Makes sure the pump runs again at `time` (Unix ms).
    private func wake(at time: Int64, _ books: inout Books, _ effects: inout Effects) {
        guard time < (books.timerDeadline ?? .max) else { return }
        books.timerDeadline = time
        effects.wakeup = time
    }

    /// Resumes workers, starts tasks and timers: the side of the books that must not run locked.
    private func perform(_ effects: Effects) {
        for (worker, assignment) in effects.resume { worker.resume(returning: assignment) }
        for assignment in effects.startWorkers { startWorker(first: assignment) }
        for (held, reason, kind) in effects.bury { deadLetter(held, reason: reason, kind: kind) }
        for (endpoint, ids) in effects.readAhead { hydrate(endpoint, ids) }
        if let endpoint = effects.goneEndpoint {
            logger.critical("endpoint retired by its receiver (HTTP 410 Gone): pausing it and dead-lettering its deliveries until the config changes",
                            metadata: ["endpoint": "\(endpoint)"])
        }
        for (endpoint, change) in effects.breakerChanges { logBreaker(endpoint, change) }
        if effects.startFlusher { Task { await self.flushAcks() } }
        if let wakeup = effects.wakeup { schedule(wakeup) }
    }

    /// A worker: attempts deliveries for one endpoint until the dispatcher stops.
    private func startWorker(first: Assignment) {
        Task {
            var next: Assignment? = first
            while let assignment = next {
                let held = assignment.held
                let outcome: Outcome
                if let delivery = await context.load(held) {
                    outcome = await context.attempt(delivery, endpoint: assignment.endpoint)
                } else {
                    logger.warning("a queued delivery is no longer in the journal; dropping it from the queue", metadata: ["delivery_id": "\(held.id)"])
                    outcome = .settled(nil)
                }
                next = await finishAndTakeNext(held.id, endpoint: assignment.endpoint.name, outcome: outcome)
            }
        }
    }

    private func logBreaker(_ endpoint: String, _ change: CircuitBreaker.Transition) {
        switch change {
        case .opened(let failures, let until):
            logger.error("circuit opened: endpoint keeps failing; pausing it, then probing with one request", metadata: [
                "endpoint": "\(endpoint)", "failures": "\(failures)", "probe_in": "\(ConfigDuration.format(.milliseconds(max(0, until - context.now()))))",
            ])
        case .reopened(let until):
            logger.warning("circuit probe failed; endpoint stays paused", metadata: [
                "endpoint": "\(endpoint)", "probe_in": "\(ConfigDuration.format(.milliseconds(max(0, until - context.now()))))",
            ])
        case .closed:
            logger.notice("circuit closed: endpoint answers again; sending resumes", metadata: ["endpoint": "\(endpoint)"])
        }
    }

    /// Books an outcome and hands the worker its next delivery, waiting for one if none is due.
    private func finishAndTakeNext(_ id: String, endpoint: String, outcome: Outcome) async -> Assignment? {
        var effects = Effects()
        let now = context.now()
        let taken: Assignment?? = books.withLock { books in
            finish(id, endpoint: endpoint, outcome: outcome, now: now, &books, &effects)
            guard books.accepting else { return .some(nil) }
            let next = take(endpoint, now: now, &books, &effects)
            // A closed circuit lets every idle worker go again, not only this one.
            if next == nil || !effects.breakerChanges.isEmpty { pump(&books, now: now, &effects) }
            return next.map { .some($0) }
        }
        perform(effects)
        if let taken { return taken }
        return await withCheckedContinuation { worker in
            var effects = Effects()
            let immediate: Assignment?? = books.withLock { books in
                guard books.accepting else { return .some(nil) }
                if let held = take(endpoint, now: context.now(), &books, &effects) { return .some(held) }
                books.idleWorkers[endpoint, default: []].append(worker)
                return nil
            }
            perform(effects)
            if let immediate { worker.resume(returning: immediate) }
        }
    }

    /// The endpoint's next delivery, if one is due and its concurrency, rate limit and circuit
    /// breaker allow; otherwise arranges to look again when the gate opens.
    private func take(_ name: String, now: Int64, _ books: inout Books, _ effects: inout Effects) -> Assignment? {
        guard books.accepting, let endpoint = books.endpoints[name], endpoint.enabled, books.queues[name]?.canStart(now: now) == true else { return nil }
        if let until = books.gates[name]?.blockedUntil(now: now) {
            if until != .max { wake(at: until, &books, &effects) }
            return nil
        }
        guard let held = books.queues[name]?.takeOne(now: now) else { return nil }
        books.gates[name]?.started(now: now)
        books.inFlight += 1
        books.heldBytes -= held.payloadBytes
        readAhead(name, &books, &effects)
        return Assignment(held: held, endpoint: endpoint)
    }

    private func finish(_ id: String, endpoint: String, outcome: Outcome, now: Int64, _ books: inout Books, _ effects: inout Effects) {
        books.inFlight -= 1
        books.queues[endpoint]?.finished()
        let change: CircuitBreaker.Transition?
        switch outcome {
        case .delivered, .settled(.alive): change = books.gates[endpoint]?.succeeded()
        case .retry, .settled(.failing): change = books.gates[endpoint]?.failed(now: now)
        case .settled(nil), .endpointGone: change = nil
        }
        if let change { effects.breakerChanges.append((endpoint, change)) }
        switch outcome {
        case .delivered:
            books.pending -= 1
            books.unflushedAcks.append(id)
            if !books.flushing {
                books.flushing = true
                effects.startFlusher = true
            }
        case .settled:
            books.pending -= 1
        case .retry(let next):
            if let reason = books.gone[endpoint] {
                effects.bury.append((HeldDelivery(id: next.id, box: .init(next)), reason, "gone"))
            } else if let config = books.endpoints[endpoint] {
                let held = hold(next, now: now, books: &books)
                books.queues[endpoint, default: DeliveryQueue(concurrency: config.concurrency)].add(held, notBefore: next.notBefore, now: now)
                wake(at: next.notBefore, &books, &effects)
            } else {
                effects.bury.append((HeldDelivery(id: next.id, box: .init(next)), "endpoint '\(endpoint)' was removed from the config", "removed"))
            }
        case .endpointGone(let reason):
            books.pending -= 1
            if books.gone[endpoint] == nil {
                books.gone[endpoint] = reason
                effects.goneEndpoint = endpoint
                for held in books.queues[endpoint]?.removeAll() ?? [] { effects.bury.append((held, reason, "gone")) }
            }
        }
    }

    /// The delivery as it should wait in a queue: with its payload when it is due and the budget
    /// allows, otherwise as its id alone (the journal keeps the payload).
    private func hold(_ delivery: PendingDelivery, now: Int64, books: inout Books) -> HeldDelivery {
        guard delivery.notBefore <= now, books.heldBytes + delivery.payload.count <= payloadBudget else {
            return HeldDelivery(id: delivery.id)
        }
        books.heldBytes += delivery.payload.count
        return HeldDelivery(id: delivery.id, box: .init(delivery))
    }

    /// Picks the ids next in line to read back from the journal in one request, so that a
    /// backlog costs one journal round trip per `readAhead` deliveries rather than one each.
    private func readAhead(_ endpoint: String, _ books: inout Books, _ effects: inout Effects) {
        guard !books.hydrating.contains(endpoint), books.heldBytes < payloadBudget,
            let ids = books.queues[endpoint]?.stubsAtFront(limit: Self.readAhead), !ids.isEmpty
        else { return }
        books.hydrating.insert(endpoint)
        effects.readAhead.append((endpoint, ids))
    }

    private func hydrate(_ endpoint: String, _ ids: [String]) {
        Task {
            let loaded = await context.journal.read(ids)
            var byID: [String: PendingDelivery] = [:]
            for case let delivery? in loaded { byID[delivery.id] = delivery }
            var effects = Effects()
            books.withLock { books in
                books.hydrating.remove(endpoint)
                let added = books.queues[endpoint]?.hydrate(byID, within: Self.readAhead * 2) ?? 0
                books.heldBytes += added
                if added > 0 { pump(&books, now: context.now(), &effects) }
            }
            perform(effects)
        }
    }

    /// Journals acks in batches until none are waiting, one batch (one fdatasync) per
    /// `ackInterval` at most. An ack lost to a crash before its batch is synced means that
    /// delivery is sent again with the same webhook-id: a duplicate, never a loss.
    private func flushAcks() async {
        while true {
            let (waiting, accepting) = books.withLock { ($0.unflushedAcks.count, $0.accepting) }
            if accepting, waiting < 4096 { try? await Task.sleep(for: Self.ackInterval) }
            let batch: [String] = books.withLock { books in
                defer { books.unflushedAcks.removeAll(keepingCapacity: true) }
                if books.unflushedAcks.isEmpty { books.flushing = false }
                return books.unflushedAcks
            }
            guard !batch.isEmpty else { return }
            await context.record(batch.map { JournalRecord.ack(id: $0) })
        }
    }

    /// Dead-letters a delivery that never reached an attempt; `pending` clears once it is durable.
    private func deadLetter(_ held: HeldDelivery, reason: String, kind: String) {
        Task {
            if let delivery = await context.load(held) { await context.bury(delivery, reason: reason, kind: kind) }
            books.withLock { $0.pending -= 1 }
        }
    }

    /// Wakes the pump when the earliest delayed delivery is due.
    private func schedule(_ wakeup: Int64) {
        let delay = max(0, wakeup - context.now())
        let task = Task {
            try? await Task.sleep(for: .milliseconds(delay))
            guard !Task.isCancelled else { return }
            var effects = Effects()
            books.withLock { books in
                if books.timerDeadline == wakeup { books.timerDeadline = nil }
                pump(&books, now: context.now(), &effects)
            }
            perform(effects)
        }
        timer.withLock { current in
            current?.cancel()
            current = task
        }
    }
}

/// Wall-clock milliseconds, the unit the journal stores times in.
public enum UnixTime {
    @Sendable public static func milliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}
