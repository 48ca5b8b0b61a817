import Foundation
import HeraldHTTP

import Testing

@Suite("herald run delivers to a real receiver")
struct DeliveryTests {
    @Test("pass-through bodies arrive byte for byte with the Standard Webhooks headers; SIGTERM exits 0")
    func passThrough() async throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let harness = try SidecarHarness(config: SidecarHarness.config(url: receiver.url))
        let lines = [
            #"{"type":"a","id":"1"}"#,
            #"{ "type" : "b" , "id":"2",   "n": 1.50e2, "s":"caf\u00e9 ☕ \"q\"" }"#,
            #"{"id":"3","type":"c","nested":{"deep":[1,{"x":null}]}}"#,
        ]
        try harness.append(lines)
        try harness.start()
        #expect(await receiver.wait { $0.count >= 3 })
        let bodies = Set(receiver.requests.map { String(decoding: $0.body, as: UTF8.self) })
        #expect(bodies == Set(lines))
        for request in receiver.requests {
            #expect(request.headers.first(named: "content-type") == "application/json")
            #expect(request.headers.first(named: "user-agent")?.hasPrefix("herald/") == true)
            #expect(request.id.utf8.count == 15)
            let timestamp = try #require(Int(request.headers.first(named: "webhook-timestamp") ?? ""))
            #expect(abs(timestamp - Int(Date().timeIntervalSince1970)) < 60)
        }
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        #expect(harness.log.contains("msg=\"herald stopped\""))
    }

    @Test("503 then 200: retried on the schedule under one webhook-id")
    func retryThenSuccess() async throws {
        let receiver = try Receiver { _, previous in ServerResponse(status: previous == 0 ? 503 : 200) }
        defer { receiver.stop() }
        let harness = try SidecarHarness(config: SidecarHarness.config(url: receiver.url, retry: "[300ms, 1s]"))
        try harness.append([#"{"type":"order.created","id":"o-1"}"#])
        try harness.start()
        #expect(await receiver.wait { $0.count >= 2 })
        let requests = receiver.requests
        #expect(requests.count == 2)
        #expect(requests[0].id == requests[1].id)
        #expect(requests[0].body == requests[1].body)
        let gap = requests[1].receivedAt - requests[0].receivedAt
        #expect(gap >= .milliseconds(230) && gap < .seconds(8), "gap \(gap)")
        #expect(harness.log.contains("msg=\"delivery failed, will retry\""))
        #expect(harness.log.contains("status=\"HTTP 503\""))
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        #expect(harness.log.contains("delivered=1"))
    }

    @Test("Retry-After is honoured up to the schedule's largest step")
    func retryAfter() async throws {
        let receiver = try Receiver { _, previous in
            previous == 0 ? ServerResponse(status: 429, headers: [HTTPHeader("Retry-After", "2")]) : ServerResponse(status: 204)
        }
        defer { receiver.stop() }
        let harness = try SidecarHarness(config: SidecarHarness.config(url: receiver.url, retry: "[100ms, 5s]"))
        try harness.append([#"{"type":"x","id":"ra"}"#])
        try harness.start()
        #expect(await receiver.wait { $0.count >= 2 })
        let requests = receiver.requests
        let gap = requests[1].receivedAt - requests[0].receivedAt
        #expect(gap >= .milliseconds(1900) && gap < .seconds(8), "gap \(gap)")
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
    }

    @Test("400 is permanent: dead letter, listed, replayed while running, then delivered")
    func deadLetterAndReplay() async throws {
        let accepting = Locked(false)
        let receiver = try Receiver { _, _ in ServerResponse(status: accepting.withLock { $0 } ? 204 : 400) }
        defer { receiver.stop() }
        let harness = try SidecarHarness(config: SidecarHarness.config(url: receiver.url))
        try harness.append([#"{"type":"invoice.sent","id":"inv-9"}"#])
        try harness.start()
        #expect(await receiver.wait { $0.count >= 1 })
        let listed = try await poll({ try await harness.dead(["list"]).stdout }, until: { $0.contains("1 dead letter") })
        #expect(listed.contains("permanent failure: HTTP 400"))
        #expect(listed.contains("invoice.sent"))
        let json = try await harness.dead(["list", "--json", "--endpoint", "receiver"]).stdout
        #expect(json.contains(#""event_id":"inv-9""#))
        #expect(try await harness.dead(["list", "--endpoint", "other"]).stdout == "no dead letters\n")

        accepting.withLock { $0 = true }
        let replay = try await harness.dead(["replay", "--event-type", "invoice.*"])
        #expect(replay.status == 0)
        #expect(replay.stdout.hasPrefix("queued 1 dead letter for replay"))
        #expect(await receiver.wait { $0.count >= 2 })
        #expect(receiver.requests[0].id == receiver.requests[1].id)
        #expect(await waitUntil { (try? await harness.dead(["list"]).stdout) == "no dead letters\n" })
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
    }

    @Test("dead list escapes control characters from events, and names the dead-letter files it cannot read instead of skipping them silently")
    func deadListHostileAndUnreadable() async throws {
        let receiver = try Receiver { _, _ in ServerResponse(status: 400) }
        defer { receiver.stop() }
        let harness = try SidecarHarness(config: SidecarHarness.config(url: receiver.url))
        try harness.append([#"{"type":"evil\u001b[2J","id":"esc-\u001b]0;owned\u0007"}"#])
        try harness.start()
        let listed = try await poll({ try await harness.dead(["list"]).stdout }, until: { $0.contains("1 dead letter") })
        #expect(!listed.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 }, "\(listed)")
        #expect(listed.contains(#"evil\u001b[2J"#) && listed.contains(#"esc-\u001b]0;owned\u0007"#), "\(listed)")
        let json = try await harness.dead(["list", "--json"]).stdout
        #expect(!json.unicodeScalars.contains { $0.value == 0x1B }, "\(json)")
        let dead = URL(fileURLWithPath: harness.stateDir).appendingPathComponent("dead")
        let letter = try #require(try FileManager.default.contentsOfDirectory(atPath: dead.path).first { !$0.hasPrefix(".") })
        try Data("not a dead letter".utf8).write(to: dead.appendingPathComponent("zz-broken" + (letter.split(separator: ".").last.map { "." + $0 } ?? "")))
        let again = try await harness.dead(["list"])
        #expect(again.stdout.contains("1 dead letter"))
        #expect(again.stderr.contains("1 dead-letter file could not be read") && again.stderr.contains("zz-broken"), "\(again.stderr)")
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
    }

    @Test("410 Gone retires the endpoint: its deliveries are dead-lettered with that reason and it is sent nothing more")
    func goneEndpoint() async throws {
        let receiver = try Receiver { _, _ in ServerResponse(status: 410) }
        defer { receiver.stop() }
        let harness = try SidecarHarness(config: SidecarHarness.config(url: receiver.url, retry: "[100ms]"))
        try harness.append([#"{"type":"a","id":"g-1"}"#])
        try harness.start()
        #expect(await receiver.wait { $0.count >= 1 })
        #expect(await waitUntil { harness.log.contains("endpoint retired by its receiver") })
        try harness.append((2...5).map { #"{"type":"a","id":"g-\#($0)"}"# })
        let listed = try await poll({ try await harness.dead(["list"]).stdout }, until: { $0.contains("5 dead letters") })
        #expect(listed.contains("5 dead letters"))
        #expect(listed.contains("HTTP 410 Gone: the receiver retired endpoint 'receiver'"))
        #expect(receiver.requests.count == 1)
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
    }

    @Test("a stalled receiver times out and the delivery is retried")
    func stalledServer() async throws {
        // The first answer would come after a minute (the server's stop cuts it short); later ones at once. Retries
        // to spare, so that a slow machine on which a prompt answer also misses the timeout still gets one through.
        let receiver = try Receiver { _, previous in previous == 0 ? ServerResponse(status: 204, delay: .seconds(60)) : ServerResponse(status: 204) }
        defer { receiver.stop() }
        let harness = try SidecarHarness(config: SidecarHarness.config(url: receiver.url, retry: "[200ms, 1s, 1s, 1s, 1s, 1s, 1s, 1s, 1s, 1s]", timeout: "1s"))
        try harness.append([#"{"type":"slow","id":"s-1"}"#])
        try harness.start()
        #expect(await receiver.wait { $0.count >= 2 })
        let requests = receiver.requests
        #expect(requests[0].id == requests[1].id)
        #expect(harness.log.contains("timeout"))
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
    }

    @Test("connection refused is retried until the receiver comes up")
    func connectionRefused() async throws {
        // Until the receiver comes up the reserved port refuses connections. The schedule is long (over three
        // minutes, 1 s apart after the start) so that a loaded machine, on which this test sees the log late, cannot
        // exhaust it before the receiver is up.
        let reserved = try PortReservation()
        let harness = try SidecarHarness(config: SidecarHarness.config(url: "http://127.0.0.1:\(reserved.port)/hooks", retry: Self.longSchedule))
        try harness.append([#"{"type":"t","id":"r-1"}"#])
        try harness.start()
        #expect(await waitUntil { harness.log.contains("connect") })
        let receiver = try Receiver(port: reserved.port)
        defer { receiver.stop() }
        reserved.release()
        #expect(await receiver.wait { $0.count >= 1 })
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        #expect(harness.log.contains("delivered=1"))
    }

    /// 200 ms, 500 ms, then 1 s steps: over three minutes of retries, for tests in which a receiver comes up late.
    static let longSchedule = "[200ms, 500ms" + String(repeating: ", 1s", count: 200) + "]"

    @Test("bad lines (10 MB, invalid UTF-8, not JSON) are rejected with their reason and the stream goes on")
    func badLines() async throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let harness = try SidecarHarness(config: SidecarHarness.config(url: receiver.url))
        var data = Data(#"{"type":"ok","id":"1"}"#.utf8 + [0x0A])
        data.append(Data(#"{"type":"big","pad":""#.utf8))
        data.append(Data(repeating: UInt8(ascii: "x"), count: 10_000_000))
        data.append(Data(#""}"#.utf8 + [0x0A]))
        data.append(Data([0x7B, 0x22, 0x74, 0x22, 0x3A, 0x22, 0xFF, 0xFE, 0x22, 0x7D, 0x0A]))
        data.append(Data("definitely not json\n".utf8))
        data.append(Data(#"{"type":"ok","id":"2"}"#.utf8 + [0x0A]))
        try harness.append(data)
        try harness.start()
        #expect(await receiver.wait { $0.count >= 2 })
        #expect(Set(receiver.requests.map { String(decoding: $0.body, as: UTF8.self) }) == [#"{"type":"ok","id":"1"}"#, #"{"type":"ok","id":"2"}"#])
        #expect(await waitUntil { harness.log.contains("reason=too_long") && harness.log.contains("reason=invalid_utf8") && harness.log.contains("reason=invalid_json") })
        #expect(harness.log.contains("line=2 reason=too_long"))
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        #expect(harness.log.contains("rejected=3"))
    }

    @Test("stdin: reads to EOF, delivers everything, exits 0")
    func stdinDrain() async throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let harness = try SidecarHarness(config: SidecarHarness.config(url: receiver.url, source: "stdin: true, drain_timeout: 60s"))
        let pipe = Pipe()
        try harness.start(stdin: pipe.fileHandleForReading)
        let lines = (0..<200).map { #"{"type":"piped","id":"p-\#($0)"}"# }
        pipe.fileHandleForWriting.write(Data(lines.map { $0 + "\n" }.joined().utf8))
        try pipe.fileHandleForWriting.close()
        #expect(await harness.waitForExit() == 0)
        #expect(receiver.uniqueIDs.count == 200)
    }

    @Test("stdin with the receiver down: exits 0 after drain_timeout, the rest is delivered by the next run")
    func stdinDrainTimeout() async throws {
        let reserved = try PortReservation()
        let harness = try SidecarHarness(config: SidecarHarness.config(url: "http://127.0.0.1:\(reserved.port)/hooks", retry: Self.longSchedule,
                                                                       source: "stdin: true, drain_timeout: 1s"))
        let pipe = Pipe()
        let started = ContinuousClock.now
        try harness.start(stdin: pipe.fileHandleForReading)
        pipe.fileHandleForWriting.write(Data((0..<10).map { #"{"type":"later","id":"l-\#($0)"}"# + "\n" }.joined().utf8))
        try pipe.fileHandleForWriting.close()
        #expect(await harness.waitForExit() == 0)
        #expect(ContinuousClock.now - started >= .milliseconds(900))
        #expect(harness.log.contains("pending=10"))

        // The next run exits as soon as nothing is pending; its long drain_timeout only keeps a slow machine
        // from cutting it short.
        try harness.rewriteConfig(SidecarHarness.config(url: "http://127.0.0.1:\(reserved.port)/hooks", retry: Self.longSchedule,
                                                        source: "stdin: true, drain_timeout: 60s"))
        let receiver = try Receiver(port: reserved.port)
        defer { receiver.stop() }
        reserved.release()
        try harness.start()
        #expect(await harness.waitForExit(timeout: .seconds(90)) == 0)
        #expect(receiver.uniqueIDs.count == 10)
    }
}

extension DeliveryTests {
    @Test("stdin: SIGTERM while draining stops at once, exit 0, the rest stays journaled")
    func stopWhileDraining() async throws {
        let reserved = try PortReservation()
        defer { reserved.release() }
        let harness = try SidecarHarness(config: SidecarHarness.config(url: "http://127.0.0.1:\(reserved.port)/hooks", retry: "[10m]",
                                                                       source: "stdin: true, drain_timeout: 60s"))
        let pipe = Pipe()
        try harness.start(stdin: pipe.fileHandleForReading)
        pipe.fileHandleForWriting.write(Data((0..<3).map { #"{"type":"x","id":"d-\#($0)"}"# + "\n" }.joined().utf8))
        try pipe.fileHandleForWriting.close()
        #expect(await waitUntil { harness.log.contains("end of input; delivering what is pending") })
        let stopped = ContinuousClock.now
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        #expect(ContinuousClock.now - stopped < .seconds(30), "far sooner than the 60 s drain_timeout")
        #expect(harness.log.contains("pending=3"))
    }
}

extension DeliveryTests {
    @Test("a transform that cannot apply dead-letters that delivery with the reason; after fixing the route, replay sends it")
    func transformFailureThenReplay() async throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let broken = SidecarHarness.config(url: receiver.url).replacingOccurrences(
            of: #"- { name: all, events: ["*"], to: receiver }"#,
            with: #"- { name: all, events: ["*"], to: receiver, transform: { set: { data.customer.vip: true } } }"#)
        let harness = try SidecarHarness(config: broken)
        let bad = #"{"type":"order.created","id":"t-1","data":{"customer":"Ana"}}"#
        let good = #"{"type":"order.created","id":"t-2","data":{"customer":{"name":"Bo"}}}"#
        try harness.append([bad, good])
        try harness.start()
        #expect(await receiver.wait { $0.count >= 1 })
        #expect(String(decoding: receiver.requests[0].body, as: UTF8.self) == #"{"type":"order.created","id":"t-2","data":{"customer":{"name":"Bo","vip":true}}}"#)
        let listed = try await poll({ try await harness.dead(["list"]).stdout }, until: { $0.contains("1 dead letter") })
        #expect(listed.contains("transform of route 'all' failed: cannot set 'data.customer.vip': a parent field is a string, not an object"))
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)

        // The route is fixed (no transform); the replayed delivery is rendered under the new config.
        try SidecarHarness.config(url: receiver.url).write(toFile: harness.configPath, atomically: true, encoding: .utf8)
        #expect(try await harness.dead(["replay"]).status == 0)
        try harness.start()
        #expect(await receiver.wait { $0.count >= 2 })
        #expect(String(decoding: receiver.requests[1].body, as: UTF8.self) == bad)
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
    }
}

/// Polls `condition` until it holds or `timeout` passes. The default is generous because a loaded CI machine can
/// be many times slower than an idle one; a passing test returns at the first poll that sees the condition.
func waitUntil(timeout: Duration = .seconds(60), _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(25))
    }
    return await condition()
}

/// Fetches with `next` until `done` accepts the value or `timeout` passes, and returns the last value fetched: for
/// state that has to be asked for (`herald dead list`, the admin API). Bounded by time, not by a number of tries,
/// since on a loaded machine each try (a process start, a request) can take many times longer than on an idle one.
func poll<T>(timeout: Duration = .seconds(60), _ next: () async throws -> T, until done: (T) -> Bool) async throws -> T {
    let deadline = ContinuousClock.now + timeout
    var value = try await next()
    while !done(value) && ContinuousClock.now < deadline {
        try await Task.sleep(for: .milliseconds(50))
        value = try await next()
    }
    return value
}
