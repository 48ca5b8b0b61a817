#if canImport(Glibc)
import Glibc
#endif

/// A bare TCP client on 127.0.0.1 that writes exactly what a test says: chunked bodies and
/// pipelining for the HTTP server, and the slow, silent and greedy clients of the hardening
/// tests. Blocking: use it from `onDedicatedThread`.
public final class RawSocket: Sendable {
    public let fd: Int32

    /// `receiveTimeout` bounds every read, so a test cannot hang on a peer that never answers.
    public init(port: Int, receiveTimeout: Duration = .seconds(5)) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var timeout = timeval(tv_sec: Int(receiveTimeout.components.seconds), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if rc != 0 {
            close(fd)
            throw RawSocketError()
        }
    }

    deinit {
        close(fd)
    }

    public func write(_ text: String) {
        write(Array(text.utf8))
    }

    public func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = send(fd, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
                if n <= 0 { return }
                offset += n
            }
        }
    }

    /// Sends `text` a byte every `interval` until the peer answers or closes; true when it did before the end.
    public func trickle(_ text: String, every interval: Duration) -> Bool {
        for byte in text.utf8 {
            var one = byte
            if send(fd, &one, 1, Int32(MSG_NOSIGNAL)) != 1 { return true }
            var probe = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&probe, 1, Int32(interval.components.seconds * 1000 + interval.components.attoseconds / 1_000_000_000_000_000)) > 0 { return true }
        }
        return false
    }

    /// What there is to read within `milliseconds`, without waiting for more.
    public func readAvailable(milliseconds: Int32) -> String {
        var probe = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&probe, 1, milliseconds) > 0 else { return "" }
        var chunk = [UInt8](repeating: 0, count: 4096)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, Int32(MSG_DONTWAIT)) }
        return n > 0 ? String(decoding: chunk[0..<n], as: UTF8.self) : ""
    }

    /// Everything until the peer closes (or the receive timeout passes).
    public func readToEnd() -> String {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n <= 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Reads until `text` has been seen `count` times in total (or the peer closes, or the timeout passes).
    public func read(until text: String, count: Int = 1) -> String {
        var received = ""
        var chunk = [UInt8](repeating: 0, count: 65536)
        while received.occurrences(of: text) < count {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n <= 0 { break }
            received += String(decoding: chunk[0..<n], as: UTF8.self)
        }
        return received
    }
}

public struct RawSocketError: Error {}

extension String {
    /// How many non-overlapping times `separator` occurs.
    public func occurrences(of separator: String) -> Int {
        var count = 0
        var rest = Substring(self)
        while let range = rest.firstRange(of: separator) {
            count += 1
            rest = rest[range.upperBound...]
        }
        return count
    }
}
