import HeraldJournal

/// A delivery waiting in an endpoint's queue, as small as it can be (32 bytes): its id, its
/// ordering key's hash, and the delivery itself only when its payload is kept in memory. A
/// backlog of hundreds of thousands therefore costs a few dozen bytes each; the rest is read
/// back from the journal before its turn.
struct HeldDelivery: Sendable {
    /// The whole delivery, boxed so that a held entry stays small.
    final class Box: Sendable {
        let delivery: PendingDelivery
        init(_ delivery: PendingDelivery) { self.delivery = delivery }
    }

    let id: String
    /// ``OrderingKey`` of the delivery's key; 0 when it has none (it then waits for no one).
    let key: UInt64
    let box: Box?

    init(id: String, key: UInt64 = 0, box: Box? = nil) {
        self.id = id
        self.key = key
        self.box = box
    }

    init(_ delivery: PendingDelivery, keepPayload: Bool) {
        self.init(id: delivery.id, key: OrderingKey.hash(delivery.orderingKey), box: keepPayload ? Box(delivery) : nil)
    }

    /// The same delivery without its payload (the journal keeps it).
    var stub: HeldDelivery { HeldDelivery(id: id, key: key) }

    /// Bytes of payload this entry keeps in memory.
    var payloadBytes: Int { box?.delivery.payload.count ?? 0 }
}
