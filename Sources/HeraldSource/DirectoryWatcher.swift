import Glibc

/// inotify on the directory of a tailed file, used only as a wake-up hint (the safety poll remains).
///
/// Watching the directory rather than the file sees renames, deletions and re-creations of the
/// name. Owns an inotify descriptor; confined to the tail's queue.
final class DirectoryWatcher {
    static let mask: UInt32 =
        UInt32(IN_MODIFY) | UInt32(IN_CREATE) | UInt32(IN_MOVED_FROM) | UInt32(IN_MOVED_TO) | UInt32(IN_DELETE)
        | UInt32(IN_CLOSE_WRITE) | UInt32(IN_ATTRIB) | UInt32(IN_DELETE_SELF) | UInt32(IN_MOVE_SELF)

    let fd: Int32
    private let directory: String
    private let name: [UInt8]
    private var watch: Int32 = -1
    /// The name the followed file was last renamed to (rename rotation), whose late writes matter too.
    private var movedName: [UInt8]?
    private var moveCookie: UInt32?
    private var buffer = [UInt8](repeating: 0, count: 64 << 10)

    /// `nil` when inotify is unavailable (the tail then polls alone).
    init?(directory: String, fileName: String) {
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { return nil }
        self.fd = fd
        self.directory = directory
        self.name = Array(fileName.utf8)
        ensureWatching()
    }

    deinit {
        close(fd)
    }

    var isWatching: Bool { watch >= 0 }

    /// (Re)adds the watch when the directory exists; harmless when already watching.
    func ensureWatching() {
        guard watch < 0 else { return }
        watch = inotify_add_watch(fd, directory, Self.mask)
    }

    /// Also wakes on events for `otherName`, another name of the followed file.
    func follow(otherName: String) {
        movedName = Array(otherName.utf8)
    }

    /// Reads every pending record; true when one concerns the file (under its name, or the name it
    /// was last renamed to), the directory itself, or the queue overflowed (then anything may have
    /// happened).
    func drainRelevant() -> Bool {
        var relevant = false
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return relevant }
            let records = buffer.withUnsafeBytes { InotifyRecord.parse(UnsafeRawBufferPointer(rebasing: $0[..<n])) }
            for record in records {
                if record.mask & InotifyRecord.queueOverflow != 0 {
                    relevant = true
                } else if record.mask & InotifyRecord.ignored != 0 {
                    if record.watch == watch { watch = -1 }
                    relevant = true
                } else if record.name.isEmpty {
                    if record.mask & UInt32(IN_MOVE_SELF) != 0 {
                        // The directory moved: the watch now follows it, not the path. Watch the path again.
                        inotify_rm_watch(fd, watch)
                        watch = -1
                    }
                    relevant = true
                } else if record.name == name {
                    if record.mask & UInt32(IN_MOVED_FROM) != 0 { moveCookie = record.cookie }
                    relevant = true
                } else if record.mask & UInt32(IN_MOVED_TO) != 0, record.cookie == moveCookie {
                    movedName = record.name
                    relevant = true
                } else if record.name == movedName {
                    relevant = true
                }
            }
        }
    }
}
