import Foundation
import Testing
@testable import HeraldJournal

/// A measurement run by hand, not a timed test:
/// `HERALD_JOURNAL_BENCH=1 swift test --filter JournalThroughput`
/// (add `-c release` for optimised figures). Prints appends/s and appends per fdatasync.
@Suite("Journal throughput (manual)")
struct JournalThroughput {
    @Test(
        "8 concurrent appenders of 400-byte payloads",
        .enabled(if: ProcessInfo.processInfo.environment["HERALD_JOURNAL_BENCH"] != nil))
    func eightAppenders() async throws {
        for (appenders, perAppender) in [(1, 2_000), (8, 5_000), (64, 1_000)] {
            let dir = try TemporaryDirectory()
            defer { dir.cleanUp() }
            let (journal, _) = try openJournal(dir)
            let clock = ContinuousClock()
            let start = clock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<appenders {
                    group.addTask {
                        for i in 0..<perAppender {
                            try await journal.append([.enqueue(delivery("msg_\(task)_\(i)", payloadSize: 400))])
                        }
                    }
                }
                try await group.waitForAll()
            }
            let elapsed = clock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let total = appenders * perAppender
            print(
                "journal bench: \(appenders) appenders x \(perAppender): \(Int(Double(total) / seconds)) appends/s, "
                    + "\(journal.commits) fdatasyncs, \(String(format: "%.1f", Double(journal.appendsCommitted) / Double(journal.commits))) appends/sync, "
                    + "\(journal.bytesOnDisk) bytes")
            await journal.close()
        }
    }
}
