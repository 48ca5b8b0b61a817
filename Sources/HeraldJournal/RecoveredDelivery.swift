/// A pending delivery as recovery hands it to the dispatcher: enough to queue it in read order
/// behind its ordering key (64 bytes), not the delivery itself, which is read back from the
/// journal before its turn. A million of these is 64 MB, not the gigabyte of full deliveries.
public struct RecoveredDelivery: Sendable, Equatable {
    /// Delivery id (the `webhook-id`).
    public var id: String
    public var endpoint: String
    /// ``OrderingKey`` hash of its ordering key; 0 when it has none.
    public var orderingKey: UInt64
    /// Unix milliseconds when it was first journaled.
    public var enqueuedAt: Int64
    /// Unix milliseconds: earliest next attempt (0 means now).
    public var notBefore: Int64
    /// Position of its enqueue record among those read, for read order among equal enqueue times.
    var position: UInt32

    public init(id: String, endpoint: String, orderingKey: UInt64 = 0, enqueuedAt: Int64, notBefore: Int64 = 0) {
        self.init(id: id, endpoint: endpoint, orderingKey: orderingKey, enqueuedAt: enqueuedAt, notBefore: notBefore, position: 0)
    }

    init(id: String, endpoint: String, orderingKey: UInt64, enqueuedAt: Int64, notBefore: Int64, position: UInt32) {
        self.id = id
        self.endpoint = endpoint
        self.orderingKey = orderingKey
        self.enqueuedAt = enqueuedAt
        self.notBefore = notBefore
        self.position = position
    }

    /// Read order: by enqueue time, then position. A delivery compacted into a later segment keeps
    /// its enqueue time, so it goes back ahead of the ones that came after it (per-key order).
    static func inReadOrder(_ a: RecoveredDelivery, _ b: RecoveredDelivery) -> Bool {
        (a.enqueuedAt, a.position) < (b.enqueuedAt, b.position)
    }
}
