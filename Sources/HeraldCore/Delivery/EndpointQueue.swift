import DequeModule
import HeapModule
import HeraldJournal

/// One endpoint's waiting deliveries: those that may start now, in read order; those waiting for
/// a retry time; and, with per-key ordering, those held behind an earlier delivery with the same
/// key. Pure: the dispatch machine asks it what is next at `now`; tests drive it with numbers.
///
/// Ordering: the first delivery of a key to arrive is its key's *head*; later ones with that key
/// wait in the key's lane until the head is settled (delivered or dead-lettered), and a head
/// that is retried stays the head. A delivery without a key (hash 0) waits for no one.
struct EndpointQueue {
    /// A delivery waiting for its time; payloads are never kept here. Ties in time keep arrival
    /// order through a sequence number in the key's low 16 bits.
    private struct Delayed: Comparable {
        var order: Int64
        var held: HeldDelivery

        init(notBefore: Int64, sequence: Int, held: HeldDelivery) {
            order = notBefore << 16 | Int64(sequence & 0xFFFF)
            self.held = held.stub
        }

        var notBefore: Int64 { order >> 16 }
        static func < (lhs: Delayed, rhs: Delayed) -> Bool { lhs.order < rhs.order }
        static func == (lhs: Delayed, rhs: Delayed) -> Bool { lhs.order == rhs.order }
    }

    /// A delivery held behind its key's head, with the time it may start once it is the head.
    private struct Behind {
        var held: HeldDelivery
        var notBefore: Int64
    }

    private(set) var ready = Deque<HeldDelivery>()
    private var delayed = Heap<Delayed>()
    private var lanes: [UInt64: Deque<Behind>] = [:]
    /// Keys whose head is queued, in flight, or waiting for a retry.
    private var busyKeys: Set<UInt64> = []
    private var sequence = 0
    private var readyPeak = 0
    private var behindCount = 0
    /// Ready deliveries held without their payload (waiting to be read back).
    private(set) var readyStubs = 0

    /// Deliveries waiting (ready, delayed or behind their key), in flight excluded.
    var count: Int { ready.count + delayed.count + behindCount }

    var isEmpty: Bool { count == 0 }

    /// When the earliest delayed delivery is due, if any.
    var nextDue: Int64? { delayed.min?.notBefore }

    /// Queues a newly submitted delivery that may start at `notBefore` (Unix ms); returns the
    /// payload bytes it keeps in memory (none once it waits for a time).
    @discardableResult
    mutating func add(_ held: HeldDelivery, notBefore: Int64, now: Int64) -> Int {
        if held.key != 0 {
            guard busyKeys.insert(held.key).inserted else {
                lanes[held.key, default: []].append(Behind(held: held, notBefore: notBefore))
                behindCount += 1
                return held.payloadBytes
            }
        }
        return place(held, notBefore: notBefore, now: now)
    }

    /// Puts back a delivery that was taken (a retry, or a read that must be tried again): it keeps
    /// its place as its key's head.
    mutating func putBack(_ held: HeldDelivery, notBefore: Int64, now: Int64) {
        place(held, notBefore: notBefore, now: now)
    }

    /// Returns the payload bytes kept: a delivery that waits for a time waits as a stub.
    @discardableResult
    private mutating func place(_ held: HeldDelivery, notBefore: Int64, now: Int64) -> Int {
        if notBefore <= now {
            appendReady(held)
            return held.payloadBytes
        }
        sequence += 1
        delayed.insert(Delayed(notBefore: notBefore, sequence: sequence, held: held))
        return 0
    }

    /// A taken delivery with `key` is settled: the next one behind it becomes the head. Returns
    /// the payload bytes that head gives up if it must now wait for a time as a stub.
    @discardableResult
    mutating func release(key: UInt64, now: Int64) -> Int {
        guard key != 0 else { return 0 }
        guard let next = lanes[key]?.popFirst() else {
            busyKeys.remove(key)
            return 0
        }
        behindCount -= 1
        if lanes[key]!.isEmpty { lanes[key] = nil }
        return next.held.payloadBytes - place(next.held, notBefore: next.notBefore, now: now)
    }

    /// Moves delayed deliveries that are due at `now` to the ready list.
    mutating func promoteDue(now: Int64) {
        while let first = delayed.min, first.notBefore <= now {
            appendReady(delayed.removeMin().held)
        }
    }

    private mutating func appendReady(_ held: HeldDelivery) {
        if held.box == nil { readyStubs += 1 }
        ready.append(held)
    }

    var front: HeldDelivery? { ready.first }

    mutating func popFront() -> HeldDelivery? {
        guard let next = ready.popFirst() else { return nil }
        if next.box == nil { readyStubs -= 1 }
        readyPeak = max(readyPeak, ready.count + 1)
        if ready.isEmpty, readyPeak > 4096 {
            // Give back the storage a burst grew; a Deque never shrinks by itself.
            ready = Deque()
            readyPeak = 0
        }
        return next
    }

    /// Ids of the first `limit` stubs (held without their payload) in the ready list, when fewer
    /// than `lead` deliveries with their payload are ahead of the first one: the ones worth reading
    /// back now, so that a read-back brings a whole batch in time, not the few stubs that happen
    /// to lie within the first `lead` entries.
    func stubsToRead(limit: Int, lead: Int) -> [String] {
        guard readyStubs > 0, limit > 0 else { return [] }
        // Held deliveries usually all lie ahead of the stubs (new ones queue as stubs behind
        // stubs): with `lead` of them in the list, wait, unless a stub is already at the front.
        if ready.count - readyStubs >= lead, ready.first?.box != nil { return [] }
        var ids: [String] = []
        for held in ready where held.box == nil {
            ids.append(held.id)
            if ids.count == limit { break }
        }
        return ids
    }

    /// Replaces the stubs of `loaded` deliveries among the first `limit` ready ones with the whole
    /// deliveries; returns the payload bytes now held. `loaded` comes in the order the stubs were
    /// asked for (``stubsToRead(limit:lead:)``), which is their order in the queue, so one walk matches
    /// them without hashing an id; a delivery that moved meanwhile is found by a second pass.
    mutating func hydrate(_ loaded: [(id: String, box: HeldDelivery.Box)], within limit: Int) -> Int {
        var added = 0
        var next = 0
        for index in ready.indices.prefix(limit) where ready[index].box == nil {
            guard next < loaded.count else { return added }
            if ready[index].id == loaded[next].id {
                added += fill(index, with: loaded[next].box)
                next += 1
            }
        }
        guard next < loaded.count else { return added }
        let rest = Dictionary(loaded[next...].map { ($0.id, $0.box) }, uniquingKeysWith: { first, _ in first })
        for index in ready.indices.prefix(limit) where ready[index].box == nil {
            if let box = rest[ready[index].id] { added += fill(index, with: box) }
        }
        return added
    }

    private mutating func fill(_ index: Int, with box: HeldDelivery.Box) -> Int {
        ready[index] = HeldDelivery(id: ready[index].id, key: ready[index].key, box: box)
        readyStubs -= 1
        return box.delivery.payload.count
    }

    /// Takes the ready delivery `id` out (near the front), if it is there.
    mutating func removeReady(_ id: String, within limit: Int) -> HeldDelivery? {
        guard let index = ready.indices.prefix(limit).first(where: { ready[$0].id == id }) else { return nil }
        let held = ready.remove(at: index)
        if held.box == nil { readyStubs -= 1 }
        return held
    }

    /// Empties the queue (for an endpoint that is gone or removed), returning what it held, and
    /// forgets every key.
    mutating func removeAll() -> [HeldDelivery] {
        var all = Array(ready)
        all.append(contentsOf: delayed.unordered.map(\.held))
        for lane in lanes.values { all.append(contentsOf: lane.map(\.held)) }
        ready = Deque()
        readyStubs = 0
        delayed = Heap()
        lanes = [:]
        busyKeys = []
        behindCount = 0
        return all
    }
}
