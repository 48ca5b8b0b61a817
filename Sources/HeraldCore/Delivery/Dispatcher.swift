import Glibc
import HeraldHTTP
import HeraldJournal
import Logging
import Synchronization

/// Sends journaled deliveries: the I/O shell around ``DispatchMachine``, which makes every
/// decision. The shell holds the machine behind one mutex, feeds it each input (a submission, a
/// finished attempt, the wake-up, a journal write, read or burial that completed) and runs the
/// actions it returns once the lock is released: transfers go to the libcurl loop, whose
/// completion feeds the machine on the loop thread and starts that endpoint's next transfer in
/// the same step; journal writes, read-backs and burials run on the journal's writer thread, whose
/// completions feed the machine there. Nothing waits on the cooperative pool. One timer holds the
/// machine's one wake-up.
public final class Dispatcher: Sendable {
    /// A condition someone waits for (shutdown, stdin drain), checked after every step.
    private enum Condition {
        case noneInFlight
        case settled
        case drained

        func holds(_ machine: DispatchMachine) -> Bool {
            switch self {
            case .noneInFlight: machine.inFlight == 0
            case .settled: machine.inFlight == 0 && machine.isSettled
            case .drained: machine.pending == 0
            }
        }
    }

    private struct Waiter {
        var id: UInt64
        var condition: Condition
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct State: ~Copyable {
        var machine: DispatchMachine
        var waiters: [Waiter] = []
        var nextWaiter: UInt64 = 0
        var statusListeners: [@Sendable (DispatchStatus) -> Void] = []
    }

    private let state: Mutex<State>
    /// The machine's one wake-up, on a thread of its own.
    private let timer: WakeupTimer
    private let runner: AttemptRunner
    private let journal: Journal
    private let deadLetters: DeadLetterStore
    private let stats: DeliveryStats
    private let logger: Logger
    private let now: @Sendable () -> Int64

    public init(live: LiveConfig, client: HTTPClient, journal: Journal, deadLetters: DeadLetterStore, stats: DeliveryStats, logger: Logger,
                payloadBudget: Int = 1 << 20, now: @escaping @Sendable () -> Int64 = UnixTime.milliseconds,
                seed: UInt64 = UInt64.random(in: 0...UInt64.max), deliveryLog: DeliveryLog? = nil, failingSince: [String: Int64] = [:]) {
        var settings = DispatchMachine.Settings()
        settings.payloadBudget = payloadBudget
        settings.seed = seed
        state = Mutex(State(machine: DispatchMachine(endpoints: live.current.endpoints, settings: settings, now: now(), failingSince: failingSince)))
        runner = AttemptRunner(client: client, stats: stats, live: live, recorder: deliveryLog.map { AttemptRecorder(log: $0, secrets: .shared) }, now: now,
                               tokens: TokenSources(client: client, now: now))
        self.journal = journal
        self.deadLetters = deadLetters
        self.stats = stats
        self.logger = logger
        self.now = now
        let wakeup = WeakDispatcher()
        timer = WakeupTimer(now: now) { wakeup.dispatcher?.step { $0.timeReached(now: $1, &$2) } }
        wakeup.dispatcher = self
    }

    deinit {
        timer.stop()
    }

    /// Deliveries not yet settled (queued, waiting for a retry, in flight, or being settled).
    /// While start-up reads damaged stretches of the source again, the ids this dispatcher settles,
    /// noted when their ack or burial is handed to the journal: such a delivery leaves the
    /// journal's pending set, and a re-read line must not take it for one the damage lost. nil
    /// when not recording.
    private let settledWhileRecovering = Mutex<Set<String>?>(nil)
    private let noticeListener = Mutex<(@Sendable (DispatchNotice) -> Void)?>(nil)
    private let settlementListener = Mutex<(@Sendable ([String]) -> Void)?>(nil)

    /// Starts noting settled ids (see `settledWhileRecovering`).
    public func recordSettlements() { settledWhileRecovering.withLock { $0 = [] } }

    /// Whether `id` was settled since ``recordSettlements()``.
    public func settledWhileRecording(_ id: String) -> Bool { settledWhileRecovering.withLock { $0?.contains(id) ?? false } }

    public func stopRecordingSettlements() { settledWhileRecovering.withLock { $0 = nil } }

    private func note(settled ids: some Sequence<String>) {
        settledWhileRecovering.withLock { recorded in
            guard recorded != nil else { return }
            recorded!.formUnion(ids)
        }
        settlementListener.withLock { $0 }?(Array(ids))
    }

    /// Hears the ids of deliveries as they are settled (acked or dead-lettered): a Kafka source
    /// waits for its partitions' deliveries before it hands them to another member. Set once,
    /// before deliveries start.
    func onSettled(_ listener: @escaping @Sendable ([String]) -> Void) {
        settlementListener.withLock { $0 = listener }
    }

    public var pendingCount: Int { state.withLock { $0.machine.pending } }

    /// Requests in flight now.
    public var inFlightCount: Int { state.withLock { $0.machine.inFlight } }

    /// Endpoints whose circuit is open now (failing; probed after the cool-down).
    public var openCircuits: [String] { state.withLock { $0.machine.currentStatus.openCircuits } }

    /// Endpoints paused after answering 410 Gone, with the reason.
    public var goneEndpoints: [String: String] { state.withLock { $0.machine.currentStatus.gone } }

    /// Calls `listener` with the current status now and whenever it changes (pushed, not polled).
    /// Hears every circuit change, endpoint retired by a 410 and burial (not the per-delivery
    /// notices): Herald's own events are made from them. Set once, before deliveries start.
    func onNotice(_ listener: @escaping @Sendable (DispatchNotice) -> Void) {
        noticeListener.withLock { $0 = listener }
    }

    public func onStatus(_ listener: @escaping @Sendable (DispatchStatus) -> Void) {
        let current = state.withLock { state in
            state.statusListeners.append(listener)
            return state.machine.currentStatus
        }
        listener(current)
    }

    /// Takes journaled deliveries, each id once (the ingestor and the replayer make sure of it).
    /// `payloads` false: they come without their payloads (recovered at start-up) and are read
    /// back from the journal before their turn.
    public func submit(_ deliveries: [PendingDelivery], payloads: Bool = true) {
        guard !deliveries.isEmpty else { return }
        step { $0.submit(deliveries, payloads: payloads, now: $1, &$2) }
    }

    /// Queues the deliveries recovered at start-up; each is read back from the journal before its turn.
    public func submit(recovered: [RecoveredDelivery]) {
        guard !recovered.isEmpty else { return }
        step { $0.submit(recovered, payloads: false, now: $1, &$2) }
    }

    /// Puts a reloaded config's endpoints in force (see ``DispatchMachine/reconfigure(_:now:_:)``).
    public func reconfigure(_ generation: ConfigGeneration) {
        step { $0.reconfigure(generation.endpoints, now: $1, &$2) }
    }

    /// Stops starting requests; those in flight finish, and their outcomes are journaled.
    public func stop() {
        step { $0.stop(now: $1, &$2) }
    }

    /// Waits until no request is in flight, or `timeout` passes; true if none is.
    public func waitForInFlight(timeout: Duration) async -> Bool {
        await wait(for: .noneInFlight, timeout: timeout)
    }

    /// Waits until every outcome so far is journaled (and nothing is in flight), or `timeout` passes.
    @discardableResult
    public func flush(timeout: Duration = .seconds(10)) async -> Bool {
        await wait(for: .settled, timeout: timeout)
    }

    /// Waits until nothing is pending, or `timeout` passes; true if nothing is.
    public func waitUntilDrained(timeout: Duration) async -> Bool {
        await wait(for: .drained, timeout: timeout)
    }

    // MARK: Feeding the machine

    /// Feeds one input under the lock, then runs its actions and wakes whoever waits for a
    /// condition that now holds.
    private func step(_ input: (inout DispatchMachine, Int64, inout [DispatchAction]) -> Void) {
        var actions: [DispatchAction] = []
        let time = now()
        let (ready, listeners) = state.withLock { state -> ([CheckedContinuation<Void, Never>], [@Sendable (DispatchStatus) -> Void]) in
            input(&state.machine, time, &actions)
            var ready: [CheckedContinuation<Void, Never>] = []
            if !state.waiters.isEmpty {
                let machine = state.machine
                state.waiters.removeAll { waiter in
                    guard waiter.condition.holds(machine) else { return false }
                    ready.append(waiter.continuation)
                    return true
                }
            }
            for action in actions {
                if case .arm(let deadline) = action { timer.arm(at: deadline) }
            }
            return (ready, state.statusListeners)
        }
        for action in actions { run(action, listeners: listeners) }
        for continuation in ready { continuation.resume() }
    }

    private func run(_ action: DispatchAction, listeners: [@Sendable (DispatchStatus) -> Void]) {
        switch action {
        case .start(let box, let endpoint):
            let id = box.delivery.id
            runner.start(box.delivery, endpoint: endpoint.config) { [self] report in
                step { $0.attemptFinished(id, report, now: $1, &$2) }
            }
        case .startBatch(let id, let boxes, let endpoint):
            runner.startBatch(boxes.map(\.delivery), endpoint: endpoint.config) { [self] report, unsendable in
                step { $0.attemptFinished(id, report, unsendable: unsendable, now: $1, &$2) }
            }
        case .journal(let records):
            note(settled: records.lazy.compactMap { if case .ack(let id) = $0 { id } else { nil } })
            journal.append(records) { [self] error in
                if let error {
                    step { $0.journalFailed(error, now: $1, &$2) }
                } else {
                    logSettled(records)
                    step { $0.journalWritten(now: $1, &$2) }
                }
            }
        case .bury(let burials):
            note(settled: burials.map(\.id))
            let requests = burials.map { BuryRequest(id: $0.id, reason: $0.reason.message, attempts: $0.attempts, lastError: $0.lastError) }
            journal.bury(requests, into: deadLetters, at: now()) { [self] outcomes in
                step { $0.buried(Array(zip(burials, outcomes)), now: $1, &$2) }
            }
        case .readBack(let endpoint, let ids):
            journal.read(ids) { [self] results in
                step { $0.readBack(endpoint: endpoint, Array(zip(ids, results)).map { (id: $0.0, result: $0.1) }, now: $1, &$2) }
            }
        case .arm:
            break  // done under the lock, so that arms are applied in order
        case .notice(let notice):
            report(notice, listeners: listeners)
        }
    }

    private func wait(for condition: Condition, timeout: Duration) async -> Bool {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        let deadline = Task { [self] in
            try? await Task.sleep(for: timeout)
            cancelWaiter(id)
        }
        defer { deadline.cancel() }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let holds = state.withLock { state in
                    if condition.holds(state.machine) { return true }
                    state.waiters.append(Waiter(id: id, condition: condition, continuation: continuation))
                    return false
                }
                if holds { continuation.resume() }
            }
        } onCancel: {
            cancelWaiter(id)
        }
        return state.withLock { condition.holds($0.machine) }
    }

    private func cancelWaiter(_ id: UInt64) {
        let waiter = state.withLock { state -> Waiter? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        waiter?.continuation.resume()
    }

    // MARK: Telling

    private func report(_ notice: DispatchNotice, listeners: [@Sendable (DispatchStatus) -> Void]) {
        switch notice {
        case .delivered(let endpoint):
            stats.delivered(endpoint: endpoint)
        case .retrying(let delivery, let error, let delay):
            stats.retried(endpoint: delivery.endpoint)
            var metadata = Self.metadata(for: delivery)
            metadata["status"] = "\(error)"
            metadata["retry_in"] = "\(ConfigDuration.format(.milliseconds(delay)))"
            logger.warning("delivery failed, will retry", metadata: metadata)
        case .breaker(let endpoint, let change):
            logBreaker(endpoint, change)
            noticeListener.withLock { $0 }?(notice)
        case .endpointGone(let endpoint, .disabled(_, let since, let after)):
            logger.critical("endpoint failing for longer than disable_after: pausing it and dead-lettering its deliveries until the config changes",
                            metadata: ["endpoint": "\(endpoint)", "failing_since": "\(UnixTime.rfc3339(since))",
                                       "disable_after": "\(ConfigDuration.format(after))"])
            noticeListener.withLock { $0 }?(notice)
        case .endpointGone(let endpoint, _):
            logger.critical("endpoint retired by its receiver (HTTP 410 Gone): pausing it and dead-lettering its deliveries until the config changes",
                            metadata: ["endpoint": "\(endpoint)"])
            noticeListener.withLock { $0 }?(notice)
        case .buried(let burials):
            logBurials(burials)
            noticeListener.withLock { $0 }?(notice)
        // A failing disk is logged once per episode, at its first failure, and once more when it is
        // over; the failures in between are counted (herald_io_errors_total), not logged.
        case .buryFailed(let count, let error, let retryIn, let failures):
            guard failures == 1 else { return }
            logger.error("cannot write dead letters; the deliveries stay pending and are buried again later", metadata: [
                "count": "\(count)", "error": "\(error)", "retry_in": "\(ConfigDuration.format(.milliseconds(retryIn)))",
            ])
        case .journalFailed(let records, let error, let retryIn, let failures):
            guard failures == 1 else { return }
            logger.error("cannot journal delivery outcomes; writing them again later", metadata: [
                "records": "\(records)", "error": "\(error)", "retry_in": "\(ConfigDuration.format(.milliseconds(retryIn)))",
            ])
        case .readBackFailed(let endpoint, let count, let error, let retryIn, let failures):
            guard failures == 1 else { return }
            logger.warning("cannot read queued deliveries back from the journal; they wait and are read again", metadata: [
                "endpoint": "\(endpoint)", "count": "\(count)", "error": "\(error)", "retry_in": "\(ConfigDuration.format(.milliseconds(retryIn)))",
            ])
        case .recovered(let task, let failures):
            logRecovery(task, failures: failures)
        case .dropped(let endpoint, let ids):
            logger.warning("queued deliveries are no longer pending in the journal (settled elsewhere); dropping them from the queue",
                           metadata: ["endpoint": "\(endpoint)", "count": "\(ids.count)", "first": "\(ids[0])"])
        case .status(let status):
            for listener in listeners { listener(status) }
        }
    }

    private func logRecovery(_ task: JournalTask, failures: Int) {
        switch task {
        case .outcomes:
            logger.info("journal writable again; delivery outcomes written", metadata: ["failures": "\(failures)"])
        case .burial:
            logger.info("dead letters written again; burying resumes", metadata: ["failures": "\(failures)"])
        case .readBack(let endpoint):
            logger.info("queued deliveries read back again; sending resumes", metadata: ["endpoint": "\(endpoint)", "failures": "\(failures)"])
        }
    }

    /// One line for a single dead letter (with its event), one line per reason for a batch.
    /// At debug level, one line per delivery whose ack is now durable: after this line a crash
    /// can no longer make Herald send that delivery again (the kill -9 test holds it to that).
    private func logSettled(_ records: [JournalRecord]) {
        guard logger.logLevel <= .debug else { return }
        for case .ack(let id) in records {
            logger.debug("delivered", metadata: ["delivery": "\(id)"])
        }
    }

    private func logBurials(_ burials: [DispatchMachine.Burial]) {
        var groups: [String: (endpoint: String, reason: DeadLetterReason, count: Int)] = [:]
        for burial in burials {
            stats.dead(endpoint: burial.endpoint, kind: burial.reason.label)
            groups["\(burial.endpoint)\u{0}\(burial.reason.message)", default: (burial.endpoint, burial.reason, 0)].count += 1
        }
        if burials.count == 1, let burial = burials.first {
            logger.error("delivery dead-lettered", metadata: [
                "event_id": "\(burial.eventID ?? "-")", "endpoint": "\(burial.endpoint)", "route": "\(burial.route ?? "-")",
                "attempt": "\(burial.attempts ?? 0)", "reason": "\(burial.reason.message)", "delivery_id": "\(burial.id)",
            ])
            return
        }
        for group in groups.values.sorted(by: { $0.endpoint < $1.endpoint }) {
            logger.error("deliveries dead-lettered", metadata: [
                "endpoint": "\(group.endpoint)", "count": "\(group.count)", "reason": "\(group.reason.message)",
            ])
        }
    }

    private func logBreaker(_ endpoint: String, _ change: CircuitBreaker.Transition) {
        switch change {
        case .opened(let failures, let until):
            logger.error("circuit opened: endpoint keeps failing; pausing it, then probing with one request", metadata: [
                "endpoint": "\(endpoint)", "failures": "\(failures)", "probe_in": "\(ConfigDuration.format(.milliseconds(max(0, until - now()))))",
            ])
        case .reopened(let until):
            logger.warning("circuit probe failed; endpoint stays paused", metadata: [
                "endpoint": "\(endpoint)", "probe_in": "\(ConfigDuration.format(.milliseconds(max(0, until - now()))))",
            ])
        case .closed:
            logger.notice("circuit closed: endpoint answers again; sending resumes", metadata: ["endpoint": "\(endpoint)"])
        }
    }

    private static func metadata(for delivery: PendingDelivery) -> Logger.Metadata {
        ["event_id": "\(delivery.eventID)", "endpoint": "\(delivery.endpoint)", "route": "\(delivery.route)", "attempt": "\(delivery.attempts)"]
    }
}

/// The timer's way back to its dispatcher, without keeping it alive.
private final class WeakDispatcher: @unchecked Sendable {
    weak var dispatcher: Dispatcher?
}

/// Wall-clock milliseconds, the unit the journal stores times in.
public enum UnixTime {
    @Sendable public static func milliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}
