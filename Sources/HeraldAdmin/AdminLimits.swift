import HeraldJournal

/// What one admin client may cost: the listener serves probes, a scraper and an operator's curl,
/// and stays answerable however many clients come or however slowly they talk.
public struct AdminLimits: Sendable {
    /// Connections served at once; one more is answered `503` (`Retry-After: 1`) and closed.
    public var maxConnections: Int
    /// A connection on which no complete request head arrives for this long (after it opens or
    /// after its last answer) is closed: idle keep-alive and slow heads alike.
    public var idleTimeout: Duration
    /// A request body must arrive in full this long after its head, however it trickles.
    public var requestTimeout: Duration
    /// The largest request head accepted (the admin API takes only short GETs).
    public var maxHeadBytes: Int
    /// What one `GET /deliveries` page may read of the delivery log before answering with what it
    /// found and a cursor.
    public var scanBytes: Int64
    public var scanDuration: Duration
    /// `/deliveries` requests that may wait for the scan thread; more are answered `503`.
    public var maxWaitingScans: Int

    public init(
        maxConnections: Int = 64, idleTimeout: Duration = .seconds(10), requestTimeout: Duration = .seconds(10),
        maxHeadBytes: Int = 16 * 1024, scanBytes: Int64 = 32 << 20, scanDuration: Duration = .milliseconds(500),
        maxWaitingScans: Int = 8
    ) {
        self.maxConnections = maxConnections
        self.idleTimeout = idleTimeout
        self.requestTimeout = requestTimeout
        self.maxHeadBytes = maxHeadBytes
        self.scanBytes = scanBytes
        self.scanDuration = scanDuration
        self.maxWaitingScans = maxWaitingScans
    }

    var scanBudget: DeliveryLogScanBudget {
        DeliveryLogScanBudget(maxBytes: scanBytes, maxDuration: scanDuration)
    }
}
