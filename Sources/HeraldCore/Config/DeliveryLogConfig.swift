/// The delivery log (`delivery_log:`): every attempt appended to `state_dir/log/`.
public struct DeliveryLogConfig: Sendable, Equatable {
    /// `enabled: false` records nothing (and `herald log` says so).
    public var enabled: Bool
    /// A file is rotated past this size.
    public var maxBytes: Int64
    /// Rotated files kept besides the current one.
    public var keep: Int

    public init(enabled: Bool = true, maxBytes: Int64 = 64 << 20, keep: Int = 4) {
        self.enabled = enabled
        self.maxBytes = maxBytes
        self.keep = keep
    }
}

extension HeraldConfig {
    /// Where the delivery log lives: `state_dir/log`.
    public var deliveryLogDirectory: String { stateDir + "/log" }
}
