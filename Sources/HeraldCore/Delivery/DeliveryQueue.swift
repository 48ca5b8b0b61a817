import HeraldJournal
import DequeModule
import HeapModule

/// One endpoint's deliveries: those due now in arrival order, those waiting for a retry time,
/// and how many are in flight. A pure state machine: the dispatcher asks it what may start at
/// `now` and when to look again; tests drive it with plain numbers.
struct DeliveryQueue {
    /// A delivery waiting for its time: 24 bytes, as a backlog of retries can be large. Its
    /// payload is never kept (the dispatcher keeps payloads only for due deliveries); ties in
    /// time keep arrival order through a sequence number in the key's low 16 bits.
    private struct Delayed: Comparable {
        var key: Int64
        var id: String

        init(notBefore: Int64, sequence: Int, id: String) {
            key = notBefore << 16 | Int64(sequence & 0xFFFF)
            self.id = id
        }

        var notBefore: Int64 { key >> 16 }
        static func < (lhs: Delayed, rhs: Delayed) -> Bool { lhs.key < rhs.key }
        static func == (lhs: Delayed, rhs: Delayed) -> Bool { lhs.key == rhs.key }
    }

    var concurrency: Int
    private(set) var inFlight = 0
    private var ready = Deque<HeldDelivery>()
    private var delayed = Heap<Delayed>()
    private var sequence = 0
    private var readyPeak = 0

    init(concurrency: Int) { self.concurrency = max(1, concurrency) }

    /// Deliveries held, in flight excluded.
    var waiting: Int { ready.count + delayed.count }

    /// Queues a delivery that may start at `notBefore` (Unix ms).
    mutating func add(_ delivery: HeldDelivery, notBefore: Int64, now: Int64) {
        if notBefore <= now {
            ready.append(delivery)
        } else {
            sequence += 1
            delayed.insert(Delayed(notBefore: notBefore, sequence: sequence, id: delivery.id))
        }
    }

    /// The next delivery to start now, if one is due and the concurrency limit allows.
    mutating func takeOne(now: Int64) -> HeldDelivery? {
        while let first = delayed.min, first.notBefore <= now {
            let due = delayed.removeMin()
            ready.append(HeldDelivery(id: due.id))
        }
        guard inFlight < concurrency, let next = ready.popFirst() else { return nil }
        readyPeak = max(readyPeak, ready.count + 1)
        if ready.isEmpty, readyPeak > 4096 {
            // Give back the storage a burst grew; a Deque never shrinks by itself.
            ready = Deque()
            readyPeak = 0
        }
        inFlight += 1
        return next
    }

    /// Whether `takeOne(now:)` would give a delivery: one is due and the concurrency limit allows.
    func canStart(now: Int64) -> Bool {
        guard inFlight < concurrency else { return false }
        if !ready.isEmpty { return true }
        return delayed.min.map { $0.notBefore <= now } ?? false
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
            ready[index] = HeldDelivery(id: delivery.id, box: .init(delivery))
            added += delivery.payload.count
        }
        return added
    }

    /// Empties the queue (for an endpoint that is gone), returning what it held.
    mutating func removeAll() -> [HeldDelivery] {
        var all = Array(ready)
        all.append(contentsOf: delayed.unordered.map { HeldDelivery(id: $0.id) })
        ready.removeAll()
        delayed = Heap()
        return all
    }
}
