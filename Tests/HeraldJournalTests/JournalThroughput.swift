import Foundation
import Glibc
import Testing

@testable import HeraldJournal

/// A measurement run by hand, not a timed test:
/// `HERALD_JOURNAL_BENCH=1 swift test --filter JournalThroughput`
/// (optimised: add `-c release -Xswiftc -enable-testing`). Prints appends/s and appends per
/// fdatasync next to the disk's raw write+fdatasync rate at that moment.
@Suite("Journal throughput (manual)")
struct JournalThroughput {
    @Test(
        "8 concurrent appenders of 400-byte payloads",
        .enabled(if: ProcessInfo.processInfo.environment["HERALD_JOURNAL_BENCH"] != nil))
    func eightAppenders() async throws {
        try rawSyncBaseline()
        for (appenders, perAppender, delay) in [
            (1, 2_000, Duration.milliseconds(1)), (8, 5_000, .milliseconds(1)), (8, 5_000, .zero),
            (64, 1_000, .milliseconds(1)),
        ] {
            let dir = try TemporaryDirectory()
            defer { dir.cleanUp() }
            let (journal, _) = try await openJournal(dir) { $0.maxBatchDelay = delay }
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
            let perSync = String(format: "%.1f", Double(journal.appendsCommitted) / Double(journal.commits))
            print(
                "journal bench: \(appenders) appenders x \(perAppender), maxBatchDelay \(delay): "
                    + "\(Int(Double(total) / seconds)) appends/s, \(journal.commits) fdatasyncs, "
                    + "\(perSync) appends/sync, \(journal.bytesOnDisk) bytes")
            await journal.close()
        }
    }

    /// The disk's own pace at this moment: 400-byte write + fdatasync, one at a time.
    private func rawSyncBaseline() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let path = "\(dir.path)/raw"
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        defer { close(fd) }
        let record = [UInt8](repeating: 7, count: 400)
        let clock = ContinuousClock()
        let start = clock.now
        let count = 1_000
        for _ in 0..<count {
            _ = record.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            fdatasync(fd)
        }
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("journal bench: raw write+fdatasync baseline: \(Int(Double(count) / seconds)) syncs/s")
    }
}
