#if canImport(Glibc)
import Glibc
#endif
import HeraldTestSupport
import Testing

@testable import HeraldHTTP

@Suite("HTTPServer against hostile clients")
struct HTTPServerHardeningTests {
    @Test("connections past maxConnections are answered 503 by the accept thread, and served again once load goes")
    func connectionCap() async throws {
        // Timeouts far beyond the bound below: "at once" stays distinguishable from "after a timeout"
        // on a machine many times slower than an idle one.
        let server = try HTTPServer(idleTimeout: .seconds(300), requestTimeout: .seconds(300), maxConnections: 4, handler: { _ in ServerResponse(status: 204) })
        defer { server.stop() }
        // Four silent connections take every place.
        let held = try (0..<4).map { _ in try RawSocket(port: server.port) }
        #expect(await eventually { server.openConnections == 4 })
        let clock = ContinuousClock()
        let start = clock.now
        let refused = try RawSocket(port: server.port)
        let answer = await onDedicatedThread { refused.readToEnd() }
        #expect(answer.hasPrefix("HTTP/1.1 503 Service Unavailable\r\n"), "\(answer)")
        #expect(answer.contains("Retry-After: 1\r\n"))
        #expect(clock.now - start < .seconds(60), "refused at once, not after a timeout")
        #expect(server.connectionsRefused == 1)
        #expect(server.openConnections == 4, "the refused connection got no thread")

        for socket in held { shutdown(socket.fd, Int32(SHUT_RDWR)) }
        #expect(await eventually { server.openConnections == 0 })
        let again = try RawSocket(port: server.port)
        again.write("GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
        #expect(await onDedicatedThread { again.readToEnd() }.hasPrefix("HTTP/1.1 204 "))
    }

    @Test("a request head sent a byte at a time is answered 408 at the request deadline")
    func slowHead() async throws {
        let server = try HTTPServer(idleTimeout: .seconds(60), requestTimeout: .milliseconds(500), handler: { _ in ServerResponse(status: 204) })
        defer { server.stop() }
        let socket = try RawSocket(port: server.port)
        let clock = ContinuousClock()
        let start = clock.now
        // The slow client: a byte every 100 ms, far more often than the idle timeout, for up to 5 minutes.
        let head = Array("GET / HTTP/1.1\r\nX-Slow: ".utf8) + Array(repeating: UInt8(ascii: "a"), count: 3_000)
        let (sent, answer) = await onDedicatedThread { () -> (Int, String) in
            var sent = 0
            for byte in head {
                socket.write([byte])
                sent += 1
                var probe = pollfd(fd: socket.fd, events: Int16(POLLIN), revents: 0)
                if poll(&probe, 1, 100) > 0 { break }
            }
            return (sent, socket.readToEnd())
        }
        let elapsed = clock.now - start
        #expect(answer.hasPrefix("HTTP/1.1 408 "), "\(answer)")
        #expect(elapsed >= .milliseconds(500))
        // Cut off while the client was still trickling, not kept alive by each byte: no bound in
        // seconds (a loaded 2-core machine has taken 26 s), only that the cut came before the client ran out.
        #expect(sent < head.count, "the connection outlived the trickle (\(elapsed)): kept alive by each byte")
        #expect(server.requestsReceived == 0)
    }

    @Test("a body that trickles in past the request deadline is answered 408; one that arrives in time is served")
    func slowBody() async throws {
        let server = try HTTPServer(idleTimeout: .seconds(60), requestTimeout: .milliseconds(500), handler: { _ in ServerResponse(status: 204) })
        defer { server.stop() }
        let slow = try RawSocket(port: server.port)
        let answer = await onDedicatedThread { () -> String in
            slow.write("POST / HTTP/1.1\r\nContent-Length: 1000\r\n\r\n")
            for _ in 0..<300 {
                slow.write("x")
                var probe = pollfd(fd: slow.fd, events: Int16(POLLIN), revents: 0)
                if poll(&probe, 1, 100) > 0 { break }
            }
            return slow.readToEnd()
        }
        #expect(answer.hasPrefix("HTTP/1.1 408 "), "\(answer)")
        // The deadline is per request: a keep-alive connection's next request gets a fresh one.
        let steady = try RawSocket(port: server.port)
        let answers = await onDedicatedThread { () -> String in
            steady.write("POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc")
            let first = steady.read(until: "\r\n\r\n")
            var probe = pollfd(fd: steady.fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&probe, 1, 700)  // longer than the deadline, idle between requests
            steady.write("GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
            return first + steady.readToEnd()
        }
        #expect(answers.occurrences(of: "HTTP/1.1 204 ") == 2, "\(answers)")
    }

    @Test("a silent connection is closed after the idle timeout")
    func silentConnection() async throws {
        let server = try HTTPServer(idleTimeout: .milliseconds(300), handler: { _ in ServerResponse(status: 204) })
        defer { server.stop() }
        // A receive timeout longer than the bound, so that only the server's close ends the read.
        let socket = try RawSocket(port: server.port, receiveTimeout: .seconds(60))
        let clock = ContinuousClock()
        let start = clock.now
        #expect(await onDedicatedThread { socket.readToEnd() } == "")
        #expect(clock.now - start < .seconds(45), "closed after 300 ms (16 s seen under `stress` on 2 cores), not held")
        #expect(await eventually { server.openConnections == 0 })
    }

    @Test("a declared 64 MiB body holds only the bytes that arrived")
    func bodyGrowsAsBytesArrive() async throws {
        var pair: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
        let (ours, theirs) = (pair[0], pair[1])
        defer { close(ours) }
        let sent = patternBytes(count: 100_000, seed: 7)
        let outcome = await onDedicatedThread { () -> (Bool, [UInt8], Int, Int) in
            let reader = SocketReader(fd: ours)
            var body: [UInt8] = []
            sent.withUnsafeBytes { _ = send(theirs, $0.baseAddress!, $0.count, 0) }
            close(theirs)
            let complete = reader.read(exactly: 64 << 20, appendingTo: &body)
            return (complete, body, body.capacity, reader.bufferCapacity)
        }
        let (complete, body, capacity, buffer) = outcome
        #expect(!complete)
        #expect(body == sent, "every byte that arrived is kept, in order")
        #expect(capacity < 1 << 20, "capacity follows what arrived (100 kB), not the 64 MiB declared")
        #expect(buffer <= 64 << 10)
    }

    @Test("a large body still arrives intact through the growing buffer")
    func largeBodyIntact() async throws {
        let recorder = Recorder()
        let server = try HTTPServer(handler: { recorder.record($0); return ServerResponse(status: 204) })
        defer { server.stop() }
        let body = patternBytes(count: 3 << 20, seed: 11)
        let socket = try RawSocket(port: server.port)
        let answer = await onDedicatedThread { () -> String in
            socket.write("POST /big HTTP/1.1\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n")
            socket.write(body)
            return socket.readToEnd()
        }
        #expect(answer.hasPrefix("HTTP/1.1 204 "))
        #expect(recorder.all.first?.body == body)
    }
}
