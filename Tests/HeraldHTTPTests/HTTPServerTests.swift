import HeraldHTTP
import Testing
import HeraldTestSupport

@Suite("HTTPServer over raw sockets")
struct HTTPServerTests {
    @Test("a chunked request body is reassembled")
    func chunkedBody() throws {
        let recorder = Recorder()
        let server = try HTTPServer(handler: { recorder.record($0); return ServerResponse(status: 201, body: [65]) })
        defer { server.stop() }
        let socket = try RawSocket(port: server.port)
        socket.write(
            "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                + "5;ext=1\r\nhello\r\nA\r\n, chunked!\r\n0\r\nTrailer: t\r\n\r\n")
        let answer = socket.readToEnd()
        #expect(answer.hasPrefix("HTTP/1.1 201 Created\r\n"))
        #expect(answer.contains("Content-Length: 1\r\n"))
        #expect(answer.contains("Connection: close\r\n"))
        #expect(answer.hasSuffix("\r\n\r\nA"))
        #expect(recorder.all.first?.body == Array("hello, chunked!".utf8))
    }

    @Test("pipelined requests on one connection are answered in order")
    func pipelining() throws {
        let server = try HTTPServer(handler: { ServerResponse(status: 200, body: Array($0.path.utf8)) })
        defer { server.stop() }
        let socket = try RawSocket(port: server.port)
        socket.write(
            "POST /one HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
                + "GET /two HTTP/1.1\r\n\r\n"
                + "GET /three HTTP/1.1\r\nConnection: close\r\n\r\n")
        let answer = socket.readToEnd()
        let one = try #require(answer.firstRange(of: "/one"))
        let two = try #require(answer.firstRange(of: "/two"))
        let three = try #require(answer.firstRange(of: "/three"))
        #expect(one.lowerBound < two.lowerBound && two.lowerBound < three.lowerBound)
        #expect(server.connectionsAccepted == 1)
        #expect(server.requestsReceived == 3)
    }

    @Test("an HTTP/1.0 request without keep-alive is answered and closed")
    func http10Closes() throws {
        let server = try HTTPServer(handler: { _ in ServerResponse(status: 200, body: [66]) })
        defer { server.stop() }
        let socket = try RawSocket(port: server.port)
        socket.write("GET / HTTP/1.0\r\n\r\n")
        let answer = socket.readToEnd()
        #expect(answer.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(answer.contains("Connection: close\r\n"))
    }

    @Test("Expect: 100-continue gets an interim answer before the body is sent")
    func expectContinue() throws {
        let recorder = Recorder()
        let server = try HTTPServer(handler: { recorder.record($0); return ServerResponse(status: 204) })
        defer { server.stop() }
        let socket = try RawSocket(port: server.port)
        socket.write("POST / HTTP/1.1\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        let interim = socket.read(until: "\r\n\r\n")
        #expect(interim == "HTTP/1.1 100 Continue\r\n\r\n")
        socket.write("body")
        let final = socket.read(until: "\r\n\r\n")
        #expect(final.hasPrefix("HTTP/1.1 204 No Content\r\n"))
        #expect(recorder.all.first?.body == Array("body".utf8))
    }

    @Test("a body over the limit is refused with 413 and the connection closed")
    func bodyTooLarge() throws {
        let server = try HTTPServer(maxBodyBytes: 10, handler: { _ in ServerResponse() })
        defer { server.stop() }
        let socket = try RawSocket(port: server.port)
        socket.write("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n0123456789A")
        #expect(socket.readToEnd().hasPrefix("HTTP/1.1 413 "))
        #expect(server.requestsReceived == 0)
    }

    @Test("a malformed request line is answered with 400")
    func malformedHead() throws {
        let server = try HTTPServer(handler: { _ in ServerResponse() })
        defer { server.stop() }
        let socket = try RawSocket(port: server.port)
        socket.write("NONSENSE\r\n\r\n")
        #expect(socket.readToEnd().hasPrefix("HTTP/1.1 400 "))
    }

    @Test("stop interrupts a delayed answer and closes open connections")
    func stopInterruptsDelay() async throws {
        let server = try HTTPServer(handler: { _ in ServerResponse(status: 200, delay: .seconds(300)) })
        let socket = try RawSocket(port: server.port)
        socket.write("GET / HTTP/1.1\r\n\r\n")
        #expect(await eventually { server.requestsReceived == 1 })
        let clock = ContinuousClock()
        let start = clock.now
        server.stop()
        #expect(clock.now - start < .seconds(5), "stop does not wait for the handler's delay")
        #expect(await onDedicatedThread { socket.readToEnd() } == "")
        // The connection's thread closes its socket on its own, far sooner than the delay it cut short.
        #expect(await eventually { server.openConnections == 0 })
    }

    @Test("port 0 binds an ephemeral port that is reported")
    func ephemeralPort() throws {
        let first = try HTTPServer(handler: { _ in ServerResponse() })
        let second = try HTTPServer(handler: { _ in ServerResponse() })
        defer {
            first.stop()
            second.stop()
        }
        #expect(first.port > 0 && second.port > 0 && first.port != second.port)
        #expect(first.baseURL == "http://127.0.0.1:\(first.port)")
    }

    @Test("binding a port in use fails with an error naming the call")
    func portInUse() throws {
        let first = try HTTPServer(handler: { _ in ServerResponse() })
        defer { first.stop() }
        #expect(throws: HTTPServerError.self) { try HTTPServer(port: first.port, handler: { _ in ServerResponse() }) }
    }
}

@Suite("HTTPServer limits")
struct HTTPServerLimitTests {
    @Test("a request head over 64 KiB is answered with 431")
    func headTooLarge() throws {
        let server = try HTTPServer(handler: { _ in ServerResponse() })
        defer { server.stop() }
        let socket = try RawSocket(port: server.port)
        socket.write("GET / HTTP/1.1\r\nX-Big: " + String(repeating: "a", count: 70_000) + "\r\n\r\n")
        #expect(socket.readToEnd().hasPrefix("HTTP/1.1 431 "))
    }

    @Test("an idle keep-alive connection is closed after the idle timeout")
    func idleTimeout() throws {
        let server = try HTTPServer(idleTimeout: .milliseconds(200), handler: { _ in ServerResponse(status: 204) })
        defer { server.stop() }
        let socket = try RawSocket(port: server.port)
        socket.write("GET / HTTP/1.1\r\n\r\n")
        let clock = ContinuousClock()
        let start = clock.now
        let answer = socket.readToEnd()
        #expect(answer.hasPrefix("HTTP/1.1 204 "))
        #expect(clock.now - start < .seconds(10), "far sooner than the delay or default timeout it cuts short")
    }
}

@Suite("HTTPServer resources", .serialized)
struct HTTPServerResourceTests {
    @Test("starting, using and stopping many servers leaks no file descriptors")
    func noDescriptorLeak() async throws {
        let client = try HTTPClient()
        defer { client.shutdown() }
        let warmUp = try HTTPServer(handler: { _ in ServerResponse(status: 204) })
        _ = await client.send(HTTPRequest(url: warmUp.baseURL, body: [1]))
        warmUp.stop()
        let before = openPipeCount()
        for _ in 0..<50 {
            let server = try HTTPServer(handler: { _ in ServerResponse(status: 204) })
            let result = await client.send(HTTPRequest(url: server.baseURL, body: [1]))
            #expect(result.status == 204)
            server.stop()
        }
        // Other suites run in parallel and their servers hold two pipe ends each; a leak here would add 100.
        #expect(openPipeCount() - before < 40)
    }
}
