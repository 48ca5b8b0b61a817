import Glibc

/// Thin wrappers over the system calls the sources use; everything else sees Swift values.
enum Posix {
    static func identity(of status: stat) -> FileIdentity {
        FileIdentity(device: UInt64(status.st_dev), inode: UInt64(status.st_ino))
    }

    /// `fstat`, or `nil` on failure.
    static func status(fd: Int32) -> stat? {
        var status = stat()
        return fstat(fd, &status) == 0 ? status : nil
    }

    /// `stat` of a path, or `nil` when it cannot be examined (absent, or no permission).
    static func status(path: String) -> stat? {
        var status = stat()
        return stat(path, &status) == 0 ? status : nil
    }

    /// The first bytes of an open file, read without moving any file position.
    static func fingerprint(fd: Int32) -> Fingerprint {
        var buffer = [UInt8](repeating: 0, count: Fingerprint.maxBytes)
        var count = 0
        while count < buffer.count {
            let n = buffer.withUnsafeMutableBytes { raw in
                pread(fd, raw.baseAddress! + count, raw.count - count, off_t(count))
            }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            count += n
        }
        return Fingerprint(buffer[..<count])
    }

    /// One byte at `offset`, or `nil` when there is none.
    static func byte(fd: Int32, at offset: Int64) -> UInt8? {
        var byte: UInt8 = 0
        while true {
            let n = pread(fd, &byte, 1, off_t(offset))
            if n < 0 && errno == EINTR { continue }
            return n == 1 ? byte : nil
        }
    }

    static func errorText(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}

/// A self-pipe that interrupts a `poll` from another thread (for `stop()` and task cancellation).
final class Waker: @unchecked Sendable {
    /// The end to poll.
    let fd: Int32
    private let writeFD: Int32

    init() {
        var fds: [Int32] = [-1, -1]
        let result = pipe(&fds)
        precondition(result == 0, "pipe failed: \(Posix.errorText(errno))")
        for end in fds {
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
        }
        fd = fds[0]
        writeFD = fds[1]
    }

    deinit {
        close(fd)
        close(writeFD)
    }

    func wake() {
        var one: UInt8 = 1
        _ = write(writeFD, &one, 1)
    }

    func reset() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(fd, &buffer, buffer.count) > 0 {}
    }
}

/// What ended a wait on descriptors.
struct PollResult {
    var readable: [Bool]
    var timedOut: Bool
}

extension Posix {
    /// Waits until one of `fds` is readable or `timeoutMilliseconds` pass (-1: forever).
    static func poll(_ fds: [Int32], timeoutMilliseconds: Int32) -> PollResult {
        var entries = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        while true {
            let n = Glibc.poll(&entries, nfds_t(entries.count), timeoutMilliseconds)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return PollResult(readable: entries.map { _ in false }, timedOut: n == 0) }
            return PollResult(readable: entries.map { $0.revents != 0 }, timedOut: false)
        }
    }
}
