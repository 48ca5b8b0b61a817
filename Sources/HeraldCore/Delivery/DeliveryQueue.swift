import HeraldJournal
import DequeModule
import HeapModule

/// One endpoint's deliveries: those due now in arrival order, those waiting for a retry time,
/// and how many are in flight. A pure state machine: the dispatcher asks it what may start at
/// `now` and when to look again; tests drive it with plain numbers.
struct DeliveryQueue {
    private struct Delayed: Comparable {
        var notBefore: Int64
        var sequence: Int
        var delivery: HeldDelivery

        static func < (lhs: Delayed, rhs: Delayed) -> Bool { (lhs.notBefore, lhs.sequence) < (rhs.notBefore, rhs.sequence) }
        static func == (lhs: Delayed, rhs: Delayed) -> Bool { lhs.notBefore == rhs.notBefore && lhs.sequence == rhs.sequence }
    }

    var concurrency: Int
    private(set) var inFlight = 0
    private var ready = Deque<HeldDelivery>()
    private var delayed = Heap<Delayed>()
    private var sequence = 0

    init(concurrency: Int) { self.concurrency = max(1, concurrency) }

    /// Deliveries held, in flight excluded.
    var waiting: Int { ready.count + delayed.count }

    mutating func add(_ delivery: HeldDelivery, now: Int64) {
        if delivery.notBefore <= now {
            ready.append(delivery)
        } else {
            sequence += 1
            delayed.insert(Delayed(notBefore: delivery.notBefore, sequence: sequence, delivery: delivery))
        }
    }

    /// The deliveries to start now, oldest first, within the concurrency limit; each counts as in flight.
    mutating func takeStartable(now: Int64) -> [HeldDelivery] {
        var started: [HeldDelivery] = []
        while let next = takeOne(now: now) { started.append(next) }
        return started
    }

    /// The next delivery to start now, if one is due and the concurrency limit allows.
    mutating func takeOne(now: Int64) -> HeldDelivery? {
        while let first = delayed.min, first.notBefore <= now {
            ready.append(delayed.removeMin().delivery)
        }
        guard inFlight < concurrency, let next = ready.popFirst() else { return nil }
        inFlight += 1
        return next
    }

    /// One started delivery finished (whatever its outcome).
    mutating func finished() {
        inFlight = max(0, inFlight - 1)
    }

    /// When a waiting delivery next becomes due, if one is waiting for time rather than capacity.
    var nextWakeup: Int64? {
        guard ready.isEmpty else { return nil }
        return delayed.min?.notBefore
    }

    /// Ids of the stubs (deliveries held without their payload) among the first `limit` due
    /// deliveries: the ones worth reading back from the journal before their turn comes.
    func stubsAtFront(limit: Int) -> [String] {
        ready.prefix(limit).compactMap { $0.box == nil ? $0.id : nil }
    }

    /// Puts read-back deliveries in place of their stubs, if they are still waiting near the
    /// front; returns the payload bytes now held.
    mutating func hydrate(_ loaded: [String: PendingDelivery], within limit: Int) -> Int {
        var added = 0
        for index in ready.indices.prefix(limit) where ready[index].box == nil {
            guard let delivery = loaded[ready[index].id] else { continue }
            ready[index] = HeldDelivery(id: delivery.id, notBefore: ready[index].notBefore, box: .init(delivery))
            added += delivery.payload.count
        }
        return added
    }

    /// Empties the queue (for an endpoint that is gone), returning what it held.
    mutating func removeAll() -> [HeldDelivery] {
        var all = Array(ready)
        all.append(contentsOf: delayed.unordered.map(\.delivery))
        ready.removeAll()
        delayed = Heap()
        return all
    }
}
