import HeraldJournal
import Testing

@testable import HeraldCore

@Suite("endpoint queue: read-back fills its stubs")
struct EndpointQueueTests {
    private func queue(of ids: [String]) -> EndpointQueue {
        var queue = EndpointQueue()
        for id in ids { queue.add(HeldDelivery(id: id), notBefore: 0, now: 0) }
        return queue
    }

    private func loaded(_ ids: [String]) -> [(id: String, box: HeldDelivery.Box)] {
        ids.map { ($0, HeldDelivery.Box(pendingDelivery($0, payload: 10))) }
    }

    @Test("read-back answers match their stubs whatever happened in between", arguments: [
        // (queue, asked and answered, filled)
        (["a", "b", "c", "d"], ["a", "b", "c"], ["a", "b", "c"]),
        (["a", "b", "c", "d"], ["a", "x", "c"], ["a", "c"]),  // x left the queue meanwhile
        (["a", "b", "c", "d"], ["x", "b", "c"], ["b", "c"]),
        (["a", "b", "c", "d"], ["c", "a"], ["a", "c"]),  // out of order: found by the second pass
        (["a", "b", "c", "d"], [], []),
    ])
    func hydrate(queued: [String], answered: [String], filled: [String]) {
        var queue = queue(of: queued)
        #expect(queue.readyStubs == queued.count)
        let bytes = queue.hydrate(loaded(answered), within: 512)
        #expect(bytes == 10 * filled.count)
        #expect(queue.readyStubs == queued.count - filled.count)
        var withPayload: [String] = []
        while let front = queue.popFront() { if front.box != nil { withPayload.append(front.id) } }
        #expect(withPayload == filled)
    }

    @Test("the count of stubs follows every way in and out of the ready list")
    func stubCount() {
        var queue = queue(of: ["a", "b", "c"])
        queue.add(HeldDelivery(pendingDelivery("d", payload: 10), keepPayload: true), notBefore: 0, now: 0)
        #expect(queue.readyStubs == 3)
        _ = queue.removeReady("b", within: 8)
        #expect(queue.readyStubs == 2)
        _ = queue.popFront()
        #expect(queue.readyStubs == 1)
        queue.putBack(HeldDelivery(id: "a"), notBefore: 50, now: 0)
        queue.promoteDue(now: 50)
        #expect(queue.readyStubs == 2, "a retry that falls due comes back as a stub")
        _ = queue.removeAll()
        #expect(queue.readyStubs == 0)
    }

    @Test("read-back asks for a whole batch of stubs once few payloads are left ahead of them, and always when a stub is at the front")
    func stubsToRead() {
        var queue = EndpointQueue()
        for id in ["h0", "h1", "h2"] { queue.add(HeldDelivery(pendingDelivery(id, payload: 10), keepPayload: true), notBefore: 0, now: 0) }
        for index in 0..<10 { queue.add(HeldDelivery(id: "s\(index)"), notBefore: 0, now: 0) }
        #expect(queue.stubsToRead(limit: 4, lead: 5) == ["s0", "s1", "s2", "s3"], "a batch of stubs, not those within the first entries")
        #expect(queue.stubsToRead(limit: 4, lead: 3).isEmpty, "three payloads ahead are enough for now")
        for _ in 0..<3 { _ = queue.popFront() }
        queue.add(HeldDelivery(pendingDelivery("late", payload: 10), keepPayload: true), notBefore: 0, now: 0)
        #expect(queue.stubsToRead(limit: 2, lead: 1) == ["s0", "s1"], "a stub at the front is read whatever is held behind it")
    }
}
