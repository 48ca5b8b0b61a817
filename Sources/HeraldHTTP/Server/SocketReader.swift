#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Buffered reads from one blocking socket: request heads, CRLF lines and exact byte counts.
///
/// Owned by a single connection thread.
final class SocketReader {
    private let fd: Int32
    private var storage: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0

    init(fd: Int32, initialCapacity: Int = 16 * 1024) {
        self.fd = fd
        storage = .allocate(byteCount: initialCapacity, alignment: 1)
    }

    deinit {
        storage.deallocate()
    }

    /// Receives more bytes after the unread ones; `false` on end of stream or error.
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
            let n = recv(fd, storage.baseAddress! + end, storage.count - end, 0)
            if n > 0 {
                end += n
                return true
            }
            if n < 0 && errno == EINTR { continue }
            return false
        }
    }

    enum HeadOutcome {
        case head([UInt8])
        case closed
        case tooLarge
    }

    /// Bytes up to the blank line that ends a request head, without it.
    ///
    /// Empty lines before the request line are skipped, as RFC 9112 allows.
    func readHead(limit: Int) -> HeadOutcome {
        var scanned = 0
        while true {
            while end - start >= 2 && storage[start] == 0x0D && storage[start + 1] == 0x0A { start += 2 }
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
            if !fill() { return .closed }
        }
    }

    /// One line without its CRLF (a bare LF is accepted); `nil` on end of stream or past `limit`.
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

    /// Appends exactly `count` bytes to `output`; `false` if the stream ends first.
    func read(exactly count: Int, appendingTo output: inout [UInt8]) -> Bool {
        let buffered = min(count, end - start)
        output.append(contentsOf: UnsafeRawBufferPointer(rebasing: storage[start..<(start + buffered)]))
        start += buffered
        var missing = count - buffered
        if missing == 0 { return true }
        if missing < storage.count / 2 {
            while end - start < missing {
                if !fill() { return false }
            }
            output.append(contentsOf: UnsafeRawBufferPointer(rebasing: storage[start..<(start + missing)]))
            start += missing
            return true
        }
        // Large bodies go straight from the socket into the output array.
        let base = output.count
        var failed = false
        output.append(contentsOf: repeatElement(0, count: missing))
        output.withUnsafeMutableBytes { buffer in
            var offset = base
            while missing > 0 {
                let n = recv(fd, buffer.baseAddress! + offset, missing, 0)
                if n > 0 {
                    offset += n
                    missing -= n
                } else if n < 0 && errno == EINTR {
                    continue
                } else {
                    failed = true
                    return
                }
            }
        }
        return !failed
    }
}
