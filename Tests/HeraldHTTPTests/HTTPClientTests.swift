import HeraldHTTP
import Synchronization
import Testing

@Suite("HTTPClient against a real loopback server")
struct HTTPClientTests {
    @Test("a body with every byte value arrives byte-identical and the headers arrive as set")
    func everyByteValue() async throws {
        let recorder = Recorder()
        try await withServer(handler: { recorder.record($0); return ServerResponse(status: 204) }) { server, client in
            let body = (0..<4).flatMap { _ in (0...255).map(UInt8.init) }
            let headers = [
                HTTPHeader("Content-Type", "application/octet-stream"),
                HTTPHeader("webhook-id", "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"),
                HTTPHeader("X-Empty", ""),
                HTTPHeader("X-Repeated", "one"),
                HTTPHeader("X-Repeated", "two"),
            ]
            let result = await client.send(
                HTTPRequest(url: server.baseURL + "/hooks/a?x=1", headers: headers, body: body))
            #expect(result.error == nil)
            #expect(result.status == 204)
            #expect(result.httpVersion == "1.1")
            let received = try #require(recorder.all.first)
            #expect(received.method == "POST")
            #expect(received.target == "/hooks/a?x=1")
            #expect(received.body == body)
            #expect(received.headers.first(named: "content-type") == "application/octet-stream")
            #expect(received.headers.first(named: "webhook-id") == "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W")
            #expect(received.headers.first(named: "x-empty") == "")
            #expect(received.headers.all(named: "x-repeated") == ["one", "two"])
            #expect(received.headers.first(named: "expect") == nil)
            #expect(received.headers.first(named: "content-length") == "\(body.count)")
        }
    }

    @Test("a 10 MB body arrives byte-identical")
    func tenMegabytes() async throws {
        let recorder = Recorder()
        try await withServer(handler: { recorder.record($0); return ServerResponse(status: 200) }) { server, client in
            let body = patternBytes(count: 10 * 1024 * 1024, seed: 7)
            let result = await client.send(HTTPRequest(url: server.baseURL, body: body))
            #expect(result.error == nil)
            #expect(result.status == 200)
            #expect(recorder.all.first?.body == body)
        }
    }

    @Test("a status comes back with its headers and body", arguments: [200, 204, 400, 503])
    func statusHeadersBody(status: Int) async throws {
        try await withServer(handler: { _ in
            ServerResponse(
                status: status, headers: [HTTPHeader("X-Answer", "42"), HTTPHeader("Retry-After", "7")],
                body: Array("status \(status)".utf8))
        }) { server, client in
            let result = await client.send(HTTPRequest(url: server.baseURL, body: Array("{}".utf8)))
            #expect(result.error == nil)
            #expect(result.status == status)
            #expect(result.headers.first(named: "x-answer") == "42")
            #expect(result.headers.first(named: "Retry-After") == "7")
            #expect(result.body == (status == 204 ? [] : Array("status \(status)".utf8)))
            #expect(result.isSuccess == (200..<300).contains(status))
        }
    }

    @Test("a request that names the response headers it needs gets only those, whatever their case")
    func onlyWantedHeaders() async throws {
        try await withServer(handler: { _ in
            ServerResponse(status: 503, headers: [HTTPHeader("X-Answer", "42"), HTTPHeader("retry-AFTER", "7"), HTTPHeader("X-Other", "1")])
        }) { server, client in
            var request = HTTPRequest(url: server.baseURL, body: Array("{}".utf8))
            request.responseHeaders = ["retry-after"]
            let result = await client.send(request)
            #expect(result.status == 503)
            #expect(result.headers.map(\.name) == ["retry-AFTER"])
            #expect(result.headers.first(named: "Retry-After") == "7")
        }
    }

    @Test("a response body is truncated at the configured limit")
    func truncatedBody() async throws {
        let long = patternBytes(count: 200_000, seed: 3)
        try await withServer(
            client: HTTPClient.Configuration(maxResponseBytes: 1000),
            handler: { _ in ServerResponse(status: 200, body: long) }
        ) { server, client in
            let result = await client.send(HTTPRequest(url: server.baseURL))
            #expect(result.error == nil)
            #expect(result.body == Array(long.prefix(1000)))
            #expect(result.bodyTruncated)
            let again = await client.send(HTTPRequest(url: server.baseURL))
            #expect(again.status == 200)
            #expect(again.connectionReused)
        }
    }

    @Test("a 302 is returned as 302 and not followed")
    func redirectNotFollowed() async throws {
        try await withServer(handler: { request in
            request.path == "/start"
                ? ServerResponse(status: 302, headers: [HTTPHeader("Location", "/elsewhere")])
                : ServerResponse(status: 200)
        }) { server, client in
            let result = await client.send(HTTPRequest(url: server.baseURL + "/start", body: [1, 2, 3]))
            #expect(result.error == nil)
            #expect(result.status == 302)
            #expect(result.headers.first(named: "location") == "/elsewhere")
            #expect(server.requestsReceived == 1)
        }
    }

    @Test("a stalled server gives a timeout within about the timeout")
    func stalledServerTimesOut() async throws {
        // libcurl's own clock runs on the client's thread, so `duration` shows the timeout even on a loaded machine;
        // the wall clock also counts how long this task waited for a pool thread, so its bound only says "not the
        // server's answer" and leaves room for a machine many times slower than an idle one.
        try await withServer(handler: { _ in ServerResponse(status: 200, delay: .seconds(300)) }) { server, client in
            let clock = ContinuousClock()
            let start = clock.now
            let result = await client.send(HTTPRequest(url: server.baseURL, body: [1], timeout: .milliseconds(300)))
            let elapsed = clock.now - start
            #expect(result.error?.kind == .timeout)
            #expect(result.status == nil)
            #expect(result.duration >= .milliseconds(250) && result.duration < .seconds(5), "libcurl took \(result.duration)")
            #expect(elapsed >= .milliseconds(250))
            #expect(elapsed < .seconds(120), "well before the server's 300 s answer")
        }
    }

    @Test("connection refused on a closed port gives a connect error")
    func connectionRefused() async throws {
        let closed = try HTTPServer(handler: { _ in ServerResponse() })
        let url = closed.baseURL
        closed.stop()
        let client = try HTTPClient()
        defer { client.shutdown() }
        let result = await client.send(HTTPRequest(url: url, body: [1], timeout: .seconds(5)))
        #expect(result.error?.kind == .connect)
        #expect(result.error?.code == 7)
        #expect(result.status == nil)
        #expect(result.error?.message.isEmpty == false)
    }

    @Test("a server that closes without answering gives an error, not a hang")
    func closedWithoutAnswer() async throws {
        try await withServer(handler: { _ in .drop() }) { server, client in
            let result = await client.send(HTTPRequest(url: server.baseURL, body: [1], timeout: .seconds(10)))
            let error = try #require(result.error)
            #expect(error.kind != .timeout)
            #expect(result.status == nil)
        }
    }

    @Test("200 sequential requests reuse one connection")
    func sequentialReuse() async throws {
        try await withServer(handler: { _ in ServerResponse(status: 204) }) { server, client in
            for index in 0..<200 {
                let result = await client.send(HTTPRequest(url: server.baseURL, body: Array("\(index)".utf8)))
                #expect(result.status == 204)
                #expect(result.connectionReused == (index > 0))
            }
            #expect(server.connectionsAccepted == 1)
            #expect(server.requestsReceived == 200)
        }
    }

    @Test("500 concurrent sends from many tasks all complete with their own response")
    func concurrentSends() async throws {
        try await withServer(handler: { request in
            ServerResponse(status: 200, headers: [HTTPHeader("X-Echo", request.target)], body: request.body)
        }) { server, client in
            let failures = await withTaskGroup(of: Bool.self) { group in
                for index in 0..<500 {
                    group.addTask {
                        let body = patternBytes(count: 300 + index, seed: UInt64(index))
                        let result = await client.send(HTTPRequest(url: server.baseURL + "/\(index)", body: body))
                        return result.error == nil && result.status == 200 && result.body == body
                            && result.headers.first(named: "x-echo") == "/\(index)"
                    }
                }
                var failures = 0
                for await ok in group where !ok { failures += 1 }
                return failures
            }
            #expect(failures == 0)
            #expect(server.requestsReceived == 500)
        }
    }

    @Test("20 concurrent 1 MB bodies all arrive whole")
    func concurrentLargeBodies() async throws {
        try await withServer(handler: { request in
            let marker = request.body.first ?? 0
            let intact = request.body.count == 1_000_000 && !request.body.contains { $0 != marker }
            return ServerResponse(status: intact ? 200 : 400)
        }) { server, client in
            let statuses = await withTaskGroup(of: Int?.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        let body = [UInt8](repeating: UInt8(index), count: 1_000_000)
                        return await client.send(HTTPRequest(url: server.baseURL, body: body)).status
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses == Array(repeating: 200, count: 20))
        }
    }

    @Test("cancelling the calling task aborts the transfer")
    func cancellation() async throws {
        // The server would answer after five minutes and the timeout is longer still: only the cancellation can end
        // the request sooner. The wall-clock bound is generous because a loaded machine can starve this task for
        // seconds; what cannot be starved is the outcome and libcurl's own account of the transfer.
        try await withServer(handler: { _ in ServerResponse(status: 200, delay: .seconds(300)) }) { server, client in
            let clock = ContinuousClock()
            let start = clock.now
            let task = Task { await client.send(HTTPRequest(url: server.baseURL, body: [1], timeout: .seconds(600))) }
            try await Task.sleep(for: .milliseconds(100))
            task.cancel()
            let result = await task.value
            #expect(result.error?.kind == .cancelled)
            #expect(result.status == nil)
            #expect(result.duration < .seconds(120), "libcurl took \(result.duration)")
            #expect(clock.now - start < .seconds(150), "far sooner than the server's 300 s answer")
        }
    }

    @Test("methods other than POST are sent as given")
    func otherMethods() async throws {
        let recorder = Recorder()
        try await withServer(handler: { recorder.record($0); return ServerResponse(status: 200, body: [9]) }) {
            server, client in
            let get = await client.send(HTTPRequest(method: "GET", url: server.baseURL + "/g"))
            let put = await client.send(HTTPRequest(method: "PUT", url: server.baseURL + "/p", body: [1, 2]))
            let head = await client.send(HTTPRequest(method: "HEAD", url: server.baseURL + "/h"))
            #expect(get.status == 200 && get.body == [9])
            #expect(put.status == 200)
            #expect(head.status == 200 && head.body.isEmpty)
            #expect(recorder.all.map(\.method) == ["GET", "PUT", "HEAD"])
            #expect(recorder.all[1].body == [1, 2])
            #expect(recorder.all[0].headers.first(named: "content-type") == nil)
        }
    }

    @Test("pooled handles carry no method, body, TLS or timeout settings from one request into the next")
    func handleReuseAcrossShapes() async throws {
        let recorder = Recorder()
        try await withServer(handler: { recorder.record($0); return ServerResponse(status: 200, body: [1]) }) {
            server, client in
            let url = server.baseURL
            let plan: [HTTPRequest] = [
                HTTPRequest(url: url + "/1", body: [1, 1]),
                HTTPRequest(method: "GET", url: url + "/2"),
                HTTPRequest(url: url + "/3", body: [3]),
                HTTPRequest(method: "HEAD", url: url + "/4"),
                HTTPRequest(method: "PATCH", url: url + "/5", body: [5]),
                HTTPRequest(url: url + "/6", body: []),
                HTTPRequest(url: url + "/7", body: [7], connectTimeout: .seconds(2), tls: TLSOptions(insecureSkipVerify: true)),
                HTTPRequest(url: url + "/8", body: [8]),
            ]
            for request in plan {
                let result = await client.send(request)
                #expect(result.status == 200, "\(request.method) \(request.url)")
            }
            let received = recorder.all
            #expect(received.map(\.method) == ["POST", "GET", "POST", "HEAD", "PATCH", "POST", "POST", "POST"])
            #expect(received.map(\.body) == [[1, 1], [], [3], [], [5], [], [7], [8]])
            #expect(received.map(\.path) == (1...8).map { "/\($0)" })
            #expect(received[5].headers.first(named: "content-length") == "0")
        }
    }

    @Test("a header with a line break is refused before anything is sent")
    func headerInjection() async throws {
        try await withServer(handler: { _ in ServerResponse() }) { server, client in
            let result = await client.send(
                HTTPRequest(url: server.baseURL, headers: [HTTPHeader("X-Bad", "a\r\nInjected: yes")]))
            #expect(result.error?.kind == .invalidRequest)
            #expect(server.requestsReceived == 0)
        }
    }

    @Test("header lines and bodies reused across a handle's transfers never leak from one request into the next")
    func reusedRequestMemory() async throws {
        let recorder = Recorder()
        try await withServer(handler: { recorder.record($0); return ServerResponse(status: 204) }) { server, client in
            // One request at a time, so that each reuses the easy handle (and its buffers) of the last.
            let many = (0..<40).map { HTTPHeader("X-H\($0)", String(repeating: "v", count: 30 + $0)) }
            let plan: [(headers: [HTTPHeader], body: [UInt8])] = [
                (many, Array(repeating: 7, count: 200_000)),
                ([HTTPHeader("X-One", "1")], [1, 2, 3]),
                ([HTTPHeader("X-Bad", "a\nb")] + many, [9]),
                ([HTTPHeader("X-Two", ""), HTTPHeader("Content-Type", "text/plain")], Array(repeating: 5, count: 5000)),
                ([], []),
            ]
            var statuses: [Int?] = []
            for step in plan {
                statuses.append(await client.send(HTTPRequest(url: server.baseURL, headers: step.headers, body: step.body)).status)
            }
            #expect(statuses == [204, 204, nil, 204, 204])
            let received = recorder.all
            try #require(received.count == 4)
            let custom = received.map { $0.headers.filter { $0.name.lowercased().hasPrefix("x-") } }
            #expect(custom[0].map { $0.name.lowercased() } == many.map { $0.name.lowercased() })
            #expect(custom[0].map(\.value) == many.map(\.value))
            #expect(custom[1].map(\.value) == ["1"])
            #expect(custom[2].map(\.name).map { $0.lowercased() } == ["x-two"] && custom[2].map(\.value) == [""])
            #expect(custom[3].isEmpty)
            #expect(received[2].headers.first(named: "content-type") == "text/plain")
            #expect(received.map(\.body.count) == [200_000, 3, 5000, 0])
            #expect(received[0].body.allSatisfy { $0 == 7 } && received[2].body.allSatisfy { $0 == 5 })
        }
    }

    @Test("an unresolvable host gives a dns error")
    func unresolvableHost() async throws {
        let client = try HTTPClient()
        defer { client.shutdown() }
        let result = await client.send(HTTPRequest(url: "http://no-such-host.invalid/", timeout: .seconds(5)))
        #expect(result.error?.kind == .dns)
    }

    @Test("sends after shutdown complete at once as cancelled")
    func sendAfterShutdown() async throws {
        let client = try HTTPClient()
        client.shutdown()
        client.shutdown()
        let result = await client.send(HTTPRequest(url: "http://127.0.0.1:9/"))
        #expect(result.error?.kind == .cancelled)
    }
}

@Suite("HTTPClient through a proxy")
struct HTTPClientProxyTests {
    @Test("a request for an http URL goes to the proxy with the absolute target")
    func forwardProxy() async throws {
        let recorder = Recorder()
        try await withServer(handler: { recorder.record($0); return ServerResponse(status: 202) }) { proxy, client in
            let result = await client.send(
                HTTPRequest(url: "http://receiver.invalid/hooks", body: [7], proxy: proxy.baseURL))
            #expect(result.error == nil)
            #expect(result.status == 202)
            let received = try #require(recorder.all.first)
            #expect(received.target == "http://receiver.invalid/hooks")
            #expect(received.headers.first(named: "host") == "receiver.invalid")
            #expect(received.body == [7])
        }
    }
}
