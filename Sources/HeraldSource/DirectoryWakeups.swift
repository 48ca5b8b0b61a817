import Dispatch
import Glibc
import Synchronization

/// inotify on one directory as an async wake-up: ``wait(timeout:)`` returns as soon as an event
/// in `mask` happened there since the previous wait, so a consumer reacts to a file arriving
/// instead of looking on a timer.
///
/// Events are not reported one by one: any number of them between two waits is one wake-up
/// (the consumer looks at the directory itself). A queue overflow also wakes, since anything
/// may have happened. Owns an inotify descriptor, read only on its own Dispatch queue; meant
/// for one waiter at a time.
public final class DirectoryWakeups: Sendable {
    /// A file finished being written, or was renamed into place (how spool files appear).
    public static let filesArriving = UInt32(IN_CLOSE_WRITE) | UInt32(IN_MOVED_TO)
    /// Any change of the directory's entries, or of a file in it that was written and closed.
    public static let entriesChanging = filesArriving | UInt32(IN_CREATE) | UInt32(IN_DELETE) | UInt32(IN_MOVED_FROM)

    public let directory: String
    private let latch = Latch()
    private nonisolated(unsafe) let source: any DispatchSourceRead

    /// `nil` when inotify is unavailable or the directory cannot be watched (the caller then
    /// falls back to looking on a timer).
    public init?(directory: String, mask: UInt32) {
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { return nil }
        guard inotify_add_watch(fd, directory, mask) >= 0 else {
            close(fd)
            return nil
        }
        self.directory = directory
        source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: DispatchQueue(label: "herald.wakeups"))
        source.setEventHandler { [latch] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
            }
            latch.set()
        }
        source.setCancelHandler { close(fd) }
        source.resume()
    }

    deinit {
        source.cancel()
    }

    /// Returns once an event has arrived since the last wait (at once if one already has),
    /// `timeout` passes, or the calling task is cancelled.
    public func wait(timeout: Duration? = nil) async {
        guard let timeout else { return await latch.wait() }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [latch] in await latch.wait() }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }
}

/// A flag that the event handler sets and one waiter consumes, resuming it if it is waiting.
private final class Latch: Sendable {
    private struct State {
        var isSet = false
        var waiter: (id: UInt64, continuation: CheckedContinuation<Void, Never>)?
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    func set() {
        let waiter = state.withLock { state in
            defer { state.waiter = nil }
            state.isSet = state.waiter == nil
            return state.waiter
        }
        waiter?.continuation.resume()
    }

    func wait() async {
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                // Cancellation is checked under the lock: a handler that ran before registration
                // found no waiter, and the cancelled flag it follows is already visible here.
                let now = state.withLock { state in
                    if state.isSet {
                        state.isSet = false
                        return true
                    }
                    if Task.isCancelled { return true }
                    state.waiter = (id, continuation)
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                guard state.waiter?.id == id else { return nil as CheckedContinuation<Void, Never>? }
                defer { state.waiter = nil }
                return state.waiter?.continuation
            }
            waiter?.resume()
        }
    }
}
