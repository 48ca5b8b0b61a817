import Glibc

/// Writes text to stderr or stdout without ever stopping the process. Foundation's
/// `FileHandle.write(_:)` traps when the write fails, so a log line written to a stderr that
/// fails (a log file on a full disk, an I/O error) used to crash Herald. A line that cannot be
/// written is dropped: there is nowhere left to report it, and nothing else depends on it.
public enum StandardStream {
    /// Writes `text` with as few `write` calls as it takes (one, usually, so that lines from
    /// several threads do not mix), retrying short writes and EINTR; gives up at the first error.
    public static func write(_ text: String, to fd: Int32 = STDERR_FILENO) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var done = 0
            while done < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + done, buffer.count - done)
                if n > 0 {
                    done += n
                } else if !(n < 0 && errno == EINTR) {
                    return
                }
            }
        }
    }
}
