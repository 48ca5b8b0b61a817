import Testing

@testable import HeraldCore

@Suite("delivery queue")
struct DeliveryQueueTests {
    func delivery(_ id: String) -> HeldDelivery {
        HeldDelivery(id: id)
    }

    @Test("due deliveries start in arrival order up to the concurrency limit")
    func concurrency() {
        var queue = DeliveryQueue(concurrency: 2)
        for id in ["a", "b", "c"] { queue.add(delivery(id), notBefore: 0, now: 100) }
        #expect(queue.takeStartable(now: 100).map(\.id) == ["a", "b"])
        #expect(queue.takeStartable(now: 100).isEmpty)
        queue.finished()
        #expect(queue.takeStartable(now: 100).map(\.id) == ["c"])
        #expect(queue.inFlight == 2)
        #expect(queue.waiting == 0)
    }

    @Test("a delayed delivery waits for its time and says when to look again")
    func delayed() {
        var queue = DeliveryQueue(concurrency: 4)
        queue.add(delivery("late"), notBefore: 5_000, now: 0)
        queue.add(delivery("later"), notBefore: 9_000, now: 0)
        #expect(queue.takeStartable(now: 0).isEmpty)
        #expect(queue.nextWakeup == 5_000)
        #expect(queue.takeStartable(now: 4_999).isEmpty)
        #expect(queue.takeStartable(now: 5_000).map(\.id) == ["late"])
        #expect(queue.nextWakeup == 9_000)
        #expect(queue.takeStartable(now: 10_000).map(\.id) == ["later"])
        #expect(queue.nextWakeup == nil)
    }

    @Test("deliveries due at the same time keep their order")
    func sameTime() {
        var queue = DeliveryQueue(concurrency: 10)
        for id in ["1", "2", "3", "4"] { queue.add(delivery(id), notBefore: 50, now: 0) }
        #expect(queue.takeStartable(now: 50).map(\.id) == ["1", "2", "3", "4"])
    }

    @Test("a full endpoint reports no wake-up time: capacity, not time, is what it waits for")
    func fullEndpoint() {
        var queue = DeliveryQueue(concurrency: 1)
        queue.add(delivery("a"), notBefore: 0, now: 0)
        queue.add(delivery("b"), notBefore: 0, now: 0)
        _ = queue.takeStartable(now: 0)
        #expect(queue.nextWakeup == nil)
        #expect(queue.removeAll().map(\.id) == ["b"])
    }
}

extension DeliveryQueue {
    /// Everything ``takeOne(now:)`` gives at `now`, oldest first (the dispatcher takes one at a
    /// time, asking its endpoint's gate before each).
    mutating func takeStartable(now: Int64) -> [HeldDelivery] {
        var started: [HeldDelivery] = []
        while let next = takeOne(now: now) { started.append(next) }
        return started
    }
}
