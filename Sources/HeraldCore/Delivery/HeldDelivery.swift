import HeraldJournal

/// A delivery waiting in an endpoint's queue, as small as it can be (24 bytes): its id, and the
/// delivery itself only when its payload is kept in memory. A backlog of hundreds of thousands
/// therefore costs a few dozen bytes each; the rest is read back from the journal.
struct HeldDelivery: Sendable {
    /// The whole delivery, boxed so that a held entry stays three words wide.
    final class Box: Sendable {
        let delivery: PendingDelivery
        init(_ delivery: PendingDelivery) { self.delivery = delivery }
    }

    let id: String
    let box: Box?

    init(id: String, box: Box? = nil) {
        self.id = id
        self.box = box
    }

    /// Bytes of payload this entry keeps in memory.
    var payloadBytes: Int { box?.delivery.payload.count ?? 0 }
}
