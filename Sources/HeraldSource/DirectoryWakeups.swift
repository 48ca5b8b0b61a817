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
    private let latch = WakeLatch()
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
