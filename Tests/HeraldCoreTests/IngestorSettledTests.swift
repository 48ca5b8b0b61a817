import Foundation
import HeraldHTTP
import HeraldSource
import Logging
import Synchronization
import Testing

@testable import HeraldCore
@testable import HeraldJournal

/// A line read again after journal damage is skipped when its delivery is pending or known to be
/// settled. The dispatcher notes a settlement before the journal forgets it, so the ingestor must
/// ask what is settled after it has asked the journal: asked before, a delivery settled in between
/// is in neither answer and is sent again (the stressed CI's `recovered=2`).
@Suite("ingest of re-read lines")
struct IngestorSettledTests {
    @Test("deliveries settled while the journal is being asked are not enqueued again; one in neither answer is")
    func settledAskedAfterJournal() async throws {
        let (state, config) = try scratchState("ingest")
        defer { try? FileManager.default.removeItem(at: state) }
        // The journal's read-back of a pending payload marks that the journal has been asked.
        let asked = Atomic<Bool>(false)
        var options = JournalOptions()
        options.injectReadFailure = {
            asked.store(true, ordering: .sequentiallyConsistent)
            return nil
        }
        let (journal, _) = try Journal.open(directory: state.appendingPathComponent("journal").path, options: options)
        let client = try HTTPClient()
        defer { client.shutdown() }
        let stats = DeliveryStats()
        let logger = Logger(label: "test")
        let deadLetters = try DeadLetterStore(directory: state.appendingPathComponent("dead").path)
        let dispatcher = Dispatcher(live: LiveConfig(config), client: client, journal: journal, deadLetters: deadLetters, stats: stats, logger: logger)
        dispatcher.stop()  // nothing is attempted: what is pending stays so
        let ingestor = Ingestor(live: LiveConfig(config), journal: journal, dispatcher: dispatcher,
                                stats: stats, logger: logger, now: { 1 })
        let origin = IngestOrigin.first(of: config)
        func batch(_ ids: [String]) -> LineBatch {
            LineBatch(lines: ids.map { SourceLine(bytes: ArraySlice(Array(#"{"type":"t","id":"\#($0)"}"#.utf8))) }, checkpoint: nil)
        }
        func delivery(_ event: String) -> String { RequestRenderer.webhookID(eventID: event, route: "r", endpoint: "a") }

        var none = RereadGuard(recovered: [])
        #expect(try await ingestor.ingest(batch(["pending", "settled", "lost"]), from: origin, reread: &none) == 3)
        // "settled" is acked and "lost" is gone without a trace (its record was the damaged one).
        try await journal.append([.ack(id: delivery("settled")), .ack(id: delivery("lost"))])
        asked.store(false, ordering: .sequentiallyConsistent)

        // The dispatcher's note of "settled" becomes visible only once the journal has been asked,
        // as when the settlement lands between the two.
        let enqueued = try await ingestor.ingest(batch(["pending", "settled", "lost"]), from: origin, reread: &none, settled: {
            asked.load(ordering: .sequentiallyConsistent) && $0 == delivery("settled")
        })
        let readBack = asked.load(ordering: .sequentiallyConsistent)
        #expect(readBack, "the pending delivery's payload was read back")
        #expect(enqueued == 1, "only the delivery in neither answer is enqueued again")
        let pending = Set(await journal.read([delivery("pending"), delivery("settled"), delivery("lost")]).compactMap { $0.delivery?.id })
        #expect(pending == [delivery("pending"), delivery("lost")])
        await journal.close()
    }
}
