import Foundation
import HeraldJournal
import HeraldSource
import MetricsTestKit
import Testing

@testable import HeraldCore

@Suite("metrics: names, labels and what is counted")
struct HeraldMetricsTests {
    let factory = TestMetrics()

    @Test("every metric is named herald_<noun>_<unit>, counters end in _total, durations in _seconds")
    func naming() {
        let names = [
            MetricName.eventsRead, MetricName.eventsRejected, MetricName.eventsUnrouted, MetricName.eventsRouted,
            MetricName.deliveriesEnqueued, MetricName.deliveries, MetricName.deliveryDuration, MetricName.deadLetters,
            MetricName.deadLettersReplayed, MetricName.journalPending, MetricName.journalBytes, MetricName.sourceLag,
            MetricName.configReloads, MetricName.endpointPaused, MetricName.endpointBreakerOpen,
            MetricName.deadLettersRemoved, MetricName.deadLetterBytes, MetricName.ioErrors,
        ]
        #expect(Set(names).count == names.count)
        for name in names { #expect(name.wholeMatch(of: /herald_[a-z]+(_[a-z]+)*/) != nil, "\(name)") }
        _ = HeraldMetrics(endpoints: ["erp"], factory: factory)
        for counter in factory.counters { #expect(counter.label.hasSuffix("_total"), "\(counter.label)") }
        for timer in factory.timers { #expect(timer.label.hasSuffix("_seconds"), "\(timer.label)") }
        for gauge in factory.recorders { #expect(!gauge.label.hasSuffix("_total"), "\(gauge.label)") }
        #expect(MetricName.deliveryDurationBuckets.first == .milliseconds(1))
        #expect(MetricName.deliveryDurationBuckets.last == .seconds(30))
        #expect(MetricName.deliveryDurationBuckets == MetricName.deliveryDurationBuckets.sorted())
    }

    @Test("configured endpoints and every rejection reason have their series from the start, at zero")
    func seriesExistUpFront() throws {
        _ = HeraldMetrics(endpoints: ["erp", "chat"], factory: factory)
        for endpoint in ["erp", "chat"] {
            for outcome in ["delivered", "retry", "dead"] {
                #expect(try factory.expectCounter(MetricName.deliveries, [("endpoint", endpoint), ("outcome", outcome)]).totalValue == 0)
            }
            #expect(try factory.expectGauge(MetricName.endpointPaused, [("endpoint", endpoint)]).lastValue == 0)
            #expect(try factory.expectGauge(MetricName.endpointBreakerOpen, [("endpoint", endpoint)]).lastValue == 0)
            _ = try factory.expectTimer(MetricName.deliveryDuration, [("endpoint", endpoint)])
        }
        for reason in EventRejection.Reason.allCases {
            #expect(try factory.expectCounter(MetricName.eventsRejected, [("reason", reason.rawValue)]).totalValue == 0)
        }
        #expect(try factory.expectCounter(MetricName.configReloads, [("result", "ok")]).totalValue == 0)
        #expect(try factory.expectCounter(MetricName.configReloads, [("result", "invalid")]).totalValue == 0)
    }

    @Test("a source batch counts lines read, routed, unrouted, enqueued and rejections by reason")
    func ingest() throws {
        let stats = DeliveryStats(metrics: HeraldMetrics(endpoints: ["erp"], factory: factory))
        stats.ingested(.init(lines: 10, routed: 7, unrouted: 1, enqueued: 9, duplicates: 1, rejected: ["invalid_json": 2]))
        stats.ingested(.init(lines: 1, rejected: ["too_long": 1]))
        #expect(try factory.expectCounter(MetricName.eventsRead).totalValue == 11)
        #expect(try factory.expectCounter(MetricName.eventsRouted).totalValue == 7)
        #expect(try factory.expectCounter(MetricName.eventsUnrouted).totalValue == 1)
        #expect(try factory.expectCounter(MetricName.deliveriesEnqueued).totalValue == 9)
        #expect(try factory.expectCounter(MetricName.eventsRejected, [("reason", "invalid_json")]).totalValue == 2)
        #expect(try factory.expectCounter(MetricName.eventsRejected, [("reason", "too_long")]).totalValue == 1)
        #expect(stats.snapshot.linesRead == 11 && stats.snapshot.rejectedTotal == 3 && stats.snapshot.duplicatesSkipped == 1)
    }

    @Test("outcomes are counted per endpoint; dead letters also by reason; latency per endpoint in the histogram")
    func outcomes() throws {
        let stats = DeliveryStats(metrics: HeraldMetrics(endpoints: ["erp", "chat"], factory: factory))
        stats.attempted(endpoint: "erp", duration: .microseconds(1500))
        stats.delivered(endpoint: "erp")
        stats.attempted(endpoint: "erp", duration: .seconds(2))
        stats.retried(endpoint: "erp")
        stats.dead(endpoint: "chat", kind: "gone")
        stats.dead(endpoint: "chat", kind: "gone")
        stats.dead(endpoint: "chat", kind: "permanent")
        stats.replayed(2)
        #expect(try factory.expectCounter(MetricName.deliveries, [("endpoint", "erp"), ("outcome", "delivered")]).totalValue == 1)
        #expect(try factory.expectCounter(MetricName.deliveries, [("endpoint", "erp"), ("outcome", "retry")]).totalValue == 1)
        #expect(try factory.expectCounter(MetricName.deliveries, [("endpoint", "chat"), ("outcome", "dead")]).totalValue == 3)
        #expect(try factory.expectCounter(MetricName.deadLetters, [("endpoint", "chat"), ("reason", "gone")]).totalValue == 2)
        #expect(try factory.expectCounter(MetricName.deadLetters, [("endpoint", "chat"), ("reason", "permanent")]).totalValue == 1)
        #expect(try factory.expectCounter(MetricName.deadLettersReplayed).totalValue == 2)
        #expect(try factory.expectTimer(MetricName.deliveryDuration, [("endpoint", "erp")]).values == [1_500_000, 2_000_000_000])
        #expect(stats.snapshot.delivered == 1 && stats.snapshot.retried == 1 && stats.snapshot.dead == ["gone": 2, "permanent": 1])
    }

    @Test("an endpoint missing from the config (removed, or added by a reload) gets its handles on first use")
    func unknownEndpoint() throws {
        let stats = DeliveryStats(metrics: HeraldMetrics(endpoints: ["erp"], factory: factory))
        stats.dead(endpoint: "old", kind: "removed")
        stats.dead(endpoint: "old", kind: "removed")
        #expect(try factory.expectCounter(MetricName.deadLetters, [("endpoint", "old"), ("reason", "removed")]).totalValue == 2)
        #expect(try factory.expectCounter(MetricName.deliveries, [("endpoint", "old"), ("outcome", "dead")]).totalValue == 2)
    }

    @Test("failed file operations by operation and errno name: the usual ones from the start at zero, others on first use")
    func ioErrors() throws {
        let stats = DeliveryStats(metrics: HeraldMetrics(endpoints: [], factory: factory))
        for operation in ["journal_append", "journal_fsync", "checkpoint_write", "dead_letter_write", "read_back"] {
            for errno in ["EIO", "ENOSPC", "EMFILE"] {
                #expect(try factory.expectCounter(MetricName.ioErrors, [("op", operation), ("errno", errno)]).totalValue == 0)
            }
        }
        stats.ioFailed("journal_fsync", errno: EIO)
        stats.ioFailed("journal_fsync", errno: EIO)
        stats.ioFailed("checkpoint_write", errno: EROFS)
        stats.ioFailed("read_back", errno: 999)
        #expect(try factory.expectCounter(MetricName.ioErrors, [("op", "journal_fsync"), ("errno", "EIO")]).totalValue == 2)
        #expect(try factory.expectCounter(MetricName.ioErrors, [("op", "checkpoint_write"), ("errno", "EROFS")]).totalValue == 1)
        #expect(try factory.expectCounter(MetricName.ioErrors, [("op", "read_back"), ("errno", "errno_999")]).totalValue == 1)
        #expect(stats.snapshot.ioErrorsTotal == 4)
    }

    @Test("reloads by result, breaker and paused gauges")
    func operatorGauges() throws {
        let metrics = HeraldMetrics(endpoints: ["erp", "chat"], factory: factory)
        metrics.countReload(valid: true)
        metrics.countReload(valid: false)
        metrics.countReload(valid: false)
        metrics.setBreakerOpen(["erp"])
        metrics.setPaused(["chat"])
        #expect(try factory.expectCounter(MetricName.configReloads, [("result", "ok")]).totalValue == 1)
        #expect(try factory.expectCounter(MetricName.configReloads, [("result", "invalid")]).totalValue == 2)
        #expect(try factory.expectGauge(MetricName.endpointBreakerOpen, [("endpoint", "erp")]).lastValue == 1)
        #expect(try factory.expectGauge(MetricName.endpointPaused, [("endpoint", "chat")]).lastValue == 1)
        #expect(try factory.expectGauge(MetricName.endpointPaused, [("endpoint", "erp")]).lastValue == 0)
        metrics.setPaused([])
        #expect(try factory.expectGauge(MetricName.endpointPaused, [("endpoint", "chat")]).lastValue == 0)
    }
}

@Suite("source lag")
struct SourceLagTests {
    @Test("file size minus the checkpoint offset; the whole new file after a rotation; 0 before a start at the end")
    func lag() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("herald-lag-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("events.jsonl").path
        let store = CheckpointStore(path: folder.appendingPathComponent("checkpoint.json").path)
        #expect(SourceLag.bytes(path: file, checkpoint: try store.load(), startAtEnd: false) == nil)
        try Data(repeating: 0x41, count: 1000).write(to: URL(fileURLWithPath: file))
        #expect(SourceLag.bytes(path: file, checkpoint: try store.load(), startAtEnd: false) == 1000)
        #expect(SourceLag.bytes(path: file, checkpoint: try store.load(), startAtEnd: true) == 0)

        var info = stat()
        #expect(stat(file, &info) == 0)
        let identity = FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
        try store.save(Checkpoint(path: file, identity: identity, offset: 600, fingerprint: Fingerprint([0x41]), lineNumber: 3))
        #expect(SourceLag.bytes(path: file, checkpoint: try store.load(), startAtEnd: false) == 400)

        try FileManager.default.moveItem(atPath: file, toPath: file + ".1")
        try Data(repeating: 0x42, count: 250).write(to: URL(fileURLWithPath: file))
        #expect(SourceLag.bytes(path: file, checkpoint: try store.load(), startAtEnd: false) == 250)
    }
}
