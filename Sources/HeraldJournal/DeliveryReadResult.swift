/// What reading one pending delivery back from the journal found.
public enum DeliveryReadResult: Sendable, Equatable {
    case found(PendingDelivery)
    /// Settled, or never enqueued: the journal does not hold it as pending.
    case notPending
    /// The read failed (out of descriptors, an I/O error, an unreadable record): the delivery may
    /// well still be pending, so the caller keeps it and tries again later.
    case failed(JournalError)

    /// The delivery, when it was found.
    public var delivery: PendingDelivery? {
        if case .found(let delivery) = self { return delivery }
        return nil
    }
    /// The error, when the read failed.
    public var failure: JournalError? {
        if case .failed(let error) = self { return error }
        return nil
    }
}

/// A pending delivery to move to the dead letters, with why; `attempts` and `lastError` override
/// the journal's copy when the caller knows of a later attempt than the journal does.
public struct BuryRequest: Sendable, Equatable {
    public var id: String
    public var reason: String
    public var attempts: Int?
    public var lastError: String?

    public init(id: String, reason: String, attempts: Int? = nil, lastError: String? = nil) {
        self.id = id
        self.reason = reason
        self.attempts = attempts
        self.lastError = lastError
    }
}

/// What became of one ``BuryRequest``.
public enum BuryOutcome: Sendable, Equatable {
    /// Its dead letter and the journal's `dead` record are durable: the delivery is settled.
    case buried
    /// The journal did not hold it as pending (already settled): nothing to do.
    case notPending
    /// Not settled: the delivery stays pending; try again later.
    case failed(JournalError)
}
