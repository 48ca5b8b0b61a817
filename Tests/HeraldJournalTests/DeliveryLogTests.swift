import Foundation
import Testing

@testable import HeraldJournal

func attempt(_ n: Int, endpoint: String = "erp", route: String = "orders", eventType: String = "order.created",
             status: Int? = 204, error: String? = nil, body: String = "", time: Int64 = 1_764_000_000_000) -> DeliveryAttemptRecord {
    DeliveryAttemptRecord(
        time: time + Int64(n), deliveryID: "msg_\(n)", eventID: "evt-\(n)", eventType: eventType, route: route, endpoint: endpoint,
        url: "https://erp.example/hooks", attempt: 1, durationMicroseconds: 1234, status: status, error: error,
        response: ResponseExcerpt(body: Array(body.utf8)))
}

/// Every page of `filter`, following cursors.
func allPages(_ reader: DeliveryLogReader, filter: DeliveryLogFilter = DeliveryLogFilter(), limit: Int) throws -> [[DeliveryAttemptRecord]] {
    var pages: [[DeliveryAttemptRecord]] = []
    var cursor: DeliveryLogCursor?
    repeat {
        let page = try reader.query(DeliveryLogQuery(filter: filter, limit: limit, cursor: cursor))
        pages.append(page.items)
        cursor = page.nextCursor
    } while cursor != nil && pages.count < 10_000
    return pages
}

@Suite("delivery log")
struct DeliveryLogTests {
    @Test("a record survives the line format whole: escapes, unicode, null status, decimals, truncation")
    func roundTrip() throws {
        var record = attempt(7, status: nil, error: "timeout: Operation timed out after 2000 ms")
        record.sequence = 42
        record.eventType = "tab\there \"quoted\" \\ café ☕ 𝄞 \u{01}"
        record.durationMicroseconds = 12_345_678
        record.response = ResponseExcerpt(text: "line 1\nline 2\r\n{\"a\":1}", truncated: true)
        let line = record.json
        #expect(!line.contains("\n"))
        #expect(line.hasPrefix(#"{"seq":42,"time_ms":1764000000007,"duration_ms":12345.678,"time":"2025-11-24T16:00:00.007Z","#))
        #expect(DeliveryAttemptRecord(json: line) == record)
        #expect(try JSONSerialization.jsonObject(with: Data(line.utf8)) is [String: Any])
    }

    @Test("a trace id is the line's last field, only when there is one, and reads back")
    func traceID() {
        var record = attempt(3)
        #expect(!record.json.contains("trace_id"))
        record.traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
        #expect(record.json.hasSuffix(#""response_body_truncated":false,"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"}"#))
        #expect(DeliveryAttemptRecord(json: record.json) == record)
    }

    @Test("lines that are torn, empty or not ours do not decode")
    func badLines() {
        let good = attempt(1).json
        for bad in ["", "{", String(good.dropLast()), good + "x", #"{"seq":"1"}"#, #"{"time_ms":1}"#, "[1,2]", #"{"seq":1,"error":"\ud800"}"#] {
            #expect(DeliveryAttemptRecord(json: bad) == nil, "\(bad)")
        }
        #expect(DeliveryAttemptRecord(json: #"{"seq":3,"future_field":{"x":1}}"#) == nil)
        #expect(DeliveryAttemptRecord(json: #"{"seq":3,"future_field":"x"}"#)?.sequence == 3)
    }

    @Test("the response excerpt keeps the first KiB of UTF-8 text, cut on a character boundary; binary bodies are not kept")
    func excerpt() {
        #expect(ResponseExcerpt(body: Array("ok".utf8)) == ResponseExcerpt(text: "ok", truncated: false))
        let long = Array(String(repeating: "a", count: 1023).utf8) + Array("é and more".utf8)
        let cut = ResponseExcerpt(body: long)
        #expect(cut.text == String(repeating: "a", count: 1023))
        #expect(cut.truncated)
        let euro = Array(String(repeating: "€", count: 400).utf8)
        #expect(ResponseExcerpt(body: euro).text?.utf8.count == 1023)
        #expect(ResponseExcerpt(body: [0x89, 0x50, 0x4E, 0x47, 0xFF]).text == nil)
        #expect(ResponseExcerpt(body: Array("short".utf8), moreFollowed: true).truncated)
    }

    @Test("credentials are stripped from URLs; other URLs stay as they are", arguments: [
        ("https://user:pass@erp.example/hooks?x=1", "https://erp.example/hooks?x=1"),
        ("https://erp.example/a@b", "https://erp.example/a@b"),
        ("http://127.0.0.1:9000/hooks", "http://127.0.0.1:9000/hooks"),
        ("not a url", "not a url"),
    ])
    func displayURL(url: String, shown: String) {
        #expect(DeliveryAttemptRecord.displayURL(url) == shown)
    }

    @Test("records are numbered, written in batches and read back newest first; numbering continues after a reopen")
    func writeAndRead() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let log = try DeliveryLog(directory: directory.path + "/log")
        for n in 1...5 { log.record(attempt(n)) }
        log.close()
        #expect(log.counters == DeliveryLog.Counters(recorded: 5, written: 5, dropped: 0))
        let reopened = try DeliveryLog(directory: directory.path + "/log")
        reopened.record(attempt(6))
        reopened.close()
        let page = try reopened.reader.query(DeliveryLogQuery())
        #expect(page.items.map(\.sequence) == [6, 5, 4, 3, 2, 1])
        #expect(page.items.map(\.deliveryID) == ["msg_6", "msg_5", "msg_4", "msg_3", "msg_2", "msg_1"])
        #expect(page.nextCursor == nil)
        let text = try String(contentsOfFile: directory.path + "/log/deliveries.jsonl", encoding: .utf8)
        #expect(text.split(separator: "\n").count == 6)
    }

    @Test("records are written without flush or close within the flush interval")
    func backgroundFlush() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let log = try DeliveryLog(directory: directory.path, options: DeliveryLogOptions(flushInterval: .milliseconds(10)))
        defer { log.close() }
        log.record(attempt(1))
        let deadline = ContinuousClock.now + .seconds(60)
        while log.counters.written < 1, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        #expect(try log.reader.query(DeliveryLogQuery()).items.map(\.deliveryID) == ["msg_1"])
    }

    @Test("a torn last line (a crash mid-write) is skipped and the next record starts on a line of its own")
    func tornTail() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let log = try DeliveryLog(directory: directory.path)
        log.record(attempt(1))
        log.record(attempt(2))
        log.close()
        let path = directory.path + "/deliveries.jsonl"
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        var torn = attempt(3)
        torn.sequence = 3
        handle.write(Data(torn.json.prefix(60).utf8))
        handle.closeFile()
        #expect(try DeliveryLog(directory: directory.path).reader.query(DeliveryLogQuery()).items.map(\.sequence) == [2, 1])
        let again = try DeliveryLog(directory: directory.path)
        again.record(attempt(4))
        again.close()
        let ids = try again.reader.query(DeliveryLogQuery()).items.map(\.deliveryID)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(ids == ["msg_4", "msg_2", "msg_1"], "\(text)")
        // The torn line is not counted: its number is given again, and the reader skips the torn line.
        #expect(try again.reader.query(DeliveryLogQuery()).items.first?.sequence == 3)
    }

    @Test("files rotate by size, keep the configured number, and are read newest first across the boundary")
    func rotation() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        var template = attempt(10)
        template.sequence = 10  // as long as the lines with sequences 10…35
        let lineBytes = template.json.utf8.count + 1
        let options = DeliveryLogOptions(maxFileBytes: Int64(lineBytes * 10), keep: 2)
        let log = try DeliveryLog(directory: directory.path, options: options)
        for n in 10..<45 {
            log.record(attempt(n))
            if n % 7 == 0 { log.flush() }
        }
        log.close()
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(names == ["deliveries.1.jsonl", "deliveries.2.jsonl", "deliveries.jsonl"])
        for name in names { #expect(try directory.fileSize(name) <= lineBytes * 10) }
        let items = try log.reader.query(DeliveryLogQuery(limit: 1000)).items
        #expect(items.count == 25)
        #expect(items.map(\.sequence) == Array((11...35).reversed()))
        let pages = try allPages(log.reader, limit: 3)
        #expect(pages.flatMap { $0 }.map(\.sequence) == Array((11...35).reversed()))
        #expect(pages.dropLast().allSatisfy { $0.count == 3 })
    }

    @Test("a cursor stays valid while records are appended and files rotate; past a deleted file the listing ends")
    func cursorStability() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        var template = attempt(100)
        template.sequence = 10
        let lineBytes = template.json.utf8.count + 1
        let log = try DeliveryLog(directory: directory.path, options: DeliveryLogOptions(maxFileBytes: Int64(lineBytes * 10), keep: 2))
        for n in 100..<120 { log.record(attempt(n)) }
        log.flush()
        let first = try log.reader.query(DeliveryLogQuery(limit: 4))
        #expect(first.items.map(\.sequence) == [20, 19, 18, 17])
        let cursor = try #require(first.nextCursor)
        #expect(DeliveryLogCursor(cursor.description) == cursor)

        for n in 120..<125 { log.record(attempt(n)) }  // appends and rotates deliveries.jsonl to deliveries.1.jsonl
        log.flush()
        let second = try log.reader.query(DeliveryLogQuery(limit: 4, cursor: cursor))
        #expect(second.items.map(\.sequence) == [16, 15, 14, 13])
        #expect(second.nextCursor != nil)
        let third = try log.reader.query(DeliveryLogQuery(limit: 100, cursor: second.nextCursor))
        #expect(third.items.map(\.sequence) == Array((1...12).reversed()))
        #expect(third.nextCursor == nil)

        for n in 125..<160 { log.record(attempt(n)) }  // the cursor's file is rotated away
        log.close()
        #expect(try log.reader.query(DeliveryLogQuery(limit: 4, cursor: cursor)).items.isEmpty)
    }

    @Test("filters: endpoint, route, event type, each status kind and since; paging a filter skips the rest")
    func filters() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let log = try DeliveryLog(directory: directory.path)
        log.record(attempt(1, endpoint: "erp", status: 204))
        log.record(attempt(2, endpoint: "chat", route: "alerts", eventType: "shipment.failed", status: 503, body: "down"))
        log.record(attempt(3, endpoint: "erp", status: nil, error: "connect: refused"))
        log.record(attempt(4, endpoint: "erp", status: 404))
        log.record(attempt(5, endpoint: "chat", route: "alerts", eventType: "shipment.delivered", status: 200))
        log.close()
        func ids(_ filter: DeliveryLogFilter, limit: Int = 50) throws -> [String] {
            try allPages(log.reader, filter: filter, limit: limit).flatMap { $0 }.map(\.eventID)
        }
        #expect(try ids(DeliveryLogFilter(endpoint: "erp")) == ["evt-4", "evt-3", "evt-1"])
        #expect(try ids(DeliveryLogFilter(endpoint: "er")) == [])
        #expect(try ids(DeliveryLogFilter(route: "alerts")) == ["evt-5", "evt-2"])
        #expect(try ids(DeliveryLogFilter(eventType: .equals("shipment.failed"))) == ["evt-2"])
        #expect(try ids(DeliveryLogFilter(eventType: TextMatch("shipment.*") { $0.hasPrefix("shipment.") })) == ["evt-5", "evt-2"])
        #expect(try ids(DeliveryLogFilter(status: .failed)) == ["evt-4", "evt-3", "evt-2"])
        #expect(try ids(DeliveryLogFilter(status: .failed), limit: 1) == ["evt-4", "evt-3", "evt-2"])
        #expect(try ids(DeliveryLogFilter(status: .delivered)) == ["evt-5", "evt-1"])
        #expect(try ids(DeliveryLogFilter(status: .transportError)) == ["evt-3"])
        #expect(try ids(DeliveryLogFilter(status: .code(503))) == ["evt-2"])
        #expect(try ids(DeliveryLogFilter(status: .statusClass(4))) == ["evt-4"])
        #expect(try ids(DeliveryLogFilter(endpoint: "erp", status: .failed)) == ["evt-4", "evt-3"])
        #expect(try ids(DeliveryLogFilter(since: 1_764_000_000_004)) == ["evt-5", "evt-4"])
        #expect(try log.reader.query(DeliveryLogQuery(filter: DeliveryLogFilter(route: "alerts"))).items.first?.response.text == "")
        #expect(try log.reader.query(DeliveryLogQuery(filter: DeliveryLogFilter(status: .code(503)))).items.first?.response.text == "down")
    }

    @Test("a since query stops at records that finished long before it instead of reading the whole log")
    func sinceStopsEarly() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let log = try DeliveryLog(directory: directory.path)
        // Record 1 is out of time order on purpose: a query that reaches it would return it.
        log.record(attempt(1, time: 1_900_000_000))
        log.record(attempt(2, time: 1_000_000_000))
        log.record(attempt(3, time: 2_000_000_000))
        log.close()
        let page = try log.reader.query(DeliveryLogQuery(filter: DeliveryLogFilter(since: 500_000)))
        #expect(page.items.map(\.eventID) == ["evt-3", "evt-2", "evt-1"])
        let recent = try log.reader.query(DeliveryLogQuery(filter: DeliveryLogFilter(since: 1_500_000_000)))
        #expect(recent.items.map(\.eventID) == ["evt-3"])
    }

    @Test("a full buffer drops and counts records instead of blocking, and says so once")
    func boundedBuffer() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let problems = LockedProblems()
        let log = try DeliveryLog(directory: directory.path, options: DeliveryLogOptions(maxBufferedBytes: 2000, flushInterval: .seconds(60))) {
            problems.add($0)
        }
        for n in 1...100 { log.record(attempt(n)) }
        let counters = log.counters
        #expect(counters.recorded > 0 && counters.recorded < 20)
        #expect(counters.recorded + counters.dropped == 100)
        log.close()
        #expect(log.counters.written == counters.recorded)
        #expect(problems.all.count == 1)
        #expect(problems.all.first?.contains("dropping") == true)
        #expect(try log.reader.query(DeliveryLogQuery()).items.count == counters.recorded)
    }

    @Test("no log directory reads as an empty log")
    func missingDirectory() throws {
        let reader = DeliveryLogReader(directory: "/nonexistent/herald/log")
        #expect(try reader.exists() == false)
        #expect(try reader.query(DeliveryLogQuery()).items.isEmpty)
    }

    @Test("the admin API's page JSON carries the items and the next cursor or null")
    func pageJSON() throws {
        var record = attempt(1)
        record.sequence = 1
        let last = DeliveryLogPage(items: [record], nextCursor: nil)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(last.json)) as? [String: Any])
        #expect((object["items"] as? [[String: Any]])?.first?["delivery_id"] as? String == "msg_1")
        #expect(object["next_cursor"] is NSNull)
        let more = DeliveryLogPage(items: [], nextCursor: DeliveryLogCursor(sequence: 9, file: 77, offset: 1000))
        let cursorText = try #require((try JSONSerialization.jsonObject(with: Data(more.json)) as? [String: Any])?["next_cursor"] as? String)
        #expect(DeliveryLogCursor(cursorText) == more.nextCursor)
        for bad in ["", "x", "1-2", "1-2-3-4", "-1-2", "zz-!-3"] { #expect(DeliveryLogCursor(bad) == nil, "\(bad)") }
    }
}

final class LockedProblems: @unchecked Sendable {
    private let lock = NSLock()
    private var problems: [String] = []
    func add(_ problem: String) { lock.withLock { problems.append(problem) } }
    var all: [String] { lock.withLock { problems } }
}
