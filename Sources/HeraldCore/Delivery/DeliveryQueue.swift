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
        while let first = delayed.min, first.notBefore <= now {
            ready.append(delayed.removeMin().delivery)
        }
        var started: [HeldDelivery] = []
        while inFlight < concurrency, let next = ready.popFirst() {
            inFlight += 1
            started.append(next)
        }
        return started
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

    /// Empties the queue (for an endpoint that is gone), returning what it held.
    mutating func removeAll() -> [HeldDelivery] {
        var all = Array(ready)
        all.append(contentsOf: delayed.unordered.map(\.delivery))
        ready.removeAll()
        delayed = Heap()
        return all
    }
}
