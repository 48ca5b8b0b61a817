/// One change to the journal's state; records are applied in log order.
public enum JournalRecord: Sendable, Equatable {
    /// A new delivery (or, when the id is already pending, its replacement with the given state).
    case enqueue(PendingDelivery)
    /// A failed attempt: the delivery stays pending with these counters.
    case attempt(id: String, attempts: Int, notBefore: Int64, error: String)
    /// Delivered: the delivery is settled.
    case ack(id: String)
    /// Given up (moved to the dead letters by the caller): the delivery is settled.
    case dead(id: String, reason: String)

    /// The delivery this record is about.
    public var deliveryID: String {
        switch self {
        case .enqueue(let delivery): delivery.id
        case .attempt(let id, _, _, _), .ack(let id), .dead(let id, _): id
        }
    }
}
