import Glibc

/// How much one delivery-log query may read before it answers with what it found so far and a
/// cursor to go on: a filter that matches nothing must not read a whole large log in one request.
///
/// `herald log` reads without a budget (``unlimited``); `GET /deliveries` with one, so that a
/// page costs at most so many bytes and so much time, and the client pages through the rest.
public struct DeliveryLogScanBudget: Sendable {
    /// Line bytes a query may read; it always reads at least one line, so paging makes progress.
    public var maxBytes: Int64
    /// How long a query may scan.
    public var maxDuration: Duration
    /// A monotonic time source, injected so that a test moves time by hand.
    public var now: @Sendable () -> Duration

    public init(maxBytes: Int64, maxDuration: Duration, now: @escaping @Sendable () -> Duration = DeliveryLogScanBudget.monotonicNow) {
        self.maxBytes = maxBytes
        self.maxDuration = maxDuration
        self.now = now
    }

    public static let unlimited = DeliveryLogScanBudget(maxBytes: .max, maxDuration: .seconds(Int64.max / 4))

    /// `CLOCK_MONOTONIC`, as a duration since an arbitrary origin.
    @Sendable public static func monotonicNow() -> Duration {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return .seconds(time.tv_sec) + .nanoseconds(time.tv_nsec)
    }
}

/// One query's spending against a ``DeliveryLogScanBudget``.
struct DeliveryLogScanMeter {
    private let budget: DeliveryLogScanBudget
    private let deadline: Duration
    private var bytes: Int64 = 0
    private var lines = 0

    init(_ budget: DeliveryLogScanBudget) {
        self.budget = budget
        // An unlimited budget never reaches its deadline (and adding it to the clock would overflow).
        let unlimited = budget.maxDuration >= .seconds(Int64.max / 8)
        self.deadline = unlimited ? .seconds(Int64.max / 4) : budget.now() + budget.maxDuration
    }

    /// Counts one line read; true once the budget is spent. The clock is read every 64 lines.
    mutating func spend(_ lineBytes: Int) -> Bool {
        bytes += Int64(lineBytes) + 1
        lines += 1
        if bytes >= budget.maxBytes { return true }
        return lines % 64 == 0 && budget.now() >= deadline
    }
}
