import DequeModule
import HeraldHTTP
import HeraldJournal

/// Every decision about sending journaled deliveries, as one value: per-endpoint queues and
/// per-key ordering, concurrency, rate limit and circuit breaker, retry timing, the payload
/// budget and read-ahead, batching of acks, burying, and what to do when a journal write or read
/// fails. Inputs are method calls that carry the time (Unix ms); outputs are ``DispatchAction``s
/// appended to `actions`. No I/O, no clock, no locks: the ``Dispatcher`` around it locks, feeds
/// inputs and runs actions, and tests drive it alone in virtual time.
///
/// Liveness rests on one rule: after every input the machine computes the single earliest time
/// at which it must act again — a retry falling due, a circuit's cool-down ending, a rate-limit
/// token, an ack batch closing, a failed write's backoff — and arms it. A delivery that is
/// pending and not in flight is therefore always either startable, waiting on an action whose
/// report will come back, or covered by that wake-up.
///
/// Durability: a delivery counts as pending until its settlement is durable — its ack journaled,
/// or its dead letter and `dead` record written. A failed write or read never drops anything: it
/// is retried with backoff.
struct DispatchMachine {
    struct Settings: Sendable {
        /// Bytes of payload kept in memory for queued deliveries; the rest are stubs read back
        /// from the journal shortly before their turn.
        var payloadBudget = 1 << 20
        /// Stubs read back from the journal in one go.
        var readAhead = 256
        /// How long acks gather before they are journaled together (ms).
        var ackInterval: Int64 = 10
        /// A batch of acks is written at once when it reaches this size.
        var maxBatchRecords = 4096
        /// Deliveries buried in one batch (one log line, one directory sync, one journal sync).
        var buryBatch = 256
        /// Backoff after a failed journal write, read or dead-letter write: doubles from `first`
        /// up to `max` (ms).
        var backoffFirst: Int64 = 100
        var backoffMax: Int64 = 10_000
        /// Seed of the jitter drawn for retries (tests fix it).
        var seed: UInt64 = 0x5EED

        init() {}
    }

    /// A delivery on its way to the dead letters.
    struct Burial: Sendable, Equatable {
        var id: String
        var endpoint: String
        var reason: DeadLetterReason
        /// The attempt state to record when it is newer than the journal's (after an attempt).
        var attempts: Int?
        var lastError: String?
        /// Event id and route, for the log line of a single burial (nil for stubs).
        var eventID: String?
        var route: String?
    }

    /// How an attempt ended, as the shell saw it.
    enum AttemptReport: Sendable, Equatable {
        /// The endpoint answered, or the transport failed.
        case sent(AttemptResult)
        /// The request could not be built (unreadable payload, a transform that fails now).
        case unsendable(DeadLetterReason)
    }

    private struct Endpoint {
        let name: String
        /// The config in force, in a box that each `.start` shares instead of copying.
        var current: CurrentEndpoint
        var config: EndpointConfig {
            get { current.config }
            set { current = CurrentEndpoint(newValue) }
        }
        var gate: EndpointGate
        var queue = EndpointQueue()
        var inFlight = 0
        /// The limit's state when `concurrency` is adaptive.
        var adaptive: AdaptiveConcurrency?
        /// Paused after 410 Gone (or `disable_after`), with the reason its deliveries are buried.
        var gone: DeadLetterReason?
        /// When its current run of failures began (Unix ms); nil once an attempt succeeds.
        var failingSince: Int64?
        var readingBack = false
        var readFailures = 0
        /// When it next needs the machine, if it waits on time.
        var deadline: Int64?

        init(_ config: EndpointConfig, now: Int64) {
            name = config.name
            current = CurrentEndpoint(config)
            gate = EndpointGate(endpoint: config, now: now)
            adaptive = config.adaptiveConcurrency ? AdaptiveConcurrency(maximum: config.concurrency) : nil
        }

        var concurrency: Int { adaptive?.limit ?? max(1, config.concurrency) }
    }

    /// A delivery in flight: what the machine needs when its attempt reports.
    private struct Flight {
        /// The delivery as it was started (shared with the `.start` action, not copied).
        var box: HeldDelivery.Box
        /// The retry settings it was sent under, for an endpoint removed while it was in flight
        /// (not the whole endpoint config: a copy of that costs a retain per field, per request).
        var retry: RetryConfig
        var key: UInt64
        /// When it was started (Unix ms): its round trip, for adaptive concurrency.
        var startedAt: Int64
        /// A batch's other members, after `box`, with their ordering keys.
        var members: [(box: HeldDelivery.Box, key: UInt64)] = []
    }

    let settings: Settings
    /// The endpoints, each at a fixed slot (nil once removed by a reload), found through
    /// `slotOf`. Not a `[String: Endpoint]`: changing a large struct in a dictionary goes through
    /// a `_modify` coroutine whose frame is heap-allocated and the value copied out and back,
    /// several times per request; an array element is changed in place.
    private var slots: [Endpoint?] = []
    private var slotOf: [String: Int] = [:]
    private var flights: [String: Flight] = [:]
    /// Ids of deliveries in flight as a batch's later member (a batch is in `flights` under its first).
    private var batchMembers: Set<String> = []
    /// Deliveries submitted and not yet durably settled.
    private(set) var pending = 0
    private(set) var accepting = true
    /// Payload bytes held in memory for queued deliveries (within `settings.payloadBudget`).
    private(set) var heldBytes = 0

    private var unwritten: [JournalRecord] = []
    private var unwrittenAcks = 0
    private var unwrittenSince: Int64 = 0
    private var writing: (records: [JournalRecord], acks: Int)?
    private var writeRetryAt: Int64 = 0
    private var writeFailures = 0

    /// Attempt state not yet durable in the journal, by id: a retry read back before its attempt
    /// record is synced (or while writes fail) still counts every attempt made.
    private var unsyncedAttempts: [String: (attempts: Int, notBefore: Int64, error: String)] = [:]

    private var toBury = Deque<Burial>()
    private var burying = false
    private var buryRetryAt: Int64 = 0
    private var buryFailures = 0

    private var armed: Int64?
    private var random: SplitMix64
    private var status = DispatchStatus()

    /// `failingSince`: what an earlier run knew of endpoints failing (``DispatchStatus/failingSince``).
    init(endpoints configs: [String: EndpointConfig], settings: Settings = Settings(), now: Int64, failingSince: [String: Int64] = [:]) {
        self.settings = settings
        random = SplitMix64(seed: settings.seed)
        for config in configs.values { add(config, now: now) }
        for (name, since) in failingSince {
            if let slot = slotOf[name] { slots[slot]!.failingSince = since }
        }
        status.failingSince = failingSince.filter { slotOf[$0.key] != nil }
    }

    private mutating func add(_ config: EndpointConfig, now: Int64) {
        slotOf[config.name] = slots.count
        slots.append(Endpoint(config, now: now))
    }

    /// The endpoints in force.
    private var live: some Sequence<Endpoint> { slots.lazy.compactMap { $0 } }

    // MARK: Reading the state

    var inFlight: Int { flights.count }

    /// No ack, attempt record or burial is waiting to be written or being written.
    var isSettled: Bool { writing == nil && unwritten.isEmpty && toBury.isEmpty && !burying }

    var currentStatus: DispatchStatus { status }

    /// The time of the wake-up armed now, if any.
    var wakeup: Int64? { armed }

    /// Deliveries waiting in `endpoint`'s queue (in flight excluded).
    func queued(_ endpoint: String) -> Int { slotOf[endpoint].flatMap { slots[$0]?.queue.count } ?? 0 }

    func inFlight(_ endpoint: String) -> Int { slotOf[endpoint].flatMap { slots[$0]?.inFlight } ?? 0 }

    /// Deliveries waiting to be buried, or being buried.
    var buryBacklog: Int { toBury.count }

    /// Work the machine itself must move on: deliveries queued for endpoints that may send, and
    /// records or burials waiting to be written.
    var queuedOnEnabled: Int {
        let queued = accepting ? live.filter { $0.config.enabled && $0.gone == nil }.reduce(0) { $0 + $1.queue.count } : 0
        return queued + toBury.count + unwritten.count
    }

    // MARK: Inputs

    /// Takes journaled deliveries, each id once. Without `payloads` (recovered at start-up) every
    /// one waits as a stub and is read back from the journal before its turn.
    mutating func submit(_ deliveries: [some Submission], payloads: Bool = true, now: Int64, _ actions: inout [DispatchAction]) {
        pending += deliveries.count
        var touched: [Int] = []
        var current: (name: String, slot: Int?)?
        for delivery in deliveries {
            if current?.name != delivery.endpoint {
                current = (delivery.endpoint, slotOf[delivery.endpoint])
                if let slot = current!.slot, !touched.contains(slot) { touched.append(slot) }
            }
            guard let slot = current!.slot else {
                toBury.append(delivery.burial(.removed(endpoint: delivery.endpoint)))
                continue
            }
            if let gone = slots[slot]!.gone {
                toBury.append(delivery.burial(gone))
                continue
            }
            // A delivery behind stubs waits for them to be read back first: its payload is not kept
            // either, so that the budget goes to the front of the queue, where read-back refills it
            // in whole batches, and not to the back, where it would sit while the front is read a
            // few at a time.
            let keep = payloads && delivery.notBefore <= now && slots[slot]!.queue.readyStubs == 0
                && heldBytes + delivery.payloadCount <= settings.payloadBudget
            heldBytes += slots[slot]!.queue.add(delivery.held(keepPayload: keep), notBefore: delivery.notBefore, now: now)
        }
        for slot in touched { pump(slot, now: now, &actions) }
        finishStep(now: now, &actions)
    }

    /// An attempt started by `.start` or `.startBatch` ended. `unsendable`: members of a batch
    /// that could not go with it (their payload cannot be built), dead-lettered with their reason.
    mutating func attemptFinished(_ id: String, _ report: AttemptReport, unsendable: [String: DeadLetterReason] = [:], now: Int64,
                                  _ actions: inout [DispatchAction]) {
        guard let flight = flights.removeValue(forKey: id) else { return }
        let name = flight.box.delivery.endpoint
        let slot = slotOf[name]
        if let slot {
            if slots[slot]!.adaptive != nil { adapt(slot, to: report, startedAt: flight.startedAt, now: now, &actions) }
            slots[slot]!.inFlight -= 1
        }
        var outcome = Outcome(retry: slot.map { slots[$0]!.current.config.retry } ?? flight.retry)
        finish(flight.box, key: flight.key, report, unsendable: unsendable, slot: slot, name: name, now: now, &outcome, &actions)
        for member in flight.members {
            batchMembers.remove(member.box.delivery.id)
            finish(member.box, key: member.key, report, unsendable: unsendable, slot: slot, name: name, now: now, &outcome, &actions)
        }
        if let health = outcome.health, let disabled = recordHealth(health, slot, now: now, &actions) { outcome.gone = outcome.gone ?? disabled }
        if let gone = outcome.gone { markGone(slot, reason: gone, &actions) }
        if let slot { pump(slot, now: now, &actions) }
        finishStep(now: now, &actions)
    }

    /// What a finished attempt showed across its deliveries (one, or a batch's members).
    private struct Outcome {
        let retry: RetryConfig
        /// One jitter for a whole batch, so that members retried together fall due together.
        var jitter: Double?
        var health: EndpointHealth?
        var gone: DeadLetterReason?
    }

    /// Decides one delivery's attempt and settles it, noting what it showed of the endpoint.
    private mutating func finish(_ box: HeldDelivery.Box, key: UInt64, _ report: AttemptReport, unsendable: [String: DeadLetterReason],
                                 slot: Int?, name: String, now: Int64, _ outcome: inout Outcome, _ actions: inout [DispatchAction]) {
        let id = box.delivery.id
        let left = unsendable.isEmpty ? nil : unsendable[id]
        let report = left.map { AttemptReport.unsendable($0) } ?? report
        let decision: RetryDecision
        var summary: String?
        switch report {
        case .unsendable(let reason):
            decision = .dead(reason)
        case .sent(let result):
            // Drawn only for a retry, once per attempt (so a delivered one costs no random number).
            decision = RetryPolicy(outcome.retry).decide(
                result, attempts: box.delivery.attempts + 1, age: .milliseconds(now - box.delivery.enqueuedAt),
                jitter: outcome.jitter ?? { let drawn = random.nextSigned(); outcome.jitter = drawn; return drawn }())
            // A delivered attempt needs no copy of the delivery and no summary of its answer.
            if decision != .delivered { summary = result.summary }
        }
        switch decision {
        case .delivered: outcome.health = .alive
        case .retry: outcome.health = .failing
        case .dead(let reason): if left == nil, let seen = reason.health { outcome.health = seen }
        case .endpointGone: outcome.gone = .gone(endpoint: name)
        }
        settle(id, box: box, key: key, decision, report: report, summary: summary, slot: slot, name: name, now: now, &actions)
    }

    /// What one delivery's attempt decided: its ack, its retry record and place back in the queue,
    /// or its burial.
    private mutating func settle(_ id: String, box: HeldDelivery.Box, key: UInt64, _ decision: RetryDecision, report: AttemptReport,
                                 summary: String?, slot: Int?, name: String, now: Int64, _ actions: inout [DispatchAction]) {
        /// The delivery with this attempt counted (not needed on the common, delivered path).
        var tried: PendingDelivery {
            var delivery = box.delivery.withoutPayload
            if case .sent = report {
                delivery.attempts += 1
                delivery.lastError = summary
            }
            return delivery
        }
        switch decision {
        case .delivered:
            release(key, of: slot, now: now)
            queueRecord(.ack(id: id), now: now)
            unwrittenAcks += 1
            actions.append(.notice(.delivered(endpoint: name)))
        case .retry(let after):
            var retried = tried
            retried.notBefore = now + after.roundedUpMilliseconds
            guard let slot, slots[slot]!.gone == nil else {
                let reason = slot.flatMap { slots[$0]!.gone } ?? .removed(endpoint: name)
                release(key, of: slot, now: now)
                toBury.append(Burial(retried, reason: reason, attempted: true))
                return
            }
            queueRecord(.attempt(id: id, attempts: retried.attempts, notBefore: retried.notBefore, error: retried.lastError ?? ""), now: now)
            unsyncedAttempts[id] = (retried.attempts, retried.notBefore, retried.lastError ?? "")
            slots[slot]!.queue.putBack(HeldDelivery(id: id, key: key), notBefore: retried.notBefore, now: now)
            actions.append(.notice(.retrying(retried, error: retried.lastError ?? "", delay: retried.notBefore - now)))
        case .dead(let reason):
            release(key, of: slot, now: now)
            toBury.append(Burial(tried, reason: reason, attempted: report != .unsendable(reason)))
        case .endpointGone:
            toBury.append(Burial(tried, reason: .gone(endpoint: name), attempted: true))
        }
    }

    /// The armed wake-up time has come (or any later time).
    mutating func timeReached(now: Int64, _ actions: inout [DispatchAction]) {
        // The shell's timer has fired: whatever still waits for a time is armed again below.
        armed = nil
        for slot in slots.indices where slots[slot]?.deadline ?? .max <= now { pump(slot, now: now, &actions) }
        finishStep(now: now, &actions)
    }

    /// The journal answered a `.readBack`.
    mutating func readBack(endpoint name: String, _ results: [(id: String, result: DeliveryReadResult)], now: Int64,
                           _ actions: inout [DispatchAction]) {
        // Taken out of its slot while it changes, so its queue is not copied.
        guard let slot = slotOf[name], var endpoint = slots[slot].take() else {
            finishStep(now: now, &actions)
            return
        }
        endpoint.readingBack = false
        // Read stubs lie behind fewer than `readAhead` held deliveries, so within this window.
        let window = settings.readAhead * 4
        var dropped: [String] = []
        var failed: [(id: String, error: JournalError)] = []
        var loaded: [(id: String, box: HeldDelivery.Box)] = []
        loaded.reserveCapacity(results.count)
        for (id, result) in results {
            switch result {
            case .found(var delivery):
                if !unsyncedAttempts.isEmpty, let newer = unsyncedAttempts[id], newer.attempts > delivery.attempts {
                    delivery.attempts = newer.attempts
                    delivery.notBefore = newer.notBefore
                    delivery.lastError = newer.error
                }
                loaded.append((id, HeldDelivery.Box(delivery)))
            case .notPending:
                // Settled elsewhere (a replay replaced it, say): it is not ours to send any more.
                if let held = endpoint.queue.removeReady(id, within: window) {
                    pending -= 1
                    heldBytes -= endpoint.queue.release(key: held.key, now: now)
                    dropped.append(id)
                }
            case .failed(let error):
                failed.append((id, error))
            }
        }
        heldBytes += endpoint.queue.hydrate(loaded, within: window)
        if let first = failed.first {
            // The delivery is still in the journal: wait and read it again, without holding up
            // the deliveries behind it.
            let delay = Self.backoff(&endpoint.readFailures, settings)
            for (id, _) in failed {
                if let held = endpoint.queue.removeReady(id, within: window) { endpoint.queue.putBack(held, notBefore: now + delay, now: now) }
            }
            actions.append(.notice(.readBackFailed(endpoint: name, count: failed.count, error: first.error, retryIn: delay,
                                                   failures: endpoint.readFailures)))
        } else {
            if endpoint.readFailures > 0 { actions.append(.notice(.recovered(.readBack(endpoint: name), failures: endpoint.readFailures))) }
            endpoint.readFailures = 0
        }
        slots[slot] = endpoint
        if !dropped.isEmpty { actions.append(.notice(.dropped(endpoint: name, ids: dropped))) }
        pump(slot, now: now, &actions)
        finishStep(now: now, &actions)
    }

    /// The last `.journal` batch is durable.
    mutating func journalWritten(now: Int64, _ actions: inout [DispatchAction]) {
        if let writing {
            pending -= writing.acks
            for case .attempt(let id, let attempts, _, _) in writing.records where unsyncedAttempts[id]?.attempts == attempts {
                unsyncedAttempts[id] = nil
            }
        }
        writing = nil
        if writeFailures > 0 { actions.append(.notice(.recovered(.outcomes, failures: writeFailures))) }
        writeFailures = 0
        finishStep(now: now, &actions)
    }

    /// The last `.journal` batch failed: it is written again after a backoff.
    mutating func journalFailed(_ error: JournalError, now: Int64, _ actions: inout [DispatchAction]) {
        if let batch = writing {
            unwritten = batch.records + unwritten
            unwrittenAcks += batch.acks
            unwrittenSince = min(unwrittenSince, now)
            let delay = Self.backoff(&writeFailures, settings)
            writeRetryAt = now + delay
            actions.append(.notice(.journalFailed(records: batch.records.count, error: error, retryIn: delay, failures: writeFailures)))
        }
        writing = nil
        finishStep(now: now, &actions)
    }

    /// The last `.bury` batch finished, with one outcome per burial in order.
    mutating func buried(_ outcomes: [(Burial, BuryOutcome)], now: Int64, _ actions: inout [DispatchAction]) {
        burying = false
        var done: [Burial] = []
        var retry: [Burial] = []
        var firstError: JournalError?
        for (burial, outcome) in outcomes {
            switch outcome {
            case .buried:
                pending -= 1
                done.append(burial)
            case .notPending:
                pending -= 1
            case .failed(let error):
                firstError = firstError ?? error
                retry.append(burial)
            }
        }
        if !done.isEmpty { actions.append(.notice(.buried(done))) }
        if let firstError {
            toBury.insert(contentsOf: retry, at: 0)
            let delay = Self.backoff(&buryFailures, settings)
            buryRetryAt = now + delay
            actions.append(.notice(.buryFailed(count: retry.count, error: firstError, retryIn: delay, failures: buryFailures)))
        } else {
            if buryFailures > 0 { actions.append(.notice(.recovered(.burial, failures: buryFailures))) }
            buryFailures = 0
        }
        finishStep(now: now, &actions)
    }

    /// Puts a reloaded config's endpoints in force. An endpoint gone from the config has its queue
    /// buried (replayable once it is back); a disabled one keeps its queue without sending; a
    /// changed one sends the rest under its new settings; a paused (410) one resumes.
    mutating func reconfigure(_ configs: [String: EndpointConfig], now: Int64, _ actions: inout [DispatchAction]) {
        for (name, slot) in slotOf where configs[name] == nil {
            var endpoint = slots[slot].take()!
            slotOf[name] = nil
            bury(endpoint.queue.removeAll(), endpoint: name, reason: .removed(endpoint: name))
        }
        for (name, config) in configs {
            if let slot = slotOf[name] {
                slots[slot]!.gate = slots[slot]!.gate.reconfigured(for: config, now: now)
                if !config.adaptiveConcurrency {
                    slots[slot]!.adaptive = nil
                } else if slots[slot]!.adaptive?.maximum != config.concurrency {
                    slots[slot]!.adaptive = AdaptiveConcurrency(maximum: config.concurrency)
                }
                slots[slot]!.config = config
                // A reload resumes a paused endpoint; one paused by `disable_after` starts its clock again.
                if case .disabled = slots[slot]!.gone { slots[slot]!.failingSince = nil }
                slots[slot]!.gone = nil
            } else {
                add(config, now: now)
            }
        }
        publishStatus(&actions)
        for slot in slots.indices where slots[slot] != nil { pump(slot, now: now, &actions) }
        finishStep(now: now, &actions)
    }

    /// Stops starting requests; those in flight finish, and acks are written without waiting.
    mutating func stop(now: Int64, _ actions: inout [DispatchAction]) {
        accepting = false
        finishStep(now: now, &actions)
    }

    // MARK: Deciding

    /// Starts what `name` can start now, asks for payloads it will need, and notes when it next
    /// needs the machine.
    private mutating func pump(_ slot: Int, now: Int64, _ actions: inout [DispatchAction]) {
        // Taken out of its slot while it changes, so its queue is not copied.
        guard var endpoint = slots[slot].take() else { return }
        defer { slots[slot] = endpoint }
        endpoint.queue.promoteDue(now: now)
        var deadline: Int64?
        if accepting, endpoint.config.enabled, endpoint.gone == nil {
            while endpoint.inFlight < endpoint.concurrency, let front = endpoint.queue.front {
                if flights.index(forKey: front.id) != nil || (!batchMembers.isEmpty && batchMembers.contains(front.id)) {
                    // A second copy of a delivery in flight (an event the application wrote twice):
                    // the copy in flight settles the journal's one record, so this one is done.
                    _ = endpoint.queue.popFront()
                    heldBytes -= front.payloadBytes
                    pending -= 1
                    continue
                }
                guard let box = front.box else { break }
                if let until = endpoint.gate.blockedUntil(now: now) {
                    if until != .max { deadline = until }
                    break
                }
                if let batch = endpoint.config.batch {
                    guard let members = takeBatch(&endpoint, batch, now: now, deadline: &deadline) else { break }
                    endpoint.gate.started(now: now)
                    endpoint.inFlight += 1
                    var flight = Flight(box: members[0].box, retry: endpoint.current.config.retry, key: members[0].key, startedAt: now)
                    flight.members = Array(members.dropFirst())
                    for member in flight.members { batchMembers.insert(member.box.delivery.id) }
                    flights[front.id] = flight
                    actions.append(.startBatch(id: front.id, members.map(\.box), endpoint.current))
                    continue
                }
                _ = endpoint.queue.popFront()
                endpoint.gate.started(now: now)
                endpoint.inFlight += 1
                heldBytes -= box.delivery.payload.count
                flights[front.id] = Flight(box: box, retry: endpoint.current.config.retry, key: front.key, startedAt: now)
                actions.append(.start(box, endpoint.current))
            }
            // Within the budget, read ahead; past it, still read what this endpoint could start now,
            // so that payloads held for another (blocked) endpoint never stall this one.
            let room = heldBytes < settings.payloadBudget ? settings.readAhead : endpoint.concurrency - endpoint.inFlight
            if !endpoint.readingBack, room > 0, endpoint.queue.front.map({ $0.box == nil || heldBytes < settings.payloadBudget }) == true {
                let ids = endpoint.queue.stubsToRead(limit: room, lead: room)
                if !ids.isEmpty {
                    endpoint.readingBack = true
                    actions.append(.readBack(endpoint: endpoint.name, ids: ids))
                }
            }
            if endpoint.queue.front == nil, endpoint.inFlight < endpoint.concurrency, let due = endpoint.queue.nextDue {
                deadline = min(deadline ?? .max, due)
            }
        }
        endpoint.deadline = deadline
    }

    /// The front run of deliveries to send as one batch: up to `max_events` held ones in read order
    /// within `max_bytes` (a first one larger than that goes alone), taken off the queue; nil, with
    /// `deadline` set, while fewer are ready and the oldest has waited less than `max_wait`.
    private mutating func takeBatch(_ endpoint: inout Endpoint, _ batch: BatchConfig, now: Int64, deadline: inout Int64?)
        -> [(box: HeldDelivery.Box, key: UInt64)]?
    {
        var count = 0, bytes = 0, oldest = Int64.max
        for held in endpoint.queue.ready.prefix(batch.maxEvents) {
            guard let box = held.box, flights.index(forKey: held.id) == nil, !batchMembers.contains(held.id) else { break }
            if count > 0, bytes + box.delivery.payload.count > batch.maxBytes { break }
            count += 1
            bytes += box.delivery.payload.count
            oldest = min(oldest, max(box.delivery.enqueuedAt, box.delivery.notBefore))
        }
        guard count > 0 else { return nil }
        let due = oldest + batch.maxWait.roundedUpMilliseconds
        if count < batch.maxEvents, bytes < batch.maxBytes, now < due, endpoint.queue.ready.count == count {
            deadline = min(deadline ?? .max, due)
            return nil
        }
        var members: [(box: HeldDelivery.Box, key: UInt64)] = []
        members.reserveCapacity(count)
        for _ in 0..<count {
            let held = endpoint.queue.popFront()!
            heldBytes -= held.payloadBytes
            members.append((held.box!, held.key))
        }
        return members
    }

    /// Feeds an attempt's outcome to the endpoint's adaptive limit; a changed limit is published.
    private mutating func adapt(_ slot: Int, to report: AttemptReport, startedAt: Int64, now: Int64, _ actions: inout [DispatchAction]) {
        let signal: AdaptiveConcurrency.Signal
        switch report {
        case .sent(.status(429, _)), .sent(.status(503, _)), .sent(.transportError(_, timedOut: true)): signal = .backpressure
        case .sent(.status): signal = .answered(rtt: now - startedAt)
        case .sent(.transportError), .unsendable: signal = .neutral
        }
        let saturated = slots[slot]!.inFlight >= slots[slot]!.concurrency
        if slots[slot]!.adaptive!.observe(signal, saturated: saturated, now: now) { publishStatus(&actions) }
    }

    /// Returns the reason to pause the endpoint when this failure is past its `disable_after`.
    private mutating func recordHealth(_ health: EndpointHealth, _ slot: Int?, now: Int64, _ actions: inout [DispatchAction]) -> DeadLetterReason? {
        guard let slot else { return nil }
        let change = health == .alive ? slots[slot]!.gate.succeeded() : slots[slot]!.gate.failed(now: now)
        if let change { actions.append(.notice(.breaker(endpoint: slots[slot]!.name, change))) }
        let since = health == .alive ? nil : slots[slot]!.failingSince ?? now
        let moved = since != slots[slot]!.failingSince
        slots[slot]!.failingSince = since
        if change != nil || moved { publishStatus(&actions) }
        guard let since, let limit = slots[slot]!.config.disableAfter, now - since >= limit.roundedUpMilliseconds else { return nil }
        return .disabled(endpoint: slots[slot]!.name, since: since, after: limit)
    }

    /// A taken delivery of `name` is settled: its key moves on to the next delivery behind it.
    private mutating func release(_ key: UInt64, of slot: Int?, now: Int64) {
        guard key != 0, let slot else { return }
        heldBytes -= slots[slot]!.queue.release(key: key, now: now)
    }

    private mutating func markGone(_ slot: Int?, reason: DeadLetterReason, _ actions: inout [DispatchAction]) {
        guard let slot, slots[slot]!.gone == nil else { return }
        let name = slots[slot]!.name
        slots[slot]!.gone = reason
        let queued = slots[slot]!.queue.removeAll()
        bury(queued, endpoint: name, reason: reason)
        actions.append(.notice(.endpointGone(endpoint: name, reason: reason)))
        publishStatus(&actions)
    }

    private mutating func bury(_ held: [HeldDelivery], endpoint: String, reason: DeadLetterReason) {
        for delivery in held {
            heldBytes -= delivery.payloadBytes
            toBury.append(Burial(id: delivery.id, endpoint: endpoint, reason: reason))
        }
    }

    private mutating func queueRecord(_ record: JournalRecord, now: Int64) {
        if unwritten.isEmpty { unwrittenSince = now }
        unwritten.append(record)
    }

    /// Writes and buries what is due, then arms the earliest time anything needs the machine.
    private mutating func finishStep(now: Int64, _ actions: inout [DispatchAction]) {
        var next: Int64 = .max
        if writing == nil, !unwritten.isEmpty {
            let due = max(writeRetryAt, unwrittenAcks >= settings.maxBatchRecords || !accepting ? now : unwrittenSince + settings.ackInterval)
            if due <= now {
                writing = (unwritten, unwrittenAcks)
                actions.append(.journal(unwritten))
                unwritten = []
                unwrittenAcks = 0
            } else {
                next = due
            }
        }
        if !burying, !toBury.isEmpty {
            if buryRetryAt <= now {
                burying = true
                let count = min(settings.buryBatch, toBury.count)
                actions.append(.bury(Array(toBury.prefix(count))))
                toBury.removeFirst(count)
            } else {
                next = min(next, buryRetryAt)
            }
        }
        if accepting {
            for case let endpoint? in slots { if let deadline = endpoint.deadline { next = min(next, deadline) } }
        }
        let wanted: Int64? = next == .max ? nil : next
        if wanted != armed {
            armed = wanted
            actions.append(.arm(wanted))
        }
    }

    private static func backoff(_ failures: inout Int, _ settings: Settings) -> Int64 {
        failures += 1
        let delay = settings.backoffFirst << min(failures - 1, 20)
        return min(delay, settings.backoffMax)
    }

    private mutating func publishStatus(_ actions: inout [DispatchAction]) {
        var next = DispatchStatus()
        next.openCircuits = live.filter { $0.gate.breaker.isOpen }.map(\.name).sorted()
        for endpoint in live {
            if let gone = endpoint.gone { next.gone[endpoint.name] = gone.message }
            if let adaptive = endpoint.adaptive { next.concurrencyLimits[endpoint.name] = adaptive.limit }
            if let since = endpoint.failingSince { next.failingSince[endpoint.name] = since }
        }
        guard next != status else { return }
        status = next
        actions.append(.notice(.status(next)))
    }
}

extension DispatchMachine.Burial {
    init(_ delivery: PendingDelivery, reason: DeadLetterReason, attempted: Bool = false) {
        self.init(id: delivery.id, endpoint: delivery.endpoint, reason: reason,
                  attempts: attempted ? delivery.attempts : nil, lastError: attempted ? delivery.lastError : nil,
                  eventID: delivery.eventID, route: delivery.route)
    }
}

extension PendingDelivery {
    /// The delivery's bookkeeping without its payload (kept while it is in flight).
    var withoutPayload: PendingDelivery {
        var slim = self
        slim.payload = []
        return slim
    }
}

/// A small, fast, seedable generator for retry jitter: no system call per draw.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in -1...1.
    mutating func nextSigned() -> Double {
        Double(next() >> 11) / Double(1 << 52) - 1
    }
}
