/// How big the delivery log grows and how it buffers. Defaults suit a sidecar on one host.
public struct DeliveryLogOptions: Sendable {
    /// A file is rotated before a record would take it past this size (default 64 MiB).
    public var maxFileBytes: Int64
    /// Rotated files kept besides the current one (default 4); the oldest beyond that is deleted.
    public var keep: Int
    /// Records waiting to be written are dropped (and counted) past this many bytes, so a slow
    /// disk never holds back deliveries nor grows memory without bound (default 16 MiB).
    public var maxBufferedBytes: Int
    /// How long records gather before they are written together (default 50 ms).
    public var flushInterval: Duration

    public init(maxFileBytes: Int64 = 64 << 20, keep: Int = 4, maxBufferedBytes: Int = 16 << 20, flushInterval: Duration = .milliseconds(50)) {
        self.maxFileBytes = maxFileBytes
        self.keep = keep
        self.maxBufferedBytes = maxBufferedBytes
        self.flushInterval = flushInterval
    }
}
