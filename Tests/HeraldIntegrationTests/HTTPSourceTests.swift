import Foundation
import HeraldHTTP
import Testing

/// Issue 13's HTTP ingest against the binary: `POST /events` answered once journaled, bad lines
/// named, retries deduplicated (also across a kill -9), limits and backpressure answered.
@Suite("HTTP ingest source")
struct HTTPSourceTests {
    static func config(receiver: String, listen: Int, extra: String = "", journal: String = "") -> String {
        """
        version: 1
        state_dir: ./state
        shutdown_grace: 3s
        source: { http: { listen: "127.0.0.1:\(listen)", token: s3cret-token, max_body: 64KiB\(extra) } }
        endpoints:
          receiver:
            url: "\(receiver)"
            concurrency: 8
            retry: { schedule: [100ms, 200ms, 300ms], max_age: 1h }
        routes:
          - { name: all, events: ["*"], to: receiver }
        \(journal)
        """
    }

    static func events(_ ids: Range<Int>, prefix: String = "h") -> [UInt8] {
        Array(ids.map { #"{"type":"t","id":"\#(prefix)-\#($0)"}"# }.joined(separator: "\n").utf8)
    }

    struct Poster {
        let client: HTTPClient
        let url: String

        func post(_ body: [UInt8], token: String? = "s3cret-token", contentType: String = "application/x-ndjson", method: String = "POST",
                  path: String = "/events") async -> (status: Int?, body: String, retryAfter: String?) {
            var headers = [HTTPHeader("Content-Type", contentType)]
            if let token { headers.append(HTTPHeader("Authorization", "Bearer \(token)")) }
            var request = HTTPRequest(method: method, url: url + path, headers: headers, body: body, timeout: .seconds(30))
            request.responseHeaders = ["retry-after"]
            let result = await client.send(request)
            return (result.status, String(decoding: result.body, as: UTF8.self), result.headers.first(named: "Retry-After"))
        }
    }

    @Test("202 once journaled and delivered; 400 names the bad lines and takes the rest; 401, 404, 405, 413, 415 refused")
    func answers() async throws {
        let (receiver, harness, port) = try await Self.started()
        defer { receiver.stop() }
        let client = try HTTPClient()
        defer { client.shutdown() }
        let poster = Poster(client: client, url: "http://127.0.0.1:\(port)")

        let accepted = await poster.post(Self.events(0..<100))
        #expect(accepted.status == 202, "\(accepted.body)")
        #expect(accepted.body == #"{"accepted":100,"duplicates":0}"# + "\n")
        let array = await poster.post(Array(#"[{"type":"t","id":"a-1"}, {"type":"t","id":"a-2"}]"#.utf8), contentType: "application/json")
        #expect(array.status == 202, "\(array.body)")
        let partial = await poster.post(Array("{\"type\":\"t\",\"id\":\"p-1\"}\n{oops\n{\"type\":\"t\",\"id\":\"p-3\"}".utf8))
        #expect(partial.status == 400)
        #expect(partial.body.hasPrefix(#"{"accepted":2,"duplicates":0,"rejected":[{"error":"#), "\(partial.body)")
        #expect(partial.body.contains(#""line":2,"reason":"invalid_json""#), "\(partial.body)")

        #expect(await poster.post(Self.events(0..<1), token: nil).status == 401)
        #expect(await poster.post(Self.events(0..<1), token: "wrong").status == 401)
        #expect(await poster.post(Self.events(0..<1), path: "/other").status == 404)
        #expect(await poster.post([], method: "GET").status == 405)
        #expect(await poster.post(Self.events(0..<1), contentType: "text/html").status == 415)
        #expect(await poster.post([UInt8](repeating: 0x20, count: 70 * 1024)).status == 413)

        let expected = Set((0..<100).map { "h-\($0)" } + ["a-1", "a-2", "p-1", "p-3"])
        #expect(await receiver.wait { Set(HTTPSourceTests.ids($0)) == expected })
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        #expect(Self.ids(receiver.requests).count == expected.count)
    }

    @Test("kill -9 right after a 202 loses nothing; the same request sent again after the restart is all duplicates")
    func killAfterAccepted() async throws {
        let (receiver, harness, port) = try await Self.started()
        defer { receiver.stop() }
        let client = try HTTPClient()
        defer { client.shutdown() }
        let poster = Poster(client: client, url: "http://127.0.0.1:\(port)")
        let body = Self.events(0..<500, prefix: "k")
        let first = await poster.post(body)
        #expect(first.status == 202, "\(first.body)")
        harness.signal(SIGKILL)
        _ = await harness.waitForExit()

        try harness.start()
        #expect(await waitUntil { harness.logCount("http source listening") >= 2 })
        // A client that never saw the answer sends it again: nothing is journaled twice.
        let again = await poster.post(body)
        #expect(again.status == 202)
        #expect(again.body == #"{"accepted":500,"duplicates":500}"# + "\n", "\(again.body)")
        let expected = Set((0..<500).map { "k-\($0)" })
        #expect(await receiver.wait { Set(HTTPSourceTests.ids($0)) == expected })
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        // Repeats only from what was in flight at the kill, never from the second request.
        let repeats = Self.ids(receiver.requests).count - expected.count
        #expect(repeats <= 16, "\(repeats) repeats")
    }

    @Test("a journal at its budget answers 503 with Retry-After, and takes events again once deliveries settle")
    func journalFull() async throws {
        let down = try PortReservation()
        let port = try PortReservation()
        let harness = try SidecarHarness(config: Self.config(receiver: "http://127.0.0.1:\(down.port)/hooks", listen: port.port,
                                                             journal: "journal: { max_bytes: 1MiB }")
            .replacingOccurrences(of: "max_body: 64KiB", with: "max_body: 1MiB")
            .replacingOccurrences(of: "concurrency: 8", with: "concurrency: 8\n    breaker: { failures: 10, cooldown: 1s }"))
        port.release()
        try harness.start()
        #expect(await waitUntil { harness.log.contains("http source listening") })
        let client = try HTTPClient()
        defer { client.shutdown() }
        let poster = Poster(client: client, url: "http://127.0.0.1:\(port.port)")
        let pad = String(repeating: "x", count: 900)
        var full: (status: Int?, body: String, retryAfter: String?)?
        for round in 0..<40 {
            let body = Array((0..<200).map { #"{"type":"t","id":"f-\#(round)-\#($0)","pad":"\#(pad)"}"# }.joined(separator: "\n").utf8)
            let answer = await poster.post(body)
            if answer.status == 503 {
                full = answer
                break
            }
            #expect(answer.status == 202, "\(answer.body)")
        }
        #expect(full?.retryAfter == "5", "\(String(describing: full))")
        #expect(full?.body.contains("journal.max_bytes") == true)
        // The receiver comes up: the journal drains and requests are taken again.
        let receiver = try Receiver(port: down.port)
        defer { receiver.stop() }
        down.release()
        #expect(await waitUntil { await poster.post(Self.events(0..<1, prefix: "after")).status == 202 })
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
    }

    /// A receiver and herald listening for events on a port of its own.
    static func started() async throws -> (Receiver, SidecarHarness, Int) {
        let receiver = try Receiver()
        let port = try PortReservation()
        let harness = try SidecarHarness(config: config(receiver: receiver.url, listen: port.port))
        port.release()
        try harness.start()
        #expect(await waitUntil { harness.log.contains("http source listening") }, "\(harness.log)")
        return (receiver, harness, port.port)
    }

    static func ids(_ requests: [Receiver.Request]) -> [String] {
        requests.compactMap { request in
            (try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])?["id"] as? String
        }
    }
}
