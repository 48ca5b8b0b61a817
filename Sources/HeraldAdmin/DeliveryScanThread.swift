import Dispatch
import HeraldHTTP
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// The one thread `GET /deliveries` scans run on, one at a time and at a lower CPU priority (nice
/// +10): a scan over a large delivery log then never occupies Swift's cooperative threads or NIO's
/// event loops, so `/healthz`, `/metrics` and deliveries go on while it reads. A bounded number of
/// requests may wait for it; past that, ``run(_:)`` says no at once.
final class DeliveryScanThread: Sendable {
    private final class Mailbox: Sendable {
        let jobs = Mutex<[(@Sendable () -> Void)?]>([])
        let signal = DispatchSemaphore(value: 0)

        func post(_ job: (@Sendable () -> Void)?) {
            jobs.withLock { $0.append(job) }
            signal.signal()
        }

        /// Runs jobs in order until the exit marker (nil) is taken.
        func loop() {
            while true {
                signal.wait()
                guard let job = jobs.withLock({ $0.removeFirst() }) else { return }
                job()
            }
        }
    }

    private let mailbox: Mailbox
    private let queued = Atomic<Int>(0)
    private let maxQueued: Int
    /// False when the system refused the thread: scans then run where they are asked for.
    private let started: Bool

    /// - Parameter maxQueued: scans running or waiting at most; one more is refused.
    init(maxQueued: Int) {
        self.maxQueued = max(1, maxQueued)
        let mailbox = Mailbox()
        self.mailbox = mailbox
        started = PosixThread.start(name: "herald-scan", detached: true) {
            // Linux nices threads one by one, and 0 names the calling thread: only this one is lowered.
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
            mailbox.loop()
        } != nil
    }

    /// The thread ends once the jobs posted before this have run.
    deinit {
        mailbox.post(nil)
    }

    /// `work`'s result, computed on the scan thread; nil when too many scans are running or waiting.
    func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T? {
        guard queued.add(1, ordering: .relaxed).newValue <= maxQueued else {
            queued.subtract(1, ordering: .relaxed)
            return nil
        }
        guard started else {
            defer { queued.subtract(1, ordering: .relaxed) }
            return work()
        }
        return await withCheckedContinuation { continuation in
            mailbox.post {
                let result = work()
                self.queued.subtract(1, ordering: .relaxed)
                continuation.resume(returning: result)
            }
        }
    }
}
