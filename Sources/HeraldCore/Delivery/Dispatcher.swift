import Glibc
import HeraldHTTP
import HeraldJournal
import Logging

/// Sends journaled deliveries: one queue per endpoint with at most `concurrency` requests in
/// flight, retries on the endpoint's schedule, dead letters for what cannot be delivered.
/// Every outcome is journaled before the delivery is forgotten.
///
/// The actor only keeps the books. Each endpoint has up to `concurrency` worker tasks that run
/// attempts (HTTP, journal and dead-letter I/O) outside the actor and, in one call, report an
/// outcome and take the next delivery; idle workers wait for work rather than being recreated.
///
/// Memory stays bounded however large the backlog: payloads are kept in memory only for due
/// deliveries within `payloadBudget` bytes. Every other delivery is held as a stub (its payload
/// emptied) and read back from the journal when it is started.
public actor Dispatcher {
    /// What a finished attempt means for the books.
    enum Outcome: Sendable {
        /// 2xx: the ack is journaled in the next batch of acks.
        case delivered
        case settled
        case retry(PendingDelivery)
        case endpointGone(String)
    }

    private let endpoints: [String: EndpointConfig]
    private let payloadBudget: Int
    private var heldBytes = 0
    private let context: AttemptContext
    private let logger: Logger
    private var queues: [String: DeliveryQueue] = [:]
    /// Deliveries submitted and not yet settled (the journal holds their ids).
    private var pending = 0
    /// Endpoints that answered 410 Gone, with the reason their deliveries are dead-lettered.
    private var gone: [String: String] = [:]
    private var inFlight = 0
    private var accepting = true
    private var timer: Task<Void, Never>?
    private var timerDeadline: Int64?
    /// Acks not yet journaled, written together by one flusher (one fdatasync for many deliveries).
    private var unflushedAcks: [String] = []
    private var flusher: Task<Void, Never>?
    /// Endpoints with a read-ahead of stubs from the journal under way.
    private var hydrating: Set<String> = []
    /// How many due deliveries ahead of the line are read back from the journal in one go.
    private static let readAhead = 256
    /// How long acks gather before they are journaled together.
    private static let ackInterval = Duration.milliseconds(10)
    /// Workers waiting for a delivery, by endpoint.
    private var idleWorkers: [String: [CheckedContinuation<HeldDelivery?, Never>]] = [:]

    public init(config: HeraldConfig, client: HTTPClient, journal: Journal, deadLetters: DeadLetterStore, stats: DeliveryStats, logger: Logger,
                payloadBudget: Int = 1 << 20, now: @escaping @Sendable () -> Int64 = UnixTime.milliseconds,
                jitter: @escaping @Sendable () -> Double = { Double.random(in: -1...1) }) {
        self.payloadBudget = payloadBudget
        endpoints = Dictionary(config.endpoints.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        context = AttemptContext(client: client, journal: journal, deadLetters: deadLetters, stats: stats, logger: logger, now: now, jitter: jitter)
        self.logger = logger
    }

    /// Deliveries not yet settled (queued, waiting for a retry, or in flight).
    public var pendingCount: Int { pending }

    /// Requests in flight now.
    public var inFlightCount: Int { inFlight }

    /// Takes journaled deliveries, each id once (the ingestor and the replayer make sure of it).
    public func submit(_ deliveries: [PendingDelivery]) {
        let now = context.now()
        pending += deliveries.count
        for delivery in deliveries {
            if let reason = gone[delivery.endpoint] {
                deadLetter(HeldDelivery(id: delivery.id, box: .init(delivery)), reason: reason, kind: "gone")
            } else if let endpoint = endpoints[delivery.endpoint] {
                queues[delivery.endpoint, default: DeliveryQueue(concurrency: endpoint.concurrency)].add(hold(delivery, now: now), notBefore: delivery.notBefore, now: now)
            } else {
                deadLetter(HeldDelivery(id: delivery.id, box: .init(delivery)), reason: "endpoint '\(delivery.endpoint)' is no longer in the config", kind: "removed")
            }
        }
        pump()
    }

    /// Stops starting requests; those in flight finish.
    public func stop() {
        accepting = false
        timer?.cancel()
        timer = nil
        for worker in idleWorkers.values.joined() { worker.resume(returning: nil) }
        idleWorkers.removeAll()
    }

    private func pump() {
        guard accepting else { return }
        let now = context.now()
        var wakeup: Int64?
        // A copy of the keys: iterating `queues.keys` while mutating `queues` would copy every
        // queue on each pump (copy-on-write), making delivery quadratic.
        for name in Array(queues.keys) {
            guard let endpoint = endpoints[name], endpoint.enabled else { continue }
            for held in queues[name]!.takeStartable(now: now) {
                inFlight += 1
                heldBytes -= held.payloadBytes
                if let worker = idleWorkers[name]?.popLast() {
                    worker.resume(returning: held)
                } else {
                    startWorker(endpoint: endpoint, first: held)
                }
            }
            if let next = queues[name]!.nextWakeup { wakeup = min(wakeup ?? next, next) }
            readAhead(name)
        }
        schedule(wakeup)
    }

    /// A worker: attempts deliveries for one endpoint until the dispatcher stops.
    private func startWorker(endpoint: EndpointConfig, first: HeldDelivery) {
        let context = context
        Task { [weak self] in
            var next: HeldDelivery? = first
            while let held = next {
                let outcome: Outcome
                if let delivery = await context.load(held) {
                    outcome = await context.attempt(delivery, endpoint: endpoint)
                } else {
                    context.logger.warning("a queued delivery is no longer in the journal; dropping it from the queue", metadata: ["delivery_id": "\(held.id)"])
                    outcome = .settled
                }
                next = await self?.finishAndTakeNext(held.id, endpoint: endpoint.name, outcome: outcome)
            }
        }
    }

    /// Books an outcome and hands the worker its next delivery, waiting for one if none is due.
    private func finishAndTakeNext(_ id: String, endpoint: String, outcome: Outcome) async -> HeldDelivery? {
        finish(id, endpoint: endpoint, outcome: outcome)
        guard accepting else { return nil }
        if let held = queues[endpoint]?.takeOne(now: context.now()) {
            inFlight += 1
            heldBytes -= held.payloadBytes
            readAhead(endpoint)
            return held
        }
        pump()
        return await withCheckedContinuation { idleWorkers[endpoint, default: []].append($0) }
    }

    /// Reads the stubs next in line back from the journal in one request, so that a backlog
    /// costs one journal round trip per `readAhead` deliveries rather than one each.
    private func readAhead(_ endpoint: String) {
        guard !hydrating.contains(endpoint), heldBytes < payloadBudget,
            let ids = queues[endpoint]?.stubsAtFront(limit: Self.readAhead), !ids.isEmpty
        else { return }
        hydrating.insert(endpoint)
        let journal = context.journal
        Task { [weak self] in
            let loaded = await journal.read(ids)
            var byID: [String: PendingDelivery] = [:]
            for case let delivery? in loaded { byID[delivery.id] = delivery }
            await self?.hydrated(endpoint, byID)
        }
    }

    private func hydrated(_ endpoint: String, _ loaded: [String: PendingDelivery]) {
        hydrating.remove(endpoint)
        let added = queues[endpoint]?.hydrate(loaded, within: Self.readAhead * 2) ?? 0
        heldBytes += added
        if added > 0 { pump() }
    }

    private func finish(_ id: String, endpoint: String, outcome: Outcome) {
        inFlight -= 1
        queues[endpoint]?.finished()
        switch outcome {
        case .delivered:
            pending -= 1
            unflushedAcks.append(id)
            if flusher == nil { flusher = Task { [weak self] in await self?.flushAcks() } }
        case .settled:
            pending -= 1
        case .retry(let next):
            if let reason = gone[endpoint] {
                deadLetter(HeldDelivery(id: next.id, box: .init(next)), reason: reason, kind: "gone")
            } else {
                let now = context.now()
                queues[endpoint]?.add(hold(next, now: now), notBefore: next.notBefore, now: now)
            }
        case .endpointGone(let reason):
            pending -= 1
            if gone[endpoint] == nil {
                gone[endpoint] = reason
                logger.critical("endpoint retired by its receiver (HTTP 410 Gone): pausing it and dead-lettering its deliveries until the config changes",
                                metadata: ["endpoint": "\(endpoint)"])
                for held in queues[endpoint]?.removeAll() ?? [] { deadLetter(held, reason: reason, kind: "gone") }
            }
        }
    }

    /// The delivery as it should wait in a queue: with its payload when it is due and the budget
    /// allows, otherwise as a stub whose payload the journal keeps.
    private func hold(_ delivery: PendingDelivery, now: Int64) -> HeldDelivery {
        guard delivery.notBefore <= now, heldBytes + delivery.payload.count <= payloadBudget else {
            return HeldDelivery(id: delivery.id)
        }
        heldBytes += delivery.payload.count
        return HeldDelivery(id: delivery.id, box: .init(delivery))
    }

    /// Journals acks in batches until none are waiting, one batch (one fdatasync) per
    /// `ackInterval` at most. An ack lost to a crash before its batch is synced means that
    /// delivery is sent again with the same webhook-id: a duplicate, never a loss.
    private func flushAcks() async {
        while !unflushedAcks.isEmpty {
            if accepting, unflushedAcks.count < 4096 { try? await Task.sleep(for: Self.ackInterval) }
            let batch = unflushedAcks
            unflushedAcks.removeAll(keepingCapacity: true)
            await context.record(batch.map { JournalRecord.ack(id: $0) })
        }
        flusher = nil
    }

    /// Waits until every ack so far is journaled.
    public func flush() async {
        while let flusher {
            await flusher.value
        }
    }

    /// Dead-letters a delivery that never reached an attempt; `pending` clears once it is durable.
    private func deadLetter(_ held: HeldDelivery, reason: String, kind: String) {
        let context = context
        Task { [weak self] in
            if let delivery = await context.load(held) { await context.bury(delivery, reason: reason, kind: kind) }
            await self?.forget(held.id)
        }
    }

    private func forget(_ id: String) {
        pending -= 1
    }

    /// Wakes the pump when the earliest delayed delivery is due.
    private func schedule(_ wakeup: Int64?) {
        guard let wakeup else { return }
        if let current = timerDeadline, current <= wakeup, timer != nil { return }
        timer?.cancel()
        timerDeadline = wakeup
        let delay = max(0, wakeup - context.now())
        timer = Task { [weak self] in
            try? await Task.sleep(for: .milliseconds(delay))
            guard !Task.isCancelled else { return }
            await self?.timerFired()
        }
    }

    private func timerFired() {
        timer = nil
        timerDeadline = nil
        pump()
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
