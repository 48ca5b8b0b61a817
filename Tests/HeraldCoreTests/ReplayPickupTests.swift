import Foundation
import HeraldHTTP
import HeraldJournal
import HeraldSource
import Logging
import ServiceLifecycle
import Testing

@testable import HeraldCore

@Suite("replay pick-up")
struct ReplayPickupTests {
    @Test("a spool submit is picked up at once by inotify, not by the fallback timer, and the service stops on graceful shutdown",
          .timeLimit(.minutes(1)))
    func pickedUpOnSubmit() async throws {
        let (state, config) = try scratchState("replay")
        defer { try? FileManager.default.removeItem(at: state) }
        let (journal, _) = try Journal.open(directory: state.appendingPathComponent("journal").path)
        let deadLetters = try DeadLetterStore(directory: state.appendingPathComponent("dead").path)
        let spool = try ReplaySpool(directory: state.appendingPathComponent("replay").path)
        let client = try HTTPClient()
        defer { client.shutdown() }
        let stats = DeliveryStats()
        let logger = Logger(label: "test")
        let dispatcher = Dispatcher(live: LiveConfig(config), client: client, journal: journal, deadLetters: deadLetters, stats: stats, logger: logger)
        // Stopped, so that the replayed delivery stays pending instead of being attempted.
        dispatcher.stop()
        let letter = PendingDelivery(id: "msg_1", endpoint: "a", route: "r", eventID: "evt_1", eventType: "t", enqueuedAt: 1, attempts: 7,
                                     payload: Array("{}".utf8))
        try deadLetters.add(letter, reason: "gave up", at: 2)

        let replayer = Replayer(spool: spool, deadLetters: deadLetters, journal: journal, dispatcher: dispatcher, stats: stats, logger: logger,
                                now: { 3 })
        let wakeups = try #require(DirectoryWakeups(directory: spool.directory, mask: DirectoryWakeups.filesArriving))
        // A fallback of an hour: only the wake-up can explain a prompt pick-up.
        let pickup = ReplayPickup(replayer: replayer, wakeups: wakeups, fallbackInterval: .seconds(3600))
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [pickup], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            // Past the first take at start, so that this request is the wake-up's.
            try await Task.sleep(for: .milliseconds(200))
            try spool.submit(ids: ["msg_1"])
            // Well under a second when idle. With an hour-long fallback, only the wake-up can end
            // this wait within the test's time limit, however loaded the machine is.
            while stats.snapshot.replayed == 0 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(stats.snapshot.replayed == 1)
            #expect(try deadLetters.get(id: "msg_1") == nil)
            #expect(journal.pendingCount == 1)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        await journal.close()
    }
}
