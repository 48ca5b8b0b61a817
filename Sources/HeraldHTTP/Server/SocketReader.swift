#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Buffered reads from one blocking socket: request heads, CRLF lines and exact byte counts, each bounded in time.
///
/// Two clocks bound a connection: between requests it may stay silent for `idleTimeout`; once the first byte of a
/// request has arrived, the whole request (head and body) must arrive within `requestTimeout`, however the bytes
/// trickle in (a client sending one byte every few seconds is cut off at the deadline, not kept forever).
/// Bodies are appended as their bytes arrive, so a declared length costs memory only once it is sent.
///
/// Owned by a single connection thread.
final class SocketReader {
    /// Why the last read returned without data.
    enum Stop: Equatable {
        case none
        /// The peer closed or the socket failed (or was shut down by ``HTTPServer/stop()``).
        case closed
        /// Nothing arrived within the idle timeout, between requests.
        case idle
        /// The request's deadline passed before all of it arrived.
        case deadline
    }

    private let fd: Int32
    private let idleTimeout: Duration
    private let requestTimeout: Duration
    private var storage: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    /// When the request being read must be complete; nil between requests.
    private var deadline: ContinuousClock.Instant?
    private(set) var stop = Stop.none

    /// - Parameters:
    ///   - idleTimeout: how long to wait for a request's first byte; zero waits forever.
    ///   - requestTimeout: how long a request may take to arrive once begun; zero sets no deadline.
    init(fd: Int32, idleTimeout: Duration = .zero, requestTimeout: Duration = .zero, initialCapacity: Int = 16 * 1024) {
        self.fd = fd
        self.idleTimeout = idleTimeout
        self.requestTimeout = requestTimeout
        storage = .allocate(byteCount: initialCapacity, alignment: 1)
    }

    deinit {
        storage.deallocate()
    }

    /// The storage's size: what one connection holds however large the body it is reading.
    var bufferCapacity: Int { storage.count }

    /// Ends the current request's deadline: the next byte starts the next request's.
    func finishRequest() {
        deadline = nil
    }

    /// Starts the request deadline at the first byte of a request.
    private func beginRequestIfNeeded() {
        if deadline == nil, requestTimeout > .zero { deadline = .now + requestTimeout }
    }

    /// Receives more bytes after the unread ones; `false` (with ``stop`` saying why) when none came.
    private func fill() -> Bool {
        if start == end {
            start = 0
            end = 0
        } else if end == storage.count {
            if start > 0 {
                let base = storage.baseAddress!
                memmove(base, base + start, end - start)
                end -= start
                start = 0
            } else {
                let grown = UnsafeMutableRawBufferPointer.allocate(byteCount: storage.count * 2, alignment: 1)
                grown.copyMemory(from: UnsafeRawBufferPointer(storage))
                storage.deallocate()
                storage = grown
            }
        }
        while true {
            // Try first: a socket with bytes waiting costs one call, and only an empty one waits in poll.
            let n = recv(fd, storage.baseAddress! + end, storage.count - end, Int32(MSG_DONTWAIT))
            if n > 0 {
                end += n
                return true
            }
            if n == 0 {
                stop = .closed
                return false
            }
            switch errno {
            case EINTR:
                continue
            case EAGAIN, EWOULDBLOCK:
                guard waitReadable() else { return false }
            default:
                stop = .closed
                return false
            }
        }
    }

    /// Polls until the socket is readable; `false` with ``stop`` set when the applicable timeout passes first.
    private func waitReadable() -> Bool {
        var timeout: Int32 = -1
        var expiry = Stop.idle
        if let deadline {
            let remaining = deadline - .now
            guard remaining > .zero else {
                stop = .deadline
                return false
            }
            timeout = Int32(clamping: remaining.roundedUpMilliseconds)
            expiry = .deadline
        } else if idleTimeout > .zero {
            timeout = Int32(clamping: idleTimeout.roundedUpMilliseconds)
        }
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while true {
            let rc = poll(&descriptor, 1, timeout)
            if rc > 0 { return true }
            if rc == 0 {
                stop = expiry
                return false
            }
            if errno != EINTR {
                stop = .closed
                return false
            }
        }
    }

    enum HeadOutcome: Equatable {
        case head([UInt8])
        /// The peer closed, or stayed silent past the idle timeout, before a request began.
        case closed
        case tooLarge
        /// The head began but did not end before the request deadline.
        case timedOut
    }

    /// Bytes up to the blank line that ends a request head, without it.
    ///
    /// Empty lines before the request line are skipped, as RFC 9112 allows.
    func readHead(limit: Int) -> HeadOutcome {
        var scanned = 0
        while true {
            while end - start >= 2 && storage[start] == 0x0D && storage[start + 1] == 0x0A { start += 2 }
            if end > start { beginRequestIfNeeded() }
            let bytes = UnsafeRawBufferPointer(rebasing: storage[start..<end])
            var i = max(0, scanned - 3)
            while i + 3 < bytes.count {
                if bytes[i + 3] != 0x0A {
                    i += bytes[i + 3] == 0x0D ? 1 : 4
                    continue
                }
                if bytes[i] == 0x0D && bytes[i + 1] == 0x0A && bytes[i + 2] == 0x0D {
                    if i > limit { return .tooLarge }
                    let head = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[..<i]))
                    start += i + 4
                    return .head(head)
                }
                i += 1
            }
            scanned = bytes.count
            if scanned > limit { return .tooLarge }
            if !fill() { return stop == .deadline ? .timedOut : .closed }
        }
    }

    /// One line without its CRLF (a bare LF is accepted); `nil` on end of stream, the deadline, or past `limit`.
    func readLine(limit: Int) -> [UInt8]? {
        var scanned = 0
        while true {
            let bytes = UnsafeRawBufferPointer(rebasing: storage[start..<end])
            if let newline = bytes[scanned...].firstIndex(of: 0x0A) {
                var lineEnd = newline
                if lineEnd > 0 && bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                let line = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[..<lineEnd]))
                start += newline + 1
                return line
            }
            scanned = bytes.count
            if scanned > limit { return nil }
            if !fill() { return nil }
        }
    }

    /// Appends exactly `count` bytes to `output` as they arrive; `false` if the stream ends or the deadline passes
    /// first. `output` grows with what was received, never to `count` up front.
    func read(exactly count: Int, appendingTo output: inout [UInt8]) -> Bool {
        var missing = count
        while true {
            let available = min(missing, end - start)
            output.append(contentsOf: UnsafeRawBufferPointer(rebasing: storage[start..<(start + available)]))
            start += available
            missing -= available
            if missing == 0 { return true }
            if !fill() { return false }
        }
    }
}
