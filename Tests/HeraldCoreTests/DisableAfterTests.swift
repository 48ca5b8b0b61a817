import HeraldJournal
import Testing

@testable import HeraldCore

/// `disable_after`: an endpoint failing without a success for that long is paused like a 410.
@Suite("dispatch machine: disable_after in virtual time")
struct DisableAfterTests {
    static func failing(disableAfter: Duration = .seconds(10)) -> EndpointConfig {
        var config = endpoint("erp", concurrency: 1, retry: Array(repeating: .seconds(1), count: 100), maxAge: .seconds(86_400))
        config.disableAfter = disableAfter
        return config
    }

    func disabledNotices(_ run: MachineHarness) -> [DeadLetterReason] {
        run.notices.compactMap { if case .endpointGone(_, let reason) = $0 { reason } else { nil } }
    }

    @Test("the clock starts at the first failure, a success stops it, and the failure past the limit pauses the endpoint and buries its queue")
    func pausesAfterContinuousFailure() {
        var run = MachineHarness([Self.failing()])
        let start = run.now
        run.submit([pendingDelivery("a"), pendingDelivery("b")])
        run.finish(nil, unavailable)
        #expect(run.machine.currentStatus.failingSince == ["erp": start])
        run.settleIO()
        run.advance(by: 1_000)
        run.finish(nil, ok)  // b goes through: the endpoint is alive
        #expect(run.machine.currentStatus.failingSince.isEmpty)
        run.settleIO()
        run.advance(by: 1_000)
        run.finish(nil, unavailable)  // a again: a new run of failures
        let since = run.now
        #expect(run.machine.currentStatus.failingSince == ["erp": since])
        run.submit([pendingDelivery("c"), pendingDelivery("d")])
        while run.now < since + 9_000 {
            run.settleIO()
            run.advance(by: 1_000)
            run.finishAll(unavailable)
        }
        #expect(disabledNotices(run).isEmpty, "9 s of failures: not yet")
        // Retries are jittered: the first failure at or after 10 s pauses it.
        while disabledNotices(run).isEmpty, run.now < since + 20_000 {
            run.settleIO()
            run.advance(by: 250)
            run.finishAll(unavailable)
        }
        #expect(run.now >= since + 10_000)
        run.settleIO()
        #expect(disabledNotices(run) == [.disabled(endpoint: "erp", since: since, after: .seconds(10))])
        #expect(run.machine.currentStatus.gone["erp"]?.contains("failing continuously since") == true)
        for _ in 0..<5 { run.settleIO() }
        #expect(Set(run.buried.map(\.id)) == ["a", "c", "d"])
        #expect(run.buried.allSatisfy { $0.reason.label == "disabled" })
        #expect(run.pending == 0)
    }

    @Test("a failing-since carried over from an earlier run counts", arguments: [
        // (failing for, this attempt, paused)
        (Int64(3_600_000), unavailable, true),
        (Int64(3_600_000), ok, false),
        (Int64(60_000), unavailable, false),
    ] as [(Int64, AttemptResult, Bool)])
    func carriedOver(failingFor: Int64, result: AttemptResult, paused: Bool) {
        var run = MachineHarness([Self.failing(disableAfter: .seconds(1_800))], now: 10_000_000, failingSince: ["erp": 10_000_000 - failingFor, "gone": 1])
        #expect(run.machine.currentStatus.failingSince == ["erp": 10_000_000 - failingFor], "names no longer in the config are dropped")
        run.submit([pendingDelivery("a")])
        run.finish(nil, result)
        #expect(!disabledNotices(run).isEmpty == paused)
        #expect(run.machine.currentStatus.failingSince["erp"] == (result == ok ? nil : 10_000_000 - failingFor))
    }

    @Test("a reload resumes a disabled endpoint and starts its clock again")
    func reloadResumes() {
        var run = MachineHarness([Self.failing(disableAfter: .seconds(1))], now: 5_000_000, failingSince: ["erp": 1_000_000])
        run.submit([pendingDelivery("a")])
        run.finish(nil, refused)
        #expect(disabledNotices(run).count == 1)
        run.reconfigure([Self.failing(disableAfter: .seconds(1))])
        #expect(run.machine.currentStatus.gone.isEmpty)
        #expect(run.machine.currentStatus.failingSince.isEmpty)
        run.settleIO()
        run.submit([pendingDelivery("b")])
        run.finish(nil, refused)
        #expect(disabledNotices(run).count == 1, "the first failure after the reload starts a new run")
        #expect(run.machine.currentStatus.failingSince == ["erp": run.now])
    }
}
