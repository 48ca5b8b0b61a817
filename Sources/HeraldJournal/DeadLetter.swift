/// A delivery that will not be retried any more, with why and when it was given up.
public struct DeadLetter: Sendable, Equatable {
    public var delivery: PendingDelivery
    public var reason: String
    /// Unix milliseconds when it was dead-lettered.
    public var deadAt: Int64

    public init(delivery: PendingDelivery, reason: String, deadAt: Int64) {
        self.delivery = delivery
        self.reason = reason
        self.deadAt = deadAt
    }
}
