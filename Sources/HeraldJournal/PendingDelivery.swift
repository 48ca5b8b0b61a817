/// One event on its way to one endpoint, as the journal keeps it until it is settled.
public struct PendingDelivery: Sendable, Equatable {
    /// Delivery id (the `webhook-id`), unique across the journal; also the receiver's idempotency key.
    public var id: String
    /// Endpoint name.
    public var endpoint: String
    public var route: String
    public var eventID: String
    public var eventType: String
    /// Unix milliseconds when the delivery was first journaled.
    public var enqueuedAt: Int64
    /// Attempts made so far.
    public var attempts: Int
    /// Unix milliseconds: earliest next attempt (0 means now).
    public var notBefore: Int64
    /// Summary of the last failed attempt.
    public var lastError: String?
    /// Opaque bytes (the caller's encoded request); may be several MiB.
    public var payload: [UInt8]
    /// The value of the endpoint's `ordering.key` in the event, when it orders by key: deliveries
    /// that share it go one at a time, in the order they were journaled.
    public var orderingKey: String?
    /// Where the event's line is in its source file (file sources only): lets recovery read the
    /// line again when this record is damaged.
    public var source: SourcePosition?

    public init(
        id: String,
        endpoint: String,
        route: String,
        eventID: String,
        eventType: String,
        enqueuedAt: Int64,
        attempts: Int = 0,
        notBefore: Int64 = 0,
        lastError: String? = nil,
        payload: [UInt8],
        orderingKey: String? = nil,
        source: SourcePosition? = nil
    ) {
        self.id = id
        self.endpoint = endpoint
        self.route = route
        self.eventID = eventID
        self.eventType = eventType
        self.enqueuedAt = enqueuedAt
        self.attempts = attempts
        self.notBefore = notBefore
        self.lastError = lastError
        self.payload = payload
        self.orderingKey = orderingKey
        self.source = source
    }
}
