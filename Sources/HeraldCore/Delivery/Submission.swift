import HeraldJournal

/// What the dispatch machine queues: a delivery just journaled (with its payload) or one
/// recovered at start-up (a stub). One path takes both, so recovery queues exactly as ingest does.
protocol Submission {
    var id: String { get }
    var endpoint: String { get }
    var notBefore: Int64 { get }
    /// Payload bytes it would keep in memory if queued with its payload.
    var payloadCount: Int { get }
    func held(keepPayload: Bool) -> HeldDelivery
    func burial(_ reason: DeadLetterReason) -> DispatchMachine.Burial
}

extension PendingDelivery: Submission {
    var payloadCount: Int { payload.count }
    func held(keepPayload: Bool) -> HeldDelivery { HeldDelivery(self, keepPayload: keepPayload) }
    func burial(_ reason: DeadLetterReason) -> DispatchMachine.Burial { DispatchMachine.Burial(self, reason: reason) }
}

extension RecoveredDelivery: Submission {
    var payloadCount: Int { 0 }
    func held(keepPayload: Bool) -> HeldDelivery { HeldDelivery(id: id, key: orderingKey) }
    func burial(_ reason: DeadLetterReason) -> DispatchMachine.Burial {
        DispatchMachine.Burial(id: id, endpoint: endpoint, reason: reason)
    }
}
