@testable import HeraldJournal

extension ScannedRecord {
    /// What the recovery scan should read from a frame that decodes to `record`.
    init(_ record: JournalRecord) {
        switch record {
        case .enqueue(let d):
            self = .enqueue(id: d.id, endpoint: d.endpoint, enqueuedAt: d.enqueuedAt, attempts: d.attempts,
                            notBefore: d.notBefore, lastError: d.lastError, orderingKey: OrderingKey.hash(d.orderingKey))
        case .attempt(let id, let attempts, let notBefore, let error):
            self = .attempt(id: id, attempts: attempts, notBefore: notBefore, error: error)
        case .ack(let id), .dead(let id, _):
            self = .settle(id: id)
        }
    }

    /// The record without its ordering-key hash: the scan hashes the key's stored bytes, the full
    /// decode the `String` made of them, and the two differ when those bytes are not UTF-8 (which
    /// Herald never writes).
    var withoutKey: ScannedRecord {
        guard case .enqueue(let id, let endpoint, let enqueuedAt, let attempts, let notBefore, let lastError, _) = self else { return self }
        return .enqueue(id: id, endpoint: endpoint, enqueuedAt: enqueuedAt, attempts: attempts, notBefore: notBefore,
                        lastError: lastError, orderingKey: 0)
    }
}
