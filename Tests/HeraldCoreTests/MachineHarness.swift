import HeraldHTTP
import HeraldJournal

@testable import HeraldCore

/// Drives a ``DispatchMachine`` as its shell would, in virtual time: transfers it starts wait
/// for the test to finish them; journal writes, read-backs and burials succeed (or fail, when a
/// test says so) when the test calls `settleIO()`; the one wake-up fires when time is advanced
/// past it. Nothing sleeps: a three-day schedule runs in microseconds.
struct MachineHarness {
    var machine: DispatchMachine
    private(set) var now: Int64
    /// Requests in flight, in start order: id and the endpoint they went to.
    private(set) var inFlight: [(id: String, endpoint: String)] = []
    /// Every start, in order.
    private(set) var started: [(id: String, endpoint: String, at: Int64)] = []
    /// Every batch started, in order: its members' ids (a batch is in `inFlight` under its first).
    private(set) var batches: [[String]] = []
    /// Ids whose ack is durable, in order.
    private(set) var acked: [String] = []
    /// Ids durably dead-lettered, with the reason.
    private(set) var buried: [(id: String, reason: DeadLetterReason)] = []
    private(set) var notices: [DispatchNotice] = []
    /// Every read-back asked for, in order: the ids of each.
    private(set) var readsAsked: [[String]] = []
    /// The journal: what a read-back finds.
    var journal: [String: PendingDelivery] = [:]
    /// Faults the next I/O meets.
    var failJournalWrites = false
    var failReads = false
    var failBurials = false

    private var pendingWrites: [[JournalRecord]] = []
    private var pendingReads: [(endpoint: String, ids: [String])] = []
    private var pendingBurials: [[DispatchMachine.Burial]] = []

    init(_ endpoints: [EndpointConfig], now: Int64 = 1_000_000, failingSince: [String: Int64] = [:],
         configure: (inout DispatchMachine.Settings) -> Void = { _ in }) {
        var settings = DispatchMachine.Settings()
        settings.seed = 42
        configure(&settings)
        self.now = now
        machine = DispatchMachine(endpoints: Dictionary(uniqueKeysWithValues: endpoints.map { ($0.name, $0) }), settings: settings, now: now,
                                  failingSince: failingSince)
    }

    // MARK: Inputs

    mutating func submit(_ deliveries: [PendingDelivery]) {
        for delivery in deliveries { journal[delivery.id] = delivery }
        var actions: [DispatchAction] = []
        machine.submit(deliveries, now: now, &actions)
        absorb(actions)
    }

    /// Finishes the in-flight attempt `id` (the oldest in flight when nil) with `result`.
    mutating func finish(_ id: String? = nil, _ result: AttemptResult) {
        guard let index = id.map({ id in inFlight.firstIndex { $0.id == id } }) ?? (inFlight.isEmpty ? nil : 0) else {
            fatalError("nothing in flight to finish (\(id ?? "oldest"))")
        }
        let flight = inFlight.remove(at: index)
        var actions: [DispatchAction] = []
        machine.attemptFinished(flight.id, .sent(result), now: now, &actions)
        absorb(actions)
    }

    /// Finishes the batch in flight under `id` with `result`, leaving out `unsendable` members.
    mutating func finishBatch(_ id: String, _ result: AttemptResult, unsendable: [String: DeadLetterReason]) {
        guard let index = inFlight.firstIndex(where: { $0.id == id }) else { fatalError("no batch \(id) in flight") }
        inFlight.remove(at: index)
        var actions: [DispatchAction] = []
        machine.attemptFinished(id, .sent(result), unsendable: unsendable, now: now, &actions)
        absorb(actions)
    }

    /// Finishes every attempt in flight with `result`.
    mutating func finishAll(_ result: AttemptResult) {
        while !inFlight.isEmpty { finish(nil, result) }
    }

    mutating func reconfigure(_ endpoints: [EndpointConfig]) {
        var actions: [DispatchAction] = []
        machine.reconfigure(Dictionary(uniqueKeysWithValues: endpoints.map { ($0.name, $0) }), now: now, &actions)
        absorb(actions)
    }

    mutating func stop() {
        var actions: [DispatchAction] = []
        machine.stop(now: now, &actions)
        absorb(actions)
    }

    /// Moves time forward to `time`, firing the wake-up each time it falls due on the way; the
    /// journal's I/O completes at once at each step (with the faults set).
    mutating func advance(to time: Int64) {
        settleIO()
        while let wake = machine.wakeup, wake <= time {
            now = max(now, wake)
            var actions: [DispatchAction] = []
            machine.timeReached(now: now, &actions)
            absorb(actions)
            settleIO()
        }
        now = max(now, time)
    }

    mutating func advance(by milliseconds: Int64) { advance(to: now + milliseconds) }

    /// Completes the journal writes, read-backs and burials asked for so far (with the faults set).
    mutating func settleIO() {
        while !pendingWrites.isEmpty || !pendingReads.isEmpty || !pendingBurials.isEmpty {
            let writes = pendingWrites, reads = pendingReads, burials = pendingBurials
            pendingWrites = []
            pendingReads = []
            pendingBurials = []
            for records in writes {
                var actions: [DispatchAction] = []
                if failJournalWrites {
                    machine.journalFailed(JournalError(.noSpace, "disk full", errno: 28), now: now, &actions)
                } else {
                    for record in records {
                        if case .ack(let id) = record {
                            acked.append(id)
                            journal[id] = nil
                        }
                        if case .attempt(let id, let attempts, let notBefore, let error) = record {
                            journal[id]?.attempts = attempts
                            journal[id]?.notBefore = notBefore
                            journal[id]?.lastError = error
                        }
                    }
                    machine.journalWritten(now: now, &actions)
                }
                absorb(actions)
            }
            for read in reads {
                let results: [(id: String, result: DeliveryReadResult)] = read.ids.map { id in
                    if failReads { return (id, .failed(JournalError(.io, "Too many open files", errno: 24))) }
                    return (id, journal[id].map { .found($0) } ?? .notPending)
                }
                var actions: [DispatchAction] = []
                machine.readBack(endpoint: read.endpoint, results, now: now, &actions)
                absorb(actions)
            }
            for batch in burials {
                let outcomes: [(DispatchMachine.Burial, BuryOutcome)] = batch.map { burial in
                    if failBurials { return (burial, .failed(JournalError(.noSpace, "disk full", errno: 28))) }
                    guard journal.removeValue(forKey: burial.id) != nil else { return (burial, .notPending) }
                    buried.append((burial.id, burial.reason))
                    return (burial, .buried)
                }
                var actions: [DispatchAction] = []
                machine.buried(outcomes, now: now, &actions)
                absorb(actions)
            }
        }
    }

    private mutating func absorb(_ actions: [DispatchAction]) {
        for action in actions {
            switch action {
            case .start(let box, let endpoint):
                inFlight.append((box.delivery.id, endpoint.config.name))
                started.append((box.delivery.id, endpoint.config.name, now))
            case .startBatch(let id, let boxes, let endpoint):
                inFlight.append((id, endpoint.config.name))
                batches.append(boxes.map(\.delivery.id))
                for box in boxes { started.append((box.delivery.id, endpoint.config.name, now)) }
            case .journal(let records): pendingWrites.append(records)
            case .bury(let burials): pendingBurials.append(burials)
            case .readBack(let endpoint, let ids):
                pendingReads.append((endpoint, ids))
                readsAsked.append(ids)
            case .arm: break
            case .notice(let notice): notices.append(notice)
            }
        }
    }

    // MARK: Reading

    /// Every delivery submitted is pending, acked or buried — never two of these, never none.
    var pending: Int { machine.pending }

    /// A journal write, read-back or burial was asked for and has not completed.
    var hasIOUnderWay: Bool { !pendingWrites.isEmpty || !pendingReads.isEmpty || !pendingBurials.isEmpty }

    func startedIDs(_ endpoint: String? = nil) -> [String] {
        started.filter { endpoint == nil || $0.endpoint == endpoint }.map(\.id)
    }
}

/// An endpoint config for machine tests, with the settings a test cares about.
func endpoint(_ name: String, concurrency: Int = 8, retry: [Duration] = [.seconds(1), .seconds(2), .seconds(4)], maxAge: Duration = .seconds(86_400),
              breaker: BreakerConfig = BreakerConfig(failures: 0, cooldown: .seconds(30)), rate: Rate? = nil, ordering: String? = nil,
              enabled: Bool = true) -> EndpointConfig {
    guard case .success(let url) = EndpointURL.parse("http://127.0.0.1:9/\(name)") else { fatalError("bad url") }
    return EndpointConfig(
        name: name, url: url, enabled: enabled, headers: [], format: .json, signing: nil, timeout: .seconds(10),
        concurrency: concurrency, rateLimit: rate, breaker: breaker, retry: RetryConfig(schedule: retry, maxAge: maxAge),
        ordering: ordering.map { OrderingConfig(key: FieldPath($0)!) }, allowInsecure: true)
}

/// A journaled delivery for machine tests.
func pendingDelivery(_ id: String, to endpoint: String = "erp", key: String? = nil, payload: Int = 100, notBefore: Int64 = 0,
                     attempts: Int = 0, enqueuedAt: Int64 = 1_000_000) -> PendingDelivery {
    PendingDelivery(id: id, endpoint: endpoint, route: "all", eventID: "evt-\(id)", eventType: "order.created", enqueuedAt: enqueuedAt,
                    attempts: attempts, notBefore: notBefore, payload: Array(repeating: 0x61, count: payload), orderingKey: key)
}

let ok = AttemptResult.status(204, retryAfter: nil)
let unavailable = AttemptResult.status(503, retryAfter: nil)
let refused = AttemptResult.transportError("connect: Couldn't connect to server")
