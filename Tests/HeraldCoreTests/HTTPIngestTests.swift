import Foundation
import HeraldHTTP
import HeraldSource
import Logging
import Synchronization
import Testing

@testable import HeraldCore
@testable import HeraldJournal

@Suite("HTTP ingest")
struct HTTPIngestTests {
    static func split(_ text: String) -> [String]? {
        guard case .success(let lines) = IngestBody.lines(Array(text.utf8)) else { return nil }
        return lines.map { "\($0.lineNumber ?? 0):" + String(decoding: $0.bytes, as: UTF8.self) }
    }

    @Test("a body splits into numbered events: NDJSON lines, one object, or a JSON array's elements byte for byte", arguments: [
        (#"{"a":1}"#, [#"1:{"a":1}"#]),
        ("{\"a\":1}\n\n{\"b\":2}\r\n", [#"1:{"a":1}"#, #"3:{"b":2}"#]),
        (#" [ {"a":[1,2]} , {"s":"x],{\"y"}, 7 ] "#, [#"1:{"a":[1,2]}"#, #"2:{"s":"x],{\"y"}"#, "3:7"]),
        ("[]", []),
        ("[\n  {\"a\" : 1}\n]\n", ["1:{\"a\" : 1}"]),
        ("not json\n{\"a\":1}", ["1:not json", #"2:{"a":1}"#]),
    ])
    func splits(body: String, expected: [String]) {
        #expect(Self.split(body) == expected)
    }

    @Test("a body that cannot be split is refused whole, with where", arguments: [
        ("", "the body is empty: send one JSON object, a JSON array of them or NDJSON"),
        (#"[{"a":1}"#, "the JSON array is not closed: the body ends inside it"),
        (#"[{"a":1},,{}]"#, "the JSON array has an empty element (at byte 9)"),
        (#"[{"a":1}] x"#, "the body goes on after the JSON array (at byte 9)"),
        (#"[{"a":1]"#, "the JSON array's brackets do not match (at byte 7)"),
    ])
    func malformed(body: String, message: String) {
        guard case .failure(let failure) = IngestBody.lines(Array(body.utf8)) else {
            Issue.record("accepted")
            return
        }
        #expect(failure.message == message)
    }

    @Test("a body of many tiny events is handed out a batch at a time, numbered through; an array is checked whole before any of it")
    func batchesAtATime() throws {
        let ndjson = Array(String(repeating: "{}\n", count: 5000).utf8)
        var split = try IngestBody(ndjson)
        var sizes: [Int] = []
        var last = 0
        while !split.isFinished {
            let batch = split.next(max: 1024)
            sizes.append(batch.count)
            last = batch.last?.lineNumber ?? last
        }
        #expect(sizes == [1024, 1024, 1024, 1024, 904])
        #expect(last == 5000)
        let array = Array(("[" + Array(repeating: "{}", count: 3000).joined(separator: ",") + "]").utf8)
        var elements = try IngestBody(array)
        #expect(elements.next(max: 1024).count == 1024)
        #expect(throws: IngestBody.Malformed.self) { try IngestBody(array.dropLast() + Array(",".utf8)) }
    }

    /// A sink on a real journal with the dispatcher stopped (nothing is sent).
    /// The errno journal writes fail with, when set.
    final class WriteFault: Sendable {
        let errno = Mutex<Int32?>(nil)
    }

    final class Rig: Sendable {
        let state: URL
        let journal: Journal
        let sink: HTTPIngestSink
        let failWrites = WriteFault()
        let client: HTTPClient

        init(maxConcurrent: Int = 64, recovered: RecentIDs = RecentIDs(capacity: 100)) throws {
            let config: HeraldConfig
            (state, config) = try scratchState("ingest", source: "{ http: { listen: 127.0.0.1:9, max_concurrent_requests: \(maxConcurrent) } }")
            var options = JournalOptions()
            options.injectWriteFailure = { [failWrites] _ in failWrites.errno.withLock { $0 } }
            (journal, _) = try Journal.open(directory: state.appendingPathComponent("journal").path, options: options)
            client = try HTTPClient()
            let stats = DeliveryStats()
            let logger = Logger(label: "test")
            let dispatcher = Dispatcher(live: LiveConfig(config), client: client, journal: journal,
                                        deadLetters: try DeadLetterStore(directory: state.appendingPathComponent("dead").path), stats: stats, logger: logger)
            dispatcher.stop()
            let ingestor = Ingestor(live: LiveConfig(config), journal: journal, dispatcher: dispatcher, stats: stats, logger: logger, now: { 1 })
            guard case .http(let http) = config.source.input else { throw CancellationError() }
            sink = HTTPIngestSink(source: "default", config: http, ingestor: ingestor, origin: IngestOrigin.first(of: config),
                                  recent: RecentDeliveries(recovered))
        }

        func close() async {
            await journal.close()
            client.shutdown()
            try? FileManager.default.removeItem(at: state)
        }
    }

    @Test("good lines are journaled and bad ones listed; the same events sent again are duplicates, pending or already sent")
    func acceptsAndDeduplicates() async throws {
        let rig = try Rig()
        let body = Array("{\"type\":\"t\",\"id\":\"1\"}\nnope\n{\"type\":\"t\",\"id\":\"2\"}\n{\"id\":\"3\"}\n".utf8)
        guard case .accepted(let first) = await rig.sink.ingest(body) else { Issue.record("not accepted"); return }
        #expect(first.lines == 4 && first.stored == 2 && first.duplicates == 0)
        #expect(first.rejected.map(\.line) == [2, 4])
        #expect(first.rejected.map(\.reason) == ["invalid_json", "missing_type"])
        #expect(rig.journal.pendingCount == 2)
        // Sent again while pending: nothing new.
        guard case .accepted(let again) = await rig.sink.ingest(body) else { Issue.record("not accepted"); return }
        #expect(again.stored == 0 && again.duplicates == 2)
        // Delivered since (acked): still known, by the recent ids.
        let ids = ["1", "2"].map { RequestRenderer.webhookID(eventID: $0, route: "r", endpoint: "a") }
        try await rig.journal.append(ids.map { .ack(id: $0) })
        guard case .accepted(let late) = await rig.sink.ingest(body) else { Issue.record("not accepted"); return }
        #expect(late.stored == 0 && late.duplicates == 2)
        #expect(rig.journal.pendingCount == 0)
        await rig.close()
    }

    @Test("ids recovered from the journal at start-up count as sent: a retry after a restart is a duplicate")
    func recoveredIDsDeduplicate() async throws {
        var recovered = RecentIDs(capacity: 100)
        recovered.insert(RequestRenderer.webhookID(eventID: "1", route: "r", endpoint: "a"))
        let rig = try Rig(recovered: recovered)
        guard case .accepted(let report) = await rig.sink.ingest(Array(#"[{"type":"t","id":"1"},{"type":"t","id":"2"}]"#.utf8)) else {
            Issue.record("not accepted")
            return
        }
        #expect(report.stored == 1 && report.duplicates == 1)
        await rig.close()
    }

    @Test("over max_concurrent_requests a request is busy at once; a journal at its budget is full; a body that cannot split is malformed")
    func backpressure() async throws {
        let rig = try Rig(maxConcurrent: 1)
        // The journal fails its writes: the first request holds its slot while the ingestor retries.
        rig.failWrites.errno.withLock { $0 = EIO }
        let first = Task { await rig.sink.ingest(Array(#"{"type":"t","id":"held"}"#.utf8)) }
        #expect(await waitUntil { rig.sink.requestsInFlight == 1 })
        #expect(await rig.sink.ingest(Array(#"{"type":"t","id":"x"}"#.utf8)) == .busy)
        rig.failWrites.errno.withLock { $0 = nil }
        guard case .accepted(let report) = await first.value else { Issue.record("the held request failed"); return }
        #expect(report.stored == 1)
        #expect(await rig.sink.ingest(Array("[".utf8)) == .malformed("the JSON array is not closed: the body ends inside it"))
        await rig.close()
    }
}

/// Polls `condition` every 10 ms for up to 30 s.
private func waitUntil(_ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .seconds(30)
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return false
}
