import HeraldJournal
import Logging

/// Picks up `herald dead replay` requests from the spool: each named dead letter is journaled
/// again as a fresh delivery (attempts reset, same delivery id), removed from the dead letters,
/// and handed to the dispatcher.
struct Replayer: Sendable {
    let spool: ReplaySpool
    let deadLetters: DeadLetterStore
    let journal: Journal
    let dispatcher: Dispatcher
    let stats: DeliveryStats
    let logger: Logger
    let now: @Sendable () -> Int64

    func takeRequests() async {
        do {
            let ids = try spool.take { refusal in
                logger.error("refused a replay request", metadata: ["error": "\(refusal.message)"])
            }
            guard !ids.isEmpty else { return }
            var deliveries: [PendingDelivery] = []
            for id in ids {
                guard let letter = try deadLetters.get(id: id) else {
                    logger.warning("replay requested for an unknown dead letter", metadata: ["delivery_id": "\(id)"])
                    continue
                }
                var delivery = letter.delivery
                delivery.attempts = 0
                delivery.notBefore = 0
                delivery.lastError = nil
                delivery.enqueuedAt = now()
                deliveries.append(delivery)
            }
            try await journal.append(deliveries.map(JournalRecord.enqueue))
            _ = try deadLetters.remove(ids: deliveries.map(\.id))
            stats.replayed(deliveries.count)
            logger.info("dead letters replayed", metadata: ["count": "\(deliveries.count)"])
            dispatcher.submit(deliveries)
        } catch {
            logger.error("cannot replay dead letters", metadata: ["error": "\(error)"])
        }
    }
}
