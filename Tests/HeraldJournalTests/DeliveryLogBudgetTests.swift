import Synchronization
import Testing

@testable import HeraldJournal

@Suite("delivery log scan budget")
struct DeliveryLogBudgetTests {
    /// 2,000 attempts over two rotated files; every 97th is for `crm`.
    func writeLog(_ directory: TemporaryDirectory) throws -> DeliveryLogReader {
        let log = try DeliveryLog(directory: directory.path, options: DeliveryLogOptions(maxFileBytes: 400 << 10, keep: 10))
        for n in 1...2000 { log.record(attempt(n, endpoint: n % 97 == 0 ? "crm" : "erp")) }
        log.close()
        return log.reader
    }

    /// Every page of `filter` under `budget`, following cursors.
    func pages(_ reader: DeliveryLogReader, filter: DeliveryLogFilter, limit: Int, budget: DeliveryLogScanBudget) throws -> [DeliveryLogPage] {
        var pages: [DeliveryLogPage] = []
        var cursor: DeliveryLogCursor?
        repeat {
            let page = try reader.query(DeliveryLogQuery(filter: filter, limit: limit, cursor: cursor), budget: budget)
            pages.append(page)
            cursor = page.nextCursor
        } while cursor != nil && pages.count < 10_000
        return pages
    }

    @Test("a byte budget cuts pages short with a cursor; following the cursors finds exactly what one unbounded scan finds")
    func byteBudget() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let reader = try writeLog(directory)
        #expect(try DeliveryLogFiles.ages(in: directory.path).count > 1, "the scan crosses rotated files")
        let filter = DeliveryLogFilter(endpoint: "crm")
        let unbounded = try reader.query(DeliveryLogQuery(filter: filter, limit: 1000))
        #expect(unbounded.items.count == 20 && !unbounded.partial)

        let budget = DeliveryLogScanBudget(maxBytes: 20_000, maxDuration: .seconds(3600))
        let paged = try pages(reader, filter: filter, limit: 5, budget: budget)
        #expect(paged.flatMap(\.items).map(\.sequence) == unbounded.items.map(\.sequence), "no attempt lost or repeated")
        #expect(paged.contains { $0.partial && $0.items.isEmpty }, "a page that found nothing in its budget still answers, with a cursor")
        #expect(paged.allSatisfy { !$0.partial || $0.nextCursor != nil })
        #expect(paged.last?.nextCursor == nil && paged.last?.partial == false)
        // Each page read at most its budget (plus the line that crossed it): 2,000 lines need many pages.
        #expect(paged.count > 20)
        let json = String(decoding: try #require(paged.first { $0.partial }).json, as: UTF8.self)
        #expect(json.hasSuffix(#","partial":true}"#) && json.contains(#""next_cursor":""#))
        #expect(!String(decoding: unbounded.json, as: UTF8.self).contains("partial"))
    }

    @Test("a time budget, on an injected clock, cuts a page short the same way")
    func timeBudget() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let reader = try writeLog(directory)
        // Each reading of the clock moves it 1 ms: a 20 ms budget lasts 20 readings, every 64 lines.
        let ticks = Atomic<Int64>(0)
        let budget = DeliveryLogScanBudget(maxBytes: .max, maxDuration: .milliseconds(20)) {
            .milliseconds(ticks.add(1, ordering: .relaxed).newValue)
        }
        let filter = DeliveryLogFilter(endpoint: "nobody")
        let first = try reader.query(DeliveryLogQuery(filter: filter, limit: 10), budget: budget)
        #expect(first.partial && first.items.isEmpty)
        let cursor = try #require(first.nextCursor)
        #expect(cursor.sequence < 2000 && cursor.sequence > 500, "stopped after about 20 × 64 lines, not at once nor at the end")
        let all = try pages(reader, filter: DeliveryLogFilter(), limit: 1000, budget: budget)
        #expect(all.flatMap(\.items).map(\.sequence) == Array((1...2000).reversed()))
    }

    @Test("without a budget a query reads to the end, as herald log does")
    func unlimited() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let reader = try writeLog(directory)
        let page = try reader.query(DeliveryLogQuery(filter: DeliveryLogFilter(endpoint: "nobody"), limit: 10))
        #expect(page.items.isEmpty && page.nextCursor == nil && !page.partial)
    }
}
