import HeraldJournal
import Testing

@testable import HeraldCore

@Suite("dispatch machine: properties over random input sequences")
struct DispatchMachinePropertyTests {
    /// Three endpoints that differ in what constrains them: an ordered one, a rate-limited one
    /// with a breaker, and a plain one.
    static func endpoints(enabled: Bool = true) -> [EndpointConfig] {
        [
            endpoint("ordered", concurrency: 4, retry: [.milliseconds(200), .milliseconds(500), .seconds(1)], ordering: "key",
                     enabled: enabled),
            endpoint("limited", concurrency: 8, retry: [.milliseconds(300), .seconds(1)],
                     breaker: BreakerConfig(failures: 3, cooldown: .seconds(2)), rate: Rate(count: 20, period: .seconds(1))),
            endpoint("plain", concurrency: 2, retry: [.milliseconds(100), .milliseconds(100), .milliseconds(100)]),
        ]
    }

    @Test("no delivery is lost, doubled or stalled; concurrency, rate limit and per-key order always hold", arguments: 0..<60)
    func randomSequences(seed: Int) throws {
        var random = SplitMix64(seed: UInt64(seed) &* 7919 &+ 1)
        var run = MachineHarness(Self.endpoints()) { $0.payloadBudget = 2_000 }
        let results: [AttemptResult] = [ok, ok, ok, ok, unavailable, refused, .status(400, retryAfter: nil), .status(429, retryAfter: .seconds(1))]
        var submitted: [PendingDelivery] = []
        var order: [String: [String]] = [:]  // key → ids in submission order (ordered endpoint)
        var final: Set<String> = []          // ids whose last attempt has reported (delivered or dead)
        var next = 0

        func checkStep(_ run: MachineHarness) {
            let concurrency = ["ordered": 4, "limited": 8, "plain": 2]
            for (name, limit) in concurrency {
                #expect(run.inFlight.filter { $0.endpoint == name }.count <= limit, "seed \(seed): \(name) over its concurrency")
            }
            #expect(Set(run.inFlight.map(\.id)).count == run.inFlight.count, "seed \(seed): an id in flight twice")
        }

        for _ in 0..<400 {
            switch random.next() % 10 {
            case 0, 1, 2:
                let count = Int(random.next() % 6) + 1
                var batch: [PendingDelivery] = []
                for _ in 0..<count {
                    let target = ["ordered", "limited", "plain", "gone-missing"][Int(random.next() % 10) < 9 ? Int(random.next() % 3) : 3]
                    let key = target == "ordered" && random.next() % 4 != 0 ? "k\(random.next() % 5)" : nil
                    let delivery = pendingDelivery("d\(next)", to: target, key: key, payload: Int(random.next() % 400) + 1, enqueuedAt: run.now)
                    next += 1
                    if let key { order[key, default: []].append(delivery.id) }
                    batch.append(delivery)
                }
                submitted += batch
                run.submit(batch)
            case 3, 4, 5:
                guard !run.inFlight.isEmpty else { break }
                let index = Int(random.next() % UInt64(run.inFlight.count))
                let id = run.inFlight[index].id
                let before = run.notices.count
                run.finish(id, results[Int(random.next() % UInt64(results.count))])
                let retried = run.notices[before...].contains { if case .retrying(let d, _, _) = $0 { return d.id == id } else { return false } }
                if !retried { final.insert(id) }
            case 6, 7:
                run.advance(by: Int64(random.next() % 1_500))
            case 8:
                run.failReads = random.next() % 4 == 0
                run.failJournalWrites = random.next() % 4 == 0
                run.failBurials = random.next() % 4 == 0
                run.settleIO()
            default:
                if random.next() % 3 == 0 {
                    run.reconfigure(Self.endpoints(enabled: random.next() % 2 == 0))
                } else {
                    run.settleIO()
                }
            }
            checkStep(run)
            // Per-key order: a delivery starts only once every earlier one with its key has finished for good.
            for (_, ids) in order {
                for (position, id) in ids.enumerated() where run.inFlight.contains(where: { $0.id == id }) {
                    for earlier in ids[..<position] where !final.contains(earlier) && !run.buried.contains(where: { $0.id == earlier }) {
                        Issue.record("seed \(seed): \(id) started before \(earlier) of the same key was settled")
                    }
                }
            }
            // Liveness: anything pending that is not in flight is covered by a wake-up or by I/O under way.
            if run.pending > 0, run.inFlight.isEmpty, !run.hasIOUnderWay, run.machine.queuedOnEnabled > 0 {
                #expect(run.machine.wakeup != nil, "seed \(seed): pending deliveries with no wake-up armed")
            }
        }

        // The faults clear and every endpoint answers: everything ends delivered or dead-lettered.
        run.failReads = false
        run.failJournalWrites = false
        run.failBurials = false
        run.reconfigure(Self.endpoints())
        for _ in 0..<2_000 where run.pending > 0 {
            run.finishAll(ok)
            run.advance(by: 500)
        }
        #expect(run.pending == 0, "seed \(seed): \(run.pending) deliveries never settled")
        let acked = run.acked, buried = run.buried.map(\.id)
        #expect(Set(acked).count == acked.count, "seed \(seed): an ack journaled twice")
        #expect(Set(buried).count == buried.count, "seed \(seed): a delivery buried twice")
        #expect(Set(acked).isDisjoint(with: buried), "seed \(seed): a delivery both acked and buried")
        #expect(Set(acked).union(buried) == Set(submitted.map(\.id)), "seed \(seed): deliveries lost")
        // Rate limit: 20/s with a burst of 2, over any second.
        let limited = run.started.filter { $0.endpoint == "limited" }.map(\.at)
        for (index, start) in limited.enumerated() {
            let inSecond = limited[index...].prefix { $0 < start + 1_000 }.count
            #expect(inSecond <= 22, "seed \(seed): \(inSecond) requests in one second at 20/s")
        }
    }
}
