import DequeModule
import Glibc

/// The hand-off between appending tasks and the journal's writer thread.
///
/// Everything here is guarded by one pthread mutex, paired with a condition variable so the
/// writer can sleep until work arrives or a batch deadline passes (`Synchronization.Mutex` has
/// no condition variable). The lock is held only to move batches and counters, never for I/O.
final class CommitQueue: @unchecked Sendable {
    struct Waiter {
        var batch: EncodedBatch
        var completion: AppendCompletion
    }

    /// Work for the writer thread between batches (reading deliveries back, burying them): it
    /// alone may touch the store.
    typealias Job = @Sendable (JournalStore) -> Void

    struct Stats {
        var pendingCount = 0
        var bytesOnDisk: Int64 = 0
        var noSpace = false
        var commits = 0
        var appendsCommitted = 0
        /// Bytes kept beside the journal that count toward its budget (`JournalOptions.countedBeside`).
        var besideBytes: Int64 = 0
        /// Less free filesystem space than the store's reserve for settlement records.
        var diskLow = false

        /// Room for more: under the size budget, the disk not full and its reserve free (see `Journal.hasRoom()`).
        func hasRoom(below maxBytes: Int64) -> Bool {
            !noSpace && !diskLow && bytesOnDisk + besideBytes < maxBytes
        }
    }

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var waiting: Deque<Waiter> = []
    private var reads: Deque<Job> = []
    private var waitingBytes = 0
    private var closing = false
    private var stopped = false
    private var stats = Stats()
    private var closeWaiters: [CheckedContinuation<Void, Never>] = []
    /// Callers of ``waitForRoom(below:id:_:)``, resumed by `publish` once the stats show room.
    private var roomWaiters: [RoomWaiter] = []
    private var nextRoomWaiter: UInt64 = 0
    /// Ids cancelled before their waiter was registered (the cancellation handler can run first).
    private var cancelledRoomWaiters: Set<UInt64> = []

    struct RoomWaiter {
        var id: UInt64
        var maxBytes: Int64
        var continuation: CheckedContinuation<RoomWait, Never>
    }

    /// How a wait for room ended.
    enum RoomWait {
        case room
        case cancelled
        case closed
    }

    init() {
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    private func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Queues a batch for the writer; false once the journal is closing.
    func submit(_ waiter: Waiter) -> Bool {
        withLock {
            guard !closing else { return false }
            waitingBytes += waiter.batch.bytes.count
            waiting.append(waiter)
            pthread_cond_signal(condition)
            return true
        }
    }

    /// Queues a job for the writer; false once the journal is closing.
    func submitJob(_ waiter: @escaping Job) -> Bool {
        withLock {
            guard !closing else { return false }
            reads.append(waiter)
            pthread_cond_signal(condition)
            return true
        }
    }

    /// The jobs waiting now, handed to the writer between batches.
    func takeJobs() -> [Job] {
        withLock {
            defer { reads.removeAll() }
            return Array(reads)
        }
    }

    /// Blocks the writer until there is work, then returns the next batch: every waiting
    /// caller up to `maxBytes` (at least one). If fewer than `expected` callers are waiting,
    /// waits up to `delay` for more to join. Returns nil when closing and drained.
    func nextBatch(maxBytes: Int, expected: Int, delay: Duration) -> [Waiter]? {
        withLock {
            while waiting.isEmpty && reads.isEmpty && !closing {
                // Waiting for room that only someone else can free (another program's files on a
                // full disk): look again every second, since no write of ours will say so.
                if !roomWaiters.isEmpty && (stats.diskLow || stats.noSpace) {
                    var deadline = timespec()
                    clock_gettime(CLOCK_MONOTONIC, &deadline)
                    deadline.tv_sec += 1
                    if pthread_cond_timedwait(condition, mutex, &deadline) == ETIMEDOUT { return [] }
                } else {
                    pthread_cond_wait(condition, mutex)
                }
            }
            // No writes but reads to serve: an empty batch.
            if waiting.isEmpty { return reads.isEmpty ? nil : [] }
            if waiting.count < expected && waitingBytes < maxBytes && !closing && reads.isEmpty {
                var deadline = timespec()
                clock_gettime(CLOCK_MONOTONIC, &deadline)
                let (seconds, attoseconds) = delay.components
                var nanoseconds = Int(deadline.tv_nsec) + Int(attoseconds / 1_000_000_000)
                deadline.tv_sec += Int(seconds) + nanoseconds / 1_000_000_000
                nanoseconds %= 1_000_000_000
                deadline.tv_nsec = nanoseconds
                // A read arriving ends the wait: the dispatcher may be idle until it is served.
                while waiting.count < expected && waitingBytes < maxBytes && !closing && reads.isEmpty {
                    if pthread_cond_timedwait(condition, mutex, &deadline) == ETIMEDOUT { break }
                }
            }
            var batch: [Waiter] = [waiting.removeFirst()]
            var bytes = batch[0].batch.bytes.count
            while let next = waiting.first, bytes + next.batch.bytes.count <= maxBytes {
                bytes += next.batch.bytes.count
                batch.append(waiting.removeFirst())
            }
            waitingBytes -= bytes
            return batch
        }
    }

    /// Called by the writer after every batch, burial and maintenance: the only place the stats
    /// change, so it is also where a caller waiting for room is resumed.
    func publish(_ newStats: Stats) {
        let ready: [RoomWaiter] = withLock {
            stats = newStats
            return roomWaiters.isEmpty ? [] : takeRoomWaiters { newStats.hasRoom(below: $0.maxBytes) }
        }
        for waiter in ready { waiter.continuation.resume(returning: .room) }
    }

    /// A fresh id for ``waitForRoom(below:id:_:)``, so that a cancellation can find its waiter.
    func makeRoomWaiterID() -> UInt64 {
        withLock {
            defer { nextRoomWaiter += 1 }
            return nextRoomWaiter
        }
    }

    /// Resumes `continuation` once the stats show room below `maxBytes` (at once if they do now),
    /// the writer stops, or ``cancelRoomWaiter(_:)`` is called for `id`.
    func waitForRoom(below maxBytes: Int64, id: UInt64, _ continuation: CheckedContinuation<RoomWait, Never>) {
        let now: RoomWait? = withLock {
            if cancelledRoomWaiters.remove(id) != nil { return .cancelled }
            if stats.hasRoom(below: maxBytes) { return .room }
            if stopped { return .closed }
            roomWaiters.append(RoomWaiter(id: id, maxBytes: maxBytes, continuation: continuation))
            return nil
        }
        if let now { continuation.resume(returning: now) }
    }

    /// Resumes the waiter `id` now, if it is still waiting (its task was cancelled).
    func cancelRoomWaiter(_ id: UInt64) {
        let waiter: RoomWaiter? = withLock {
            guard let index = roomWaiters.firstIndex(where: { $0.id == id }) else {
                cancelledRoomWaiters.insert(id)
                return nil
            }
            return roomWaiters.remove(at: index)
        }
        waiter?.continuation.resume(returning: .cancelled)
    }

    /// Removes and returns the room waiters that `ready` accepts; the lock is held.
    private func takeRoomWaiters(_ ready: (RoomWaiter) -> Bool) -> [RoomWaiter] {
        let taken = roomWaiters.filter(ready)
        if !taken.isEmpty { roomWaiters.removeAll(where: ready) }
        return taken
    }

    var currentStats: Stats {
        withLock { stats }
    }

    /// Asks the writer to drain and stop; `continuation` (if any) resumes once it has.
    func requestClose(_ continuation: CheckedContinuation<Void, Never>?) {
        let resumeNow: Bool = withLock {
            closing = true
            pthread_cond_signal(condition)
            if stopped { return true }
            if let continuation { closeWaiters.append(continuation) }
            return false
        }
        if resumeNow { continuation?.resume() }
    }

    /// Called by the writer as it exits.
    func writerStopped() {
        let (waiters, roomWaiting): ([CheckedContinuation<Void, Never>], [RoomWaiter]) = withLock {
            stopped = true
            defer {
                closeWaiters = []
                roomWaiters = []
            }
            return (closeWaiters, roomWaiters)
        }
        for waiter in waiters { waiter.resume() }
        // A closed journal will never have room: nobody should wait for it forever.
        for waiter in roomWaiting { waiter.continuation.resume(returning: .closed) }
    }
}
