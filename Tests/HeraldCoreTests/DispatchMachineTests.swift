import HeraldJournal
import Testing

@testable import HeraldCore

@Suite("dispatch machine: scenarios in virtual time")
struct DispatchMachineTests {
    @Test("an open circuit with a quiet source: the probe goes at the end of the cool-down, its success closes the circuit and drains the backlog")
    func breakerProbesWithoutNewInput() {
        var run = MachineHarness([endpoint("erp", retry: [.seconds(1), .seconds(2), .seconds(4), .seconds(4), .seconds(4)],
                                           breaker: BreakerConfig(failures: 3, cooldown: .seconds(5)))])
        run.submit([pendingDelivery("a"), pendingDelivery("b")])
        #expect(run.startedIDs() == ["a", "b"])
        run.finishAll(refused)
        run.settleIO()
        run.advance(by: 1_300)
        run.finish(nil, refused)  // third failure: the circuit opens for 5 s
        let opened = run.now
        #expect(run.machine.currentStatus.openCircuits == ["erp"])
        run.finishAll(refused)
        run.settleIO()
        // The receiver comes back; no new line, no signal: only the wake-up can move things.
        run.advance(to: opened + 4_999)
        #expect(run.inFlight.isEmpty, "nothing goes during the cool-down")
        run.advance(to: opened + 5_000)
        #expect(run.inFlight.count == 1, "one probe at the end of the cool-down")
        run.finish(nil, ok)
        #expect(run.machine.currentStatus.openCircuits.isEmpty)
        run.advance(by: 5_000)
        run.finishAll(ok)
        run.settleIO()
        run.advance(by: 100)
        run.settleIO()
        #expect(Set(run.acked) == ["a", "b"])
        #expect(run.pending == 0)
    }

    @Test("retries that fall due while the circuit is open wait for the probe instead of stalling")
    func retriesDueDuringCooldown() {
        var run = MachineHarness([endpoint("erp", retry: Array(repeating: .milliseconds(100), count: 50),
                                           breaker: BreakerConfig(failures: 3, cooldown: .seconds(2)))])
        run.submit((0..<3).map { pendingDelivery("d\($0)") })
        run.finishAll(unavailable)  // three failures: open for 2 s; all three retries fall due inside it
        run.settleIO()
        #expect(run.machine.currentStatus.openCircuits == ["erp"])
        run.advance(by: 1_500)
        run.settleIO()  // the retries fell due: their payloads are read back while the circuit stays open
        #expect(run.inFlight.isEmpty)
        #expect(run.machine.wakeup != nil, "pending deliveries always have a wake-up armed")
        run.advance(by: 600)
        #expect(run.inFlight.count == 1)
        run.finish(nil, ok)
        run.finishAll(ok)
        run.settleIO()
        run.advance(by: 50)
        run.settleIO()
        #expect(run.acked.count == 3)
        #expect(run.pending == 0)
    }

    @Test("a rate limit paces first attempts and retries alike, and arms a wake-up for the next token")
    func rateLimitWithRetries() {
        var run = MachineHarness([endpoint("erp", concurrency: 64, retry: [.milliseconds(500)], rate: Rate(count: 10, period: .seconds(1)))])
        run.submit((0..<20).map { pendingDelivery("r\($0)") })
        #expect(run.started.count == 1, "burst: a tenth of a second's worth, at least one")
        for _ in 0..<40 {
            // Every third delivery fails its first attempt and is retried 500 ms later.
            if let id = run.inFlight.first?.id {
                let first = run.started.filter { $0.id == id }.count == 1
                run.finish(id, first && Int(id.dropFirst())! % 3 == 0 ? unavailable : ok)
            }
            run.advance(by: 100)
        }
        let start = run.started.first!.at
        let inFirstSecond = run.started.filter { $0.at < start + 1_000 }.count
        #expect(inFirstSecond <= 11, "at most 10/s plus the burst")
        run.finishAll(ok)
        for _ in 0..<40 {
            run.advance(by: 100)
            run.finishAll(ok)
            run.settleIO()
        }
        #expect(Set(run.acked).count == 20)
        #expect(run.pending == 0)
    }

    @Test("a reload during a retry: the retry still fires, under the new settings")
    func reloadDuringRetry() {
        var run = MachineHarness([endpoint("erp", retry: [.seconds(2)])])
        run.submit([pendingDelivery("a")])
        run.finish(nil, unavailable)
        run.settleIO()
        run.advance(by: 500)
        run.reconfigure([endpoint("erp", concurrency: 2, retry: [.seconds(60)])])
        #expect(run.machine.wakeup != nil, "the retry's wake-up survives the reload")
        run.advance(by: 2_000)
        #expect(run.startedIDs() == ["a", "a"])
        run.finish(nil, ok)
        run.settleIO()
        run.advance(by: 20)
        run.settleIO()
        #expect(run.acked == ["a"])
    }

    @Test("410 Gone with 100,000 pending: burials in bounded batches, one notice each, nothing left behind")
    func goneWithLargeBacklog() {
        var run = MachineHarness([endpoint("erp", concurrency: 1)])
        run.submit((0..<100_000).map { pendingDelivery("g\($0)", payload: 10) })
        #expect(run.inFlight.count == 1)
        run.finish(nil, .status(410, retryAfter: nil))
        #expect(run.machine.currentStatus.gone.keys.sorted() == ["erp"])
        var batches = 0
        while run.machine.buryBacklog > 0 || run.pending > 0 {
            run.settleIO()
            batches += 1
            if batches > 1_000 { break }
        }
        #expect(run.buried.count == 100_000)
        #expect(run.buried.allSatisfy { $0.reason == .gone(endpoint: "erp") })
        let notices = run.notices.filter { if case .buried = $0 { return true } else { return false } }
        #expect(notices.count <= 100_000 / 256 + 1)
        #expect(run.pending == 0)
        run.submit([pendingDelivery("late")])
        run.settleIO()
        #expect(run.buried.last?.id == "late", "an endpoint that is gone takes nothing new until the config changes")
    }

    @Test("ordering: a failing head holds back only later deliveries with its key; a dead-lettered head lets its key move on")
    func orderingWithFailingHead() {
        var run = MachineHarness([endpoint("erp", concurrency: 8, retry: [.seconds(1)], ordering: "data.order_id")])
        run.submit([pendingDelivery("a1", key: "A"), pendingDelivery("b1", key: "B"), pendingDelivery("a2", key: "A"),
                    pendingDelivery("n1"), pendingDelivery("a3", key: "A"), pendingDelivery("b2", key: "B")])
        #expect(run.startedIDs() == ["a1", "b1", "n1"], "one at a time per key; no key, no wait")
        run.finish("a1", unavailable)
        run.finish("b1", ok)
        #expect(run.startedIDs() == ["a1", "b1", "n1", "b2"], "B moves on; A waits for its head's retry")
        run.settleIO()
        run.advance(by: 1_200)
        #expect(run.startedIDs().last == "a1", "the head is retried first")
        run.finish("a1", unavailable)  // the schedule is exhausted: a1 goes to the dead letters
        #expect(run.startedIDs().last == "a2", "a dead-lettered head lets its key move on")
        run.finish("a2", ok)
        #expect(run.startedIDs().last == "a3")
        run.finishAll(ok)
        run.settleIO()
        run.advance(by: 20)
        run.settleIO()
        #expect(run.buried.map(\.id) == ["a1"])
        #expect(Set(run.acked) == ["b1", "n1", "b2", "a2", "a3"])
        #expect(run.pending == 0)
    }

    @Test("a read-back that fails (out of descriptors) keeps the deliveries queued and reads them again")
    func readBackFailure() {
        var run = MachineHarness([endpoint("erp", concurrency: 4)]) { $0.payloadBudget = 250 }
        run.submit((0..<10).map { pendingDelivery("s\($0)", payload: 100) })
        #expect(run.started.count == 2, "two fit the budget; the rest are stubs to read back")
        run.failReads = true
        run.settleIO()
        #expect(run.notices.contains { if case .readBackFailed = $0 { return true } else { return false } })
        #expect(run.pending == 10)
        run.failReads = false
        run.finishAll(ok)
        for _ in 0..<50 {
            run.advance(by: 200)
            run.settleIO()
            run.finishAll(ok)
        }
        run.settleIO()
        #expect(Set(run.acked).count == 10)
        #expect(run.pending == 0)
    }

    @Test("an ack that cannot be journaled is written again; the delivery stays pending until it is")
    func settlementFailure() {
        var run = MachineHarness([endpoint("erp")])
        run.submit([pendingDelivery("a")])
        run.finish(nil, ok)
        run.failJournalWrites = true
        run.advance(by: 10)
        #expect(run.pending == 1, "not settled until the ack is durable")
        #expect(run.machine.wakeup != nil, "the write is tried again after a backoff")
        run.failJournalWrites = false
        run.advance(by: 100)
        run.settleIO()
        #expect(run.acked == ["a"])
        #expect(run.pending == 0)
        #expect(run.startedIDs() == ["a"], "a failed ack write never sends the delivery again")
    }

    @Test("a failing journal write is an episode: its notices count the failures in a row (the shell logs the first), and one notice ends it")
    func failureEpisodes() {
        var run = MachineHarness([endpoint("erp")])
        run.submit([pendingDelivery("a")])
        run.finish(nil, ok)
        run.failJournalWrites = true
        run.advance(by: 5_000)
        let failures = run.notices.compactMap { notice -> Int? in
            if case .journalFailed(_, _, _, let failures) = notice { return failures } else { return nil }
        }
        #expect(failures.count >= 3 && failures == Array(1...failures.count), "\(failures)")
        run.failJournalWrites = false
        run.advance(by: 10_000)
        run.settleIO()
        #expect(run.acked == ["a"])
        let recoveries = run.notices.filter { if case .recovered = $0 { true } else { false } }
        #expect(recoveries == [.recovered(.outcomes, failures: failures.count)])
    }

    @Test("while attempt records cannot be journaled, a retried delivery read back still counts every attempt, and its schedule ends")
    func attemptsCountWhileWritesFail() {
        var run = MachineHarness([endpoint("erp", retry: [.milliseconds(100), .milliseconds(100), .milliseconds(100)])])
        run.failJournalWrites = true
        run.submit([pendingDelivery("a")])
        for _ in 0..<10 {
            if !run.inFlight.isEmpty { run.finish(nil, unavailable) }
            run.advance(by: 200)
        }
        #expect(run.startedIDs() == ["a", "a", "a", "a"], "the first attempt and the schedule's three retries, no more")
        #expect(run.buried.map(\.id) == ["a"])
        #expect(run.buried.first?.reason == .exhausted(attempts: 4, last: "HTTP 503"))
    }

    @Test("a dead letter that cannot be written (disk full) is buried again later; the delivery stays pending meanwhile")
    func buryFailure() {
        var run = MachineHarness([endpoint("erp")])
        run.submit([pendingDelivery("a")])
        run.finish(nil, .status(400, retryAfter: nil))
        run.failBurials = true
        run.settleIO()
        #expect(run.pending == 1)
        run.failBurials = false
        run.advance(by: 100)
        run.settleIO()
        #expect(run.buried.map(\.id) == ["a"])
        #expect(run.buried.first?.reason == .permanent(status: 400))
        #expect(run.pending == 0)
    }

    @Test("a three-day retry schedule runs in virtual time and dead-letters at max_age")
    func longSchedule() {
        var run = MachineHarness([endpoint("erp", retry: RetryConfig.standard.schedule, maxAge: RetryConfig.standard.maxAge)])
        run.submit([pendingDelivery("a")])
        for _ in 0..<(4 * 24 * 60) {
            if !run.inFlight.isEmpty { run.finish(nil, unavailable) }
            run.advance(by: 60_000)
        }
        #expect(run.buried.count == 1)
        #expect(run.started.count >= 8, "the schedule's steps up to max_age, a minute apart at most")
        if case .maxAge(let limit, _, _)? = run.buried.first?.reason { #expect(limit == .seconds(3 * 86_400)) } else { Issue.record("\(run.buried)") }
        #expect(run.pending == 0)
    }

    @Test("a removed endpoint's queue goes to the dead letters; a disabled one keeps it without sending")
    func removedAndDisabled() {
        var run = MachineHarness([endpoint("erp", concurrency: 1), endpoint("crm", concurrency: 1)])
        run.submit([pendingDelivery("e1"), pendingDelivery("e2"), pendingDelivery("c1", to: "crm"), pendingDelivery("c2", to: "crm")])
        run.reconfigure([endpoint("crm", concurrency: 1, enabled: false)])
        run.finishAll(ok)
        run.settleIO()
        run.advance(by: 50)
        run.settleIO()
        #expect(run.buried.map(\.id) == ["e2"])
        #expect(run.buried.first?.reason == .removed(endpoint: "erp"))
        #expect(run.machine.queued("crm") == 1)
        #expect(run.pending == 1)
        run.reconfigure([endpoint("crm", concurrency: 1)])
        run.finishAll(ok)
        run.settleIO()
        run.advance(by: 50)
        run.settleIO()
        #expect(run.pending == 0)
    }

    @Test("stopping starts nothing more and writes the acks without waiting for the batch interval")
    func stopFlushes() {
        var run = MachineHarness([endpoint("erp", concurrency: 1)])
        run.submit([pendingDelivery("a"), pendingDelivery("b")])
        run.stop()
        run.finish(nil, ok)
        run.settleIO()
        #expect(run.acked == ["a"])
        #expect(run.startedIDs() == ["a"])
        #expect(run.machine.isSettled)
    }
}

@Suite("dead-letter reasons")
struct DeadLetterReasonTests {
    @Test("each reason gives its metric label and its message", arguments: [
        (DeadLetterReason.permanent(status: 400), "permanent", "permanent failure: HTTP 400"),
        (.exhausted(attempts: 4, last: "HTTP 503"), "exhausted", "retry schedule exhausted after 4 attempts; last: HTTP 503"),
        (.maxAge(limit: .seconds(86_400), attempts: 3, last: "HTTP 500"), "max_age", "max_age 1d exceeded after 3 attempts; last: HTTP 500"),
        (.gone(endpoint: "erp"), "gone", "HTTP 410 Gone: the receiver retired endpoint 'erp'"),
        (.removed(endpoint: "erp"), "removed", "endpoint 'erp' was removed from the config"),
        (.render("transform of route 'r' failed: x"), "render", "transform of route 'r' failed: x"),
        (.corrupt, "corrupt", "the journaled payload is unreadable"),
    ])
    func labelsAndMessages(reason: DeadLetterReason, label: String, message: String) {
        #expect(reason.label == label)
        #expect(reason.message == message)
    }
}

@Suite("dispatch machine: the same delivery twice")
struct DispatchMachineDuplicateTests {
    @Test("a second copy of a delivery that is in flight is not sent alongside it, and nothing leaks")
    func sameIDInFlight() {
        var run = MachineHarness([endpoint("erp", concurrency: 2)])
        run.submit([pendingDelivery("a")])
        run.submit([pendingDelivery("a")])
        #expect(run.startedIDs() == ["a"])
        run.finish(nil, ok)
        run.advance(by: 50)
        #expect(run.pending == 0)
        run.submit([pendingDelivery("b"), pendingDelivery("c")])
        #expect(run.startedIDs() == ["a", "b", "c"], "both slots are free again")
    }
}

@Suite("re-read guard")
struct RereadGuardTests {
    @Test("lines read again after a crash are skipped until the first delivery the journal did not have")
    func skipsTheJournaledTail() {
        var reread = RereadGuard(recovered: (6..<10).map { "d\($0)" })
        #expect(reread.fresh([pendingDelivery("d6"), pendingDelivery("d7")]).isEmpty)
        #expect(reread.isActive)
        #expect(reread.fresh([pendingDelivery("d8"), pendingDelivery("d9"), pendingDelivery("n1")]).map(\.id) == ["n1"])
        #expect(!reread.isActive, "everything after a new delivery is new")
        #expect(reread.fresh([pendingDelivery("d9")]).map(\.id) == ["d9"])
    }
}

@Suite("dispatch machine: recovery")
struct DispatchMachineRecoveryTests {
    @Test("deliveries recovered without payloads wait as stubs, are read back in batches and sent with their payloads")
    func recoveredStubs() {
        var run = MachineHarness([endpoint("erp", concurrency: 4)])
        let recovered = (0..<600).map { pendingDelivery("r\($0)", payload: 50) }
        for delivery in recovered { run.journal[delivery.id] = delivery }
        var actions: [DispatchAction] = []
        run.machine.submit(recovered.map { var stub = $0; stub.payload = []; return stub }, payloads: false, now: run.now, &actions)
        #expect(!actions.contains { if case .start = $0 { return true } else { return false } }, "nothing starts before its payload is read back")
        #expect(actions.contains { if case .readBack(_, let ids) = $0 { return ids.count == 256 } else { return false } })
    }

    @Test("a catch-up: deliveries submitted behind stubs wait as stubs too, so the payload budget serves the front, read back in whole batches")
    func budgetServesTheFront() {
        var run = MachineHarness([endpoint("erp", concurrency: 1)]) {
            $0.payloadBudget = 300
            $0.readAhead = 8
        }
        run.submit((0..<6).map { pendingDelivery("s\($0)", payload: 100) })
        #expect(run.startedIDs() == ["s0"])
        #expect(run.readsAsked == [["s3", "s4", "s5"]], "the stubs near the front are asked for at once")
        #expect(run.machine.heldBytes == 200)
        run.submit((0..<3).map { pendingDelivery("t\($0)", payload: 100) })
        #expect(run.machine.heldBytes == 200, "behind stubs, new deliveries keep no payload although the budget has room")
        run.settleIO()
        for _ in 0..<9 {
            run.finish(nil, ok)
            run.settleIO()
        }
        #expect(run.startedIDs() == ["s0", "s1", "s2", "s3", "s4", "s5", "t0", "t1", "t2"], "read order holds")
        #expect(run.readsAsked.dropFirst().allSatisfy { $0.count > 1 } || run.readsAsked.count == 1, "no read-back of one delivery at a time")
        run.advance(by: 20)
        run.settleIO()
        #expect(run.pending == 0)
        #expect(run.machine.heldBytes == 0)
    }
}
