import Glibc
import HeraldHTTP

/// The dispatcher's one wake-up, on a thread of its own: `arm(at:)` replaces the deadline (Unix
/// ms, nil disarms), and `fire` is called on that thread once it is reached. A timer on the
/// cooperative pool would fire late whenever the pool is busy (ingesting a burst, a loaded
/// machine) and hold back retries and ack batches with it; this one depends on nothing else.
///
/// The deadline is wall-clock time, as the journal stores it; the wait itself uses the monotonic
/// clock, re-reading the wall clock on each wake, so a clock step delays at most one check.
final class WakeupTimer: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var deadline: Int64?
    private var stopped = false
    private let now: @Sendable () -> Int64

    /// Starts the thread; `fire` runs on it, without the timer's lock held.
    init(now: @escaping @Sendable () -> Int64, fire: @escaping @Sendable () -> Void) {
        self.now = now
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
        let started = PosixThread.start(name: "herald-timer", detached: true) { [self] in run(fire) }
        precondition(started != nil, "cannot start the dispatcher's timer thread")
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Sets the one deadline (nil: none).
    func arm(at time: Int64?) {
        pthread_mutex_lock(mutex)
        deadline = time
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }

    /// Ends the thread; `fire` is not called again.
    func stop() {
        pthread_mutex_lock(mutex)
        stopped = true
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }

    private func run(_ fire: @Sendable () -> Void) {
        pthread_mutex_lock(mutex)
        while !stopped {
            guard let due = deadline else {
                pthread_cond_wait(condition, mutex)
                continue
            }
            let wait = due - now()
            if wait <= 0 {
                deadline = nil
                pthread_mutex_unlock(mutex)
                fire()
                pthread_mutex_lock(mutex)
                continue
            }
            var until = timespec()
            clock_gettime(CLOCK_MONOTONIC, &until)
            let nanoseconds = Int(until.tv_nsec) + Int(min(wait, 60_000) % 1000) * 1_000_000
            until.tv_sec += Int(min(wait, 60_000) / 1000) + nanoseconds / 1_000_000_000
            until.tv_nsec = nanoseconds % 1_000_000_000
            _ = pthread_cond_timedwait(condition, mutex, &until)
        }
        pthread_mutex_unlock(mutex)
    }
}
