import CoreMetrics
import HeraldJournal
import Synchronization

/// `herald_io_errors_total{op, errno}`: every failed file operation that Herald retries instead
/// of losing anything (a journal append or sync, a checkpoint save, a dead-letter write, a
/// read-back). The series for the errors a failing disk gives (EIO, ENOSPC, EMFILE) exist from
/// the start at 0, so that `increase()` sees the first one; others are made on first use.
final class IOErrorMetrics: Sendable {
    /// The `op` label values, as docs/operations.md lists them.
    static let operations = [JournalError.Operation.journalAppend, .journalSync, .deadLetterWrite, .readBack, .journalMaintain].map(\.name) + [checkpointWrite]
    /// The `op` of a failed checkpoint save (the source's file, not the journal's).
    static let checkpointWrite = "checkpoint_write"
    static let usualErrors = ["EIO", "ENOSPC", "EMFILE"]

    private let factory: any MetricsFactory
    private let counters: Mutex<[String: Counter]>

    init(factory: any MetricsFactory) {
        self.factory = factory
        var counters: [String: Counter] = [:]
        for operation in Self.operations {
            for errno in Self.usualErrors {
                counters[Self.key(operation, errno)] = Self.counter(operation, errno, factory)
            }
        }
        self.counters = Mutex(counters)
    }

    /// Counts one failed `operation` (an `op` label value) with `errno`.
    func count(_ operation: String, errno: Int32?) {
        let name = ErrnoName.of(errno)
        let counter = counters.withLock { counters in
            let key = Self.key(operation, name)
            if let counter = counters[key] { return counter }
            let counter = Self.counter(operation, name, factory)
            counters[key] = counter
            return counter
        }
        counter.increment()
    }

    private static func key(_ operation: String, _ errno: String) -> String { operation + " " + errno }

    private static func counter(_ operation: String, _ errno: String, _ factory: any MetricsFactory) -> Counter {
        Counter(label: MetricName.ioErrors, dimensions: [("op", operation), ("errno", errno)], factory: factory)
    }
}
