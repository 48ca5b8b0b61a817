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
        case settled
        case retry(PendingDelivery)
        case endpointGone(String)
    }

    /// Everything that changes, guarded by `books`.
    private struct Books: ~Copyable {
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
        var idleWorkers: [String: [CheckedContinuation<HeldDelivery?, Never>]] = [:]
    }

    /// What to do once the lock is released.
    private struct Effects {
        var resume: [(CheckedContinuation<HeldDelivery?, Never>, HeldDelivery?)] = []
        var startWorkers: [(EndpointConfig, HeldDelivery)] = []
        var bury: [(HeldDelivery, String, String)] = []
        var readAhead: [(String, [String])] = []
        var wakeup: Int64?
        var startFlusher = false
        var goneEndpoint: String?
    }

    /// How many due deliveries ahead of the line are read back from the journal in one go.
    private static let readAhead = 256
    /// How long acks gather before they are journaled together.
    private static let ackInterval = Duration.milliseconds(10)

    private let endpoints: [String: EndpointConfig]
    private let payloadBudget: Int
    private let context: AttemptContext
    private let logger: Logger
    private let books = Mutex(Books())
    private let timer = Mutex<Task<Void, Never>?>(nil)

    public init(config: HeraldConfig, client: HTTPClient, journal: Journal, deadLetters: DeadLetterStore, stats: DeliveryStats, logger: Logger,
                payloadBudget: Int = 1 << 20, now: @escaping @Sendable () -> Int64 = UnixTime.milliseconds,
                jitter: @escaping @Sendable () -> Double = { Double.random(in: -1...1) }, deliveryLog: DeliveryLog? = nil) {
        self.payloadBudget = payloadBudget
        endpoints = Dictionary(config.endpoints.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        context = AttemptContext(
            client: client, journal: journal, deadLetters: deadLetters, stats: stats, logger: logger, now: now, jitter: jitter,
            routes: Dictionary(config.routes.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first }),
            decoder: EventDecoder(typeField: config.source.typeField, idField: config.source.idField, maxLineBytes: config.source.maxLineBytes),
            recorder: deliveryLog.map { AttemptRecorder(log: $0, redactor: Redactor(secrets: config.secrets)) })
        self.logger = logger
    }

    /// Deliveries not yet settled (queued, waiting for a retry, or in flight).
    public var pendingCount: Int { books.withLock { $0.pending } }

    /// Requests in flight now.
    public var inFlightCount: Int { books.withLock { $0.inFlight } }

    /// Takes journaled deliveries, each id once (the ingestor and the replayer make sure of it).
    public func submit(_ deliveries: [PendingDelivery]) {
        let now = context.now()
        var effects = Effects()
        books.withLock { books in
            books.pending += deliveries.count
            for delivery in deliveries {
                if let reason = books.gone[delivery.endpoint] {
                    effects.bury.append((HeldDelivery(id: delivery.id, box: .init(delivery)), reason, "gone"))
                } else if let endpoint = endpoints[delivery.endpoint] {
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
            guard let endpoint = endpoints[name], endpoint.enabled else { continue }
            for held in books.queues[name]!.takeStartable(now: now) {
                books.inFlight += 1
                books.heldBytes -= held.payloadBytes
                if let worker = books.idleWorkers[name]?.popLast() {
                    effects.resume.append((worker, held))
                } else {
                    effects.startWorkers.append((endpoint, held))
                }
            }
            if let next = books.queues[name]!.nextWakeup, next < (books.timerDeadline ?? .max) {
                books.timerDeadline = next
                effects.wakeup = next
            }
            readAhead(name, &books, &effects)
        }
    }

    /// Resumes workers, starts tasks and timers: the side of the books that must not run locked.
    private func perform(_ effects: Effects) {
        for (worker, held) in effects.resume { worker.resume(returning: held) }
        for (endpoint, held) in effects.startWorkers { startWorker(endpoint: endpoint, first: held) }
        for (held, reason, kind) in effects.bury { deadLetter(held, reason: reason, kind: kind) }
        for (endpoint, ids) in effects.readAhead { hydrate(endpoint, ids) }
        if let endpoint = effects.goneEndpoint {
            logger.critical("endpoint retired by its receiver (HTTP 410 Gone): pausing it and dead-lettering its deliveries until the config changes",
                            metadata: ["endpoint": "\(endpoint)"])
        }
        if effects.startFlusher { Task { await self.flushAcks() } }
        if let wakeup = effects.wakeup { schedule(wakeup) }
    }

    /// A worker: attempts deliveries for one endpoint until the dispatcher stops.
    private func startWorker(endpoint: EndpointConfig, first: HeldDelivery) {
        Task {
            var next: HeldDelivery? = first
            while let held = next {
                let outcome: Outcome
                if let delivery = await context.load(held) {
                    outcome = await context.attempt(delivery, endpoint: endpoint)
                } else {
                    logger.warning("a queued delivery is no longer in the journal; dropping it from the queue", metadata: ["delivery_id": "\(held.id)"])
                    outcome = .settled
                }
                next = await finishAndTakeNext(held.id, endpoint: endpoint.name, outcome: outcome)
            }
        }
    }

    /// Books an outcome and hands the worker its next delivery, waiting for one if none is due.
    private func finishAndTakeNext(_ id: String, endpoint: String, outcome: Outcome) async -> HeldDelivery? {
        var effects = Effects()
        let now = context.now()
        let taken: HeldDelivery?? = books.withLock { books in
            finish(id, endpoint: endpoint, outcome: outcome, now: now, &books, &effects)
            guard books.accepting else { return .some(nil) }
            if let held = take(endpoint, now: now, &books, &effects) { return .some(held) }
            pump(&books, now: now, &effects)
            return nil
        }
        perform(effects)
        if let taken { return taken }
        return await withCheckedContinuation { worker in
            var effects = Effects()
            let immediate: HeldDelivery?? = books.withLock { books in
                guard books.accepting else { return .some(nil) }
                if let held = take(endpoint, now: context.now(), &books, &effects) { return .some(held) }
                books.idleWorkers[endpoint, default: []].append(worker)
                return nil
            }
            perform(effects)
            if let immediate { worker.resume(returning: immediate) }
        }
    }

    private func take(_ endpoint: String, now: Int64, _ books: inout Books, _ effects: inout Effects) -> HeldDelivery? {
        guard endpoints[endpoint]?.enabled == true, let held = books.queues[endpoint]?.takeOne(now: now) else { return nil }
        books.inFlight += 1
        books.heldBytes -= held.payloadBytes
        readAhead(endpoint, &books, &effects)
        return held
    }

    private func finish(_ id: String, endpoint: String, outcome: Outcome, now: Int64, _ books: inout Books, _ effects: inout Effects) {
        books.inFlight -= 1
        books.queues[endpoint]?.finished()
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
            } else {
                let held = hold(next, now: now, books: &books)
                books.queues[endpoint]?.add(held, notBefore: next.notBefore, now: now)
                if next.notBefore < (books.timerDeadline ?? .max) {
                    books.timerDeadline = next.notBefore
                    effects.wakeup = next.notBefore
                }
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
