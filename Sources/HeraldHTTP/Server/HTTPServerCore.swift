#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The sockets and threads behind ``HTTPServer``; threads hold this, not the public object, so dropping the
/// server stops it.
final class HTTPServerCore: Sendable {
    private struct State {
        var stopped = false
        var openConnections: Set<Int32> = []
        var acceptThread: PosixThread?
    }

    let port: Int
    let requestsReceived = Atomic<Int>(0)
    let connectionsAccepted = Atomic<Int>(0)
    let connectionsRefused = Atomic<Int>(0)
    private let listenFD: Int32
    /// Written once by `stop()` and never drained, so every poller sees it readable from then on.
    private let stopPipe: (read: Int32, write: Int32)
    private let maxBodyBytes: Int
    private let idleTimeout: Duration
    private let requestTimeout: Duration
    private let maxConnections: Int
    private let handler: @Sendable (ReceivedRequest) -> ServerResponse
    private let state = Mutex(State())

    init(
        host: String, port: Int, maxBodyBytes: Int, idleTimeout: Duration, requestTimeout: Duration,
        maxConnections: Int, handler: @escaping @Sendable (ReceivedRequest) -> ServerResponse
    ) throws(HTTPServerError) {
        self.maxBodyBytes = maxBodyBytes
        self.idleTimeout = idleTimeout
        self.requestTimeout = requestTimeout
        self.maxConnections = max(1, maxConnections)
        self.handler = handler
        let (fd, boundPort) = try Self.listen(host: host, port: port)
        listenFD = fd
        self.port = boundPort
        var pipeFDs: [Int32] = [0, 0]
        if pipe(&pipeFDs) != 0 {
            let error = Self.error("pipe")
            close(fd)
            throw error
        }
        stopPipe = (pipeFDs[0], pipeFDs[1])
        guard let thread = PosixThread.start(name: "herald-accept", { [self] in acceptLoop() }) else {
            close(fd)
            close(pipeFDs[0])
            close(pipeFDs[1])
            throw HTTPServerError(operation: "pthread_create", code: 0, message: "could not start the accept thread")
        }
        state.withLock { $0.acceptThread = thread }
    }

    var openConnectionCount: Int {
        state.withLock { $0.openConnections.count }
    }

    func stop() {
        let thread = state.withLock { state -> PosixThread?? in
            if state.stopped { return .none }
            state.stopped = true
            for fd in state.openConnections { shutdown(fd, Int32(SHUT_RDWR)) }
            defer { state.acceptThread = nil }
            return .some(state.acceptThread)
        }
        guard case .some(let acceptThread) = thread else { return }
        var byte: UInt8 = 1
        _ = write(stopPipe.write, &byte, 1)
        // The accept thread only polls, so it returns as soon as the stop pipe is written; once joined, nothing
        // uses the listening socket and the port is free again when `stop()` returns.
        if let acceptThread, !acceptThread.isCurrent { acceptThread.join() }
        close(listenFD)
        // Connection threads are not waited for: their sockets are shut down above, so each one returns from its
        // read or delay at once, closes its socket and lets go of the core (whose deinit closes the stop pipe).
        // Waiting here would block the caller, typically a test's `defer` on Swift's cooperative pool, for as long
        // as a handler runs.
    }

    /// Runs once the accept thread and every connection thread have let go of the core.
    deinit {
        close(stopPipe.read)
        close(stopPipe.write)
    }

    private static func error(_ operation: String) -> HTTPServerError {
        let code = errno
        return HTTPServerError(operation: operation, code: code, message: String(cString: strerror(code)))
    }

    private static func listen(host: String, port: Int) throws(HTTPServerError) -> (Int32, Int) {
        guard (0...65535).contains(port) else {
            throw HTTPServerError(operation: "bind", code: EINVAL, message: "port \(port) is out of range")
        }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var resolved: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &resolved)
        guard rc == 0, let info = resolved else {
            throw HTTPServerError(operation: "getaddrinfo", code: rc, message: String(cString: gai_strerror(rc)))
        }
        defer { freeaddrinfo(resolved) }
        let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw error("socket") }
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            let failure = error("bind \(host):\(port)")
            close(fd)
            throw failure
        }
        guard Glibc.listen(fd, 1024) == 0 else {
            let failure = error("listen")
            close(fd)
            throw failure
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let boundPort = withUnsafeMutablePointer(to: &address) { pointer -> Int in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) }
            if Int32(pointer.pointee.ss_family) == AF_INET6 {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    Int(UInt16(bigEndian: $0.pointee.sin6_port))
                }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                Int(UInt16(bigEndian: $0.pointee.sin_port))
            }
        }
        return (fd, boundPort)
    }

    private func acceptLoop() {
        var fds = [
            pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0),
            pollfd(fd: stopPipe.read, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            fds[0].revents = 0
            fds[1].revents = 0
            if poll(&fds, 2, -1) < 0 && errno != EINTR { return }
            if fds[1].revents != 0 { return }
            while true {
                let fd = accept(listenFD, nil, nil)
                if fd < 0 {
                    if errno == EMFILE || errno == ENFILE { usleep(10_000) }
                    break
                }
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                var on: Int32 = 1
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
                // A peer that stops reading our answers is dropped after the idle timeout too.
                let (seconds, attoseconds) = idleTimeout.components
                var timeout = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
                if seconds > 0 || attoseconds > 0 {
                    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                }
                let admission = state.withLock { state -> Admission in
                    if state.stopped { return .stopped }
                    if state.openConnections.count >= maxConnections { return .full }
                    state.openConnections.insert(fd)
                    return .admitted
                }
                switch admission {
                case .stopped:
                    close(fd)
                    return
                case .full:
                    refuse(fd)
                    continue
                case .admitted:
                    break
                }
                let number = connectionsAccepted.add(1, ordering: .relaxed).newValue
                let started = PosixThread.start(name: "herald-conn", detached: true, stackSize: 256 * 1024) { [self] in
                    serve(fd, connectionNumber: number)
                    closeConnection(fd)
                }
                if started == nil { closeConnection(fd) }
            }
        }
    }

    private enum Admission { case admitted, full, stopped }

    /// Answers a connection past the cap with 503 from the accept thread and closes it: no thread, no waiting.
    private func refuse(_ fd: Int32) {
        connectionsRefused.add(1, ordering: .relaxed)
        let answer = Self.refusal
        _ = answer.withUnsafeBytes { Glibc.send(fd, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
        shutdown(fd, Int32(SHUT_WR))
        // Unread request bytes would turn the close into a reset that can destroy the answer before it is read.
        var scratch = [UInt8](repeating: 0, count: 4096)
        while scratch.withUnsafeMutableBytes({ recv(fd, $0.baseAddress!, $0.count, Int32(MSG_DONTWAIT)) }) > 0 {}
        close(fd)
    }

    private static let refusal: [UInt8] = {
        var output: [UInt8] = []
        let response = ServerResponse(
            status: 503, headers: [HTTPHeader("Content-Type", "text/plain"), HTTPHeader("Retry-After", "1")],
            body: Array("too many connections\n".utf8))
        ResponseWriter.serialize(response, keepAlive: false, headOnly: false, into: &output)
        return output
    }()

    private func closeConnection(_ fd: Int32) {
        state.withLock { state in
            state.openConnections.remove(fd)
            close(fd)
        }
    }

    private var isStopped: Bool {
        state.withLock { $0.stopped }
    }

    /// Sleeps for `delay` unless the server stops first; `false` when it stopped.
    private func wait(_ delay: Duration) -> Bool {
        var remaining = delay.roundedUpMilliseconds
        var fds = [pollfd(fd: stopPipe.read, events: Int16(POLLIN), revents: 0)]
        while remaining > 0 {
            let slice = Int32(min(remaining, 60_000))
            let rc = poll(&fds, 1, slice)
            if rc > 0 { return false }
            if rc == 0 { remaining -= Int64(slice) }
        }
        return !isStopped
    }

    /// Reads requests off one connection and answers them until either side closes.
    private func serve(_ fd: Int32, connectionNumber: Int) {
        let reader = SocketReader(fd: fd, idleTimeout: idleTimeout, requestTimeout: requestTimeout)
        var output: [UInt8] = []
        output.reserveCapacity(1024)
        while true {
            let head: [UInt8]
            switch reader.readHead(limit: 64 * 1024) {
            case .head(let bytes):
                head = bytes
            case .closed:
                return
            case .tooLarge:
                _ = send(fd, status: 431, body: "request head over 64 KiB\n", into: &output)
                return
            case .timedOut:
                _ = send(fd, status: 408, body: "request not received within \(requestTimeout)\n", into: &output)
                return
            }
            guard var request = RequestHead.parse(head) else {
                _ = send(fd, status: 400, body: "malformed request head\n", into: &output)
                return
            }
            var keepAlive = request.keepAlive
            if request.expectsContinue {
                let interim: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
                if !writeAll(fd, interim) { return }
            }
            var body: [UInt8] = []
            switch request.bodyFraming {
            case .none:
                break
            case .invalid:
                _ = send(fd, status: 400, body: "invalid Content-Length or Transfer-Encoding\n", into: &output)
                return
            case .length(let length):
                if length > maxBodyBytes {
                    _ = send(fd, status: 413, body: "body too large\n", into: &output)
                    return
                }
                // Grows as bytes arrive: a declared length alone reserves nothing.
                if !reader.read(exactly: length, appendingTo: &body) {
                    if reader.stop == .deadline {
                        _ = send(fd, status: 408, body: "request not received within \(requestTimeout)\n", into: &output)
                    }
                    return
                }
            case .chunked:
                switch readChunked(reader, into: &body) {
                case .ok: break
                case .tooLarge:
                    _ = send(fd, status: 413, body: "body too large\n", into: &output)
                    return
                case .malformed where reader.stop == .deadline:
                    _ = send(fd, status: 408, body: "request not received within \(requestTimeout)\n", into: &output)
                    return
                case .malformed:
                    _ = send(fd, status: 400, body: "malformed chunked body\n", into: &output)
                    return
                }
            }
            reader.finishRequest()
            requestsReceived.add(1, ordering: .relaxed)
            let response = handler(
                ReceivedRequest(
                    method: request.method, target: request.target, version: request.version,
                    headers: request.takeHeaders(), body: body, connectionNumber: connectionNumber))
            if let delay = response.delay, delay > .zero {
                if !wait(delay) { return }
            }
            if response.dropConnection { return }
            if isStopped { keepAlive = false }
            output.removeAll(keepingCapacity: true)
            ResponseWriter.serialize(response, keepAlive: keepAlive, headOnly: request.method == "HEAD", into: &output)
            if !writeAll(fd, output) || !keepAlive { return }
        }
    }

    private enum ChunkedOutcome { case ok, tooLarge, malformed }

    private func readChunked(_ reader: SocketReader, into body: inout [UInt8]) -> ChunkedOutcome {
        while true {
            guard let line = reader.readLine(limit: 4096) else { return .malformed }
            var size = 0
            var digits = 0
            for byte in line {
                guard let digit = hexValue(byte) else { break }
                size = size &* 16 &+ digit
                digits += 1
                if digits > 15 { return .tooLarge }
            }
            if digits == 0 { return .malformed }
            if size == 0 {
                while true {
                    guard let trailer = reader.readLine(limit: 64 * 1024) else { return .malformed }
                    if trailer.isEmpty { return .ok }
                }
            }
            if body.count + size > maxBodyBytes { return .tooLarge }
            if !reader.read(exactly: size, appendingTo: &body) { return .malformed }
            guard let end = reader.readLine(limit: 2), end.isEmpty else { return .malformed }
        }
    }

    private func send(_ fd: Int32, status: Int, body: String, into output: inout [UInt8]) -> Bool {
        output.removeAll(keepingCapacity: true)
        let response = ServerResponse(
            status: status, headers: [HTTPHeader("Content-Type", "text/plain")], body: Array(body.utf8))
        ResponseWriter.serialize(response, keepAlive: false, headOnly: false, into: &output)
        return writeAll(fd, output)
    }

    private func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.send(fd, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
                if n > 0 {
                    offset += n
                } else if n < 0 && errno == EINTR {
                    continue
                } else {
                    return false
                }
            }
            return true
        }
    }
}

@inline(__always)
private func hexValue(_ byte: UInt8) -> Int? {
    switch byte {
    case 0x30...0x39: Int(byte - 0x30)
    case 0x41...0x46: Int(byte - 0x41 + 10)
    case 0x61...0x66: Int(byte - 0x61 + 10)
    default: nil
    }
}
