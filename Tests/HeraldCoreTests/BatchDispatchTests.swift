import HeraldJournal
import Testing

@testable import HeraldCore

@Suite("dispatch machine: batches in virtual time")
struct BatchDispatchTests {
    static func batched(maxEvents: Int = 100, maxBytes: Int = 1 << 20, maxWait: Duration = .seconds(1), concurrency: Int = 1) -> EndpointConfig {
        var config = endpoint("erp", concurrency: concurrency, retry: [.seconds(1), .seconds(2)])
        config.batch = BatchConfig(maxEvents: maxEvents, maxBytes: maxBytes, maxWait: maxWait, format: .jsonArray)
        return config
    }

    @Test("full batches go at once, in read order; the rest waits max_wait for company, then goes")
    func fillAndWait() {
        var run = MachineHarness([Self.batched()])
        run.submit((0..<250).map { pendingDelivery("d\($0)", enqueuedAt: 1_000_000) })
        #expect(run.batches.map(\.count) == [100])
        #expect(run.batches[0] == (0..<100).map { "d\($0)" })
        run.finish(nil, ok)
        #expect(run.batches.map(\.count) == [100, 100])
        run.finish(nil, ok)
        // 50 left and the oldest has waited 0 ms of its 1 s: nothing goes before the wake-up.
        #expect(run.inFlight.isEmpty)
        run.advance(to: 1_000_999)
        #expect(run.inFlight.isEmpty)
        run.advance(to: 1_001_000)
        #expect(run.batches.map(\.count) == [100, 100, 50])
        run.finish(nil, ok)
        run.advance(by: 100)
        #expect(Set(run.acked) == Set((0..<250).map { "d\($0)" }))
        #expect(run.pending == 0)
    }

    @Test("max_bytes closes a batch early; one payload larger than it still goes, alone")
    func byteBound() {
        var run = MachineHarness([Self.batched(maxEvents: 100, maxBytes: 1_000, concurrency: 4)])
        run.submit([pendingDelivery("big", payload: 5_000)] + (0..<25).map { pendingDelivery("s\($0)", payload: 100) })
        #expect(run.batches.map(\.count) == [1, 10, 10])
        #expect(run.batches[0] == ["big"])
    }

    @Test("a 503 retries the batch whole: its members fall due together and go again as one batch")
    func retriedWhole() {
        var run = MachineHarness([Self.batched(maxEvents: 10)])
        run.submit((0..<10).map { pendingDelivery("d\($0)") })
        run.finish(nil, unavailable)
        run.settleIO()
        #expect(run.inFlight.isEmpty)
        run.advance(by: 1_200)
        #expect(run.batches.count == 2)
        #expect(run.batches[1] == run.batches[0])
        run.finish(nil, ok)
        run.advance(by: 100)
        #expect(Set(run.acked).count == 10)
    }

    @Test("a permanent failure dead-letters every member with the reason; members that could not be built are buried with theirs")
    func deadMembers() {
        var run = MachineHarness([Self.batched(maxEvents: 5)])
        run.submit((0..<5).map { pendingDelivery("d\($0)") })
        run.finishBatch("d0", .status(400, retryAfter: nil), unsendable: ["d3": .corrupt])
        run.advance(by: 100)
        #expect(run.buried.count == 5)
        #expect(run.buried.filter { $0.reason == .permanent(status: 400) }.count == 4)
        #expect(run.buried.first { $0.id == "d3" }?.reason == .corrupt)
        #expect(run.pending == 0)
    }

    @Test("concurrency counts requests, not deliveries; after a stop, what waited for company stays pending (journaled) for the next run")
    func concurrencyAndStop() {
        var run = MachineHarness([Self.batched(maxEvents: 10, concurrency: 2)])
        run.submit((0..<45).map { pendingDelivery("d\($0)") })
        #expect(run.inFlight.count == 2)
        #expect(run.batches.map(\.count) == [10, 10])
        run.finishAll(ok)
        #expect(run.batches.map(\.count) == [10, 10, 10, 10])
        run.finishAll(ok)
        #expect(run.inFlight.isEmpty, "5 left: they wait for max_wait")
        run.stop()
        run.advance(by: 5_000)
        #expect(run.inFlight.isEmpty)
        #expect(run.acked.count == 40)
        #expect(run.pending == 5)
    }
}
