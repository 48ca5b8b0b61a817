import HeraldJournal
import Logging
import MetricsTestKit
import Synchronization
import Testing

@testable import HeraldCore

/// What the sidecar makes of a retention pass: the removals counted by reason, one log line.
@Suite("dead-letter retention: counted and logged")
struct DeadLetterRetentionReportTests {
    /// Keeps every log record, so a test can read what was logged.
    final class Records: Sendable {
        let lines = Mutex<[(level: Logger.Level, message: String, metadata: Logger.Metadata)]>([])
    }

    struct RecordingHandler: LogHandler {
        let records: Records
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            records.lines.withLock { $0.append((event.level, event.message.description, event.metadata ?? [:])) }
        }
    }

    @Test("removals are counted by reason and logged as one line with the counts; the series exist at zero before")
    func removals() throws {
        let factory = TestMetrics()
        let metrics = HeraldMetrics(endpoints: [], factory: factory)
        #expect(try factory.expectCounter(MetricName.deadLettersRemoved, [("reason", "max_bytes")]).totalValue == 0)
        #expect(try factory.expectCounter(MetricName.deadLettersRemoved, [("reason", "max_age")]).totalValue == 0)
        let records = Records()
        let report = Sidecar.reportRetention(logger: Logger(label: "t") { _ in RecordingHandler(records: records) }, metrics: metrics)

        report(DeadLetterRetention.Pass(removedForBytes: 7, removedForAge: 2, bytesRemoved: 36_864, kept: 40, keptBytes: 163_840))
        report(DeadLetterRetention.Pass(removedForBytes: 1, removedForAge: 0, bytesRemoved: 4096, kept: 40, keptBytes: 163_840))
        #expect(try factory.expectCounter(MetricName.deadLettersRemoved, [("reason", "max_bytes")]).totalValue == 8)
        #expect(try factory.expectCounter(MetricName.deadLettersRemoved, [("reason", "max_age")]).totalValue == 2)
        let lines = records.lines.withLock { $0 }
        #expect(lines.count == 2)
        #expect(lines.first?.level == .info)
        #expect(lines.first?.message == "dead-letter retention removed letters")
        #expect(lines.first?.metadata["removed_max_bytes"] == "7")
        #expect(lines.first?.metadata["removed_max_age"] == "2")
        #expect(lines.first?.metadata["removed_bytes"] == "36864")
        #expect(lines.first?.metadata["kept"] == "40")
    }

    @Test("a pass that could not finish is a warning with its error; one with nothing to remove is only a debug line")
    func failureAndQuiet() {
        let records = Records()
        let report = Sidecar.reportRetention(logger: Logger(label: "t") { _ in RecordingHandler(records: records) },
                                             metrics: HeraldMetrics(endpoints: [], factory: TestMetrics()))
        report(DeadLetterRetention.Pass(kept: 3, keptBytes: 12_288, failure: "unlink /s/dead/a.dead: Permission denied"))
        report(DeadLetterRetention.Pass(kept: 3, keptBytes: 12_288))
        let lines = records.lines.withLock { $0 }
        #expect(lines.map(\.level) == [.warning, .debug])
        #expect(lines.first?.metadata["error"] == "unlink /s/dead/a.dead: Permission denied")
    }
}
