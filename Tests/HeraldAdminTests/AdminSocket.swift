#if canImport(Glibc)
import Glibc
#endif

/// A bare TCP client on 127.0.0.1 for talking to the admin listener the way a hostile client
/// would: holding a connection silent, or sending a request a byte at a time. Blocking: use it
/// from `onDedicatedThread`.
final class AdminSocket: Sendable {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if rc != 0 {
            close(fd)
            throw AdminSocketError()
        }
    }

    deinit {
        close(fd)
    }

    func write(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Sends `text` a byte every `interval` until the peer answers or closes; true when it did before the end.
    func trickle(_ text: String, every interval: Duration) -> Bool {
        for byte in text.utf8 {
            var one = byte
            if send(fd, &one, 1, Int32(MSG_NOSIGNAL)) != 1 { return true }
            var probe = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&probe, 1, Int32(interval.components.seconds * 1000 + interval.components.attoseconds / 1_000_000_000_000_000)) > 0 { return true }
        }
        return false
    }

    /// Reads until `text` has arrived (or the peer closes, or 30 s pass).
    func read(until text: String) -> String {
        var received = ""
        var chunk = [UInt8](repeating: 0, count: 16384)
        while !received.contains(text) {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n <= 0 { break }
            received += String(decoding: chunk[0..<n], as: UTF8.self)
        }
        return received
    }

    /// Everything until the peer closes (or 30 s pass).
    func readToEnd() -> String {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n <= 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

struct AdminSocketError: Error {}

/// Polls `condition` until it holds or `timeout` passes, sleeping between polls so the cooperative pool stays free.
func eventually(timeout: Duration = .seconds(60), _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return await condition()
}
