import Synchronization

/// The running total of the space the dead letters take, shared by every copy of a
/// ``DeadLetterStore`` value: adds and removals keep it current between scans, a retention pass
/// sets it exactly, and the journal reads it to count the letters toward its budget.
final class DeadLetterUsage: Sendable {
    struct Totals {
        var bytes: Int64 = 0
        /// The oldest letter's time as of the last scan (later adds are newer).
        var oldest: Int64?
        /// False until the first scan: until then `bytes` counts only letters added since.
        var scanned = false
    }

    private let totals = Mutex(Totals())

    var current: Totals { totals.withLock { $0 } }

    func added(bytes: Int64, replaced: Int64, at deadAt: Int64) {
        totals.withLock { totals in
            totals.bytes = max(0, totals.bytes + bytes - replaced)
            if totals.scanned { totals.oldest = min(totals.oldest ?? deadAt, deadAt) }
        }
    }

    func removed(bytes: Int64) {
        totals.withLock { $0.bytes = max(0, $0.bytes - bytes) }
    }

    func scanned(bytes: Int64, oldest: Int64?) {
        totals.withLock { $0 = Totals(bytes: bytes, oldest: oldest, scanned: true) }
    }
}
