import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Testing

@testable import HeraldAdmin

@Suite("the /deliveries scan thread")
struct DeliveryScanThreadTests {
    @Test("work runs on the herald-scan thread at nice 10; past maxQueued a request is refused at once, then served again")
    func queueBound() async throws {
        let thread = DeliveryScanThread(maxQueued: 1)
        let gate = DispatchSemaphore(value: 0)
        let running = RunningFlag()
        let first = Task {
            await thread.run { () -> (String, Int32) in
                let name = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
                let nice = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
                running.value.store(true, ordering: .relaxed)
                gate.wait()  // holds the scan thread, never a cooperative one
                return (name.trimmingCharacters(in: .newlines), nice)
            }
        }
        var waited = 0
        while !running.value.load(ordering: .relaxed) && waited < 6000 {
            try await Task.sleep(for: .milliseconds(10))
            waited += 1
        }
        #expect(running.isSet)
        // The one place is taken while the first scan runs: another request is told no without waiting.
        let refused = await thread.run { 3 }
        gate.signal()
        #expect(refused == nil)
        let (name, nice) = try #require(await first.value)
        #expect(name == "herald-scan")
        #expect(nice == 10)
        #expect(await thread.run { 4 } == 4)
    }
}

/// Set by the scan once it runs, so the test knows the one place is taken.
final class RunningFlag: Sendable {
    let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .relaxed) }
}
